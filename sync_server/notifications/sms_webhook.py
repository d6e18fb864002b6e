"""The SMS adapter: POST each text to an SMS gateway's webhook, signed with a shared secret.

Request: ``POST <url>`` with the JSON body ``{"to": "+222...", "text": "...", "reference": "..."}``
(UTF-8) and the headers ``X-OpenReg-Timestamp`` (Unix seconds) and ``X-OpenReg-Signature:
sha256=<hex HMAC-SHA256 under the secret of "<timestamp>." + body>`` — the same scheme as the
server's report webhooks, so a gateway can refuse forged and replayed calls. ``reference`` stays the
same across retries of one notification: a gateway can drop repeats with it.

Answer: 2xx is sent; 4xx is a permanent refusal of this message, except 408 and 429 (timing, not the
message), which are retried like 5xx, timeouts and refused connections; a redirect is a wrong URL and
is retried (fix the setting). At most ``MAX_REPLY_BYTES`` of an answer are read.
Plain ``http://`` is accepted only for a gateway on this machine (loopback).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from sync_server.notifications.channels import DeliveryError, Message

MAX_REPLY_BYTES = 4096
TIMESTAMP_HEADER = "X-OpenReg-Timestamp"
SIGNATURE_HEADER = "X-OpenReg-Signature"
RETRIED_4XX = frozenset({408, 425, 429})


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of ``timestamp + "." + body`` under ``secret`` (what a gateway checks)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmsWebhookConfig:
    """The gateway's URL and shared secret (never in a repr, log or error)."""

    url: str
    secret: str = field(repr=False)
    timeout_s: float = 10.0
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        if len(self.url) > 2000:
            raise ValueError("the SMS webhook URL is longer than 2000 characters")
        parts = urlsplit(self.url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("the SMS webhook URL must be https://host/...")
        if parts.username or parts.password:
            raise ValueError("put no credentials in the SMS webhook URL (the shared secret signs each call)")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError("plain http:// is only allowed to a gateway on this machine; use https://")
        if len(self.secret) < 16:
            raise ValueError("the SMS webhook secret must be at least 16 characters")
        if not 0 < self.timeout_s <= 120:
            raise ValueError("timeout_s must be in (0, 120]")


class SmsWebhookChannel:
    """:class:`~sync_server.notifications.channels.Channel` over an SMS gateway's webhook. It keeps one
    ``requests.Session`` (connections are reused), so call it from one thread at a time."""

    def __init__(self, config: SmsWebhookConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy or .netrc credentials picked up from the environment

    def __repr__(self) -> str:
        return f"SmsWebhookChannel({self.config!r})"

    def close(self) -> None:
        self._session.close()

    def send(self, message: Message) -> None:
        body = json.dumps(
            {"to": message.to, "text": message.body, "reference": message.reference},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.config.secret, timestamp, body),
        }
        verify: bool | str = str(self.config.ca_file) if self.config.ca_file else True
        try:
            response = self._session.post(
                self.config.url,
                data=body,
                headers=headers,
                timeout=self.config.timeout_s,
                allow_redirects=False,
                stream=True,  # read a bounded part of the answer, whatever the gateway sends
                verify=verify,
            )
        except requests.Timeout:
            raise DeliveryError("the SMS gateway did not answer in time", permanent=False) from None
        except requests.RequestException as exc:
            raise DeliveryError(f"SMS gateway unreachable: {type(exc).__name__}", permanent=False) from None
        try:
            status = response.status_code
            if 200 <= status < 300:
                return
            reply = _bounded_reply(response).replace(message.to, "<recipient>")
        finally:
            response.close()
        permanent = 400 <= status < 500 and status not in RETRIED_4XX
        raise DeliveryError(f"the SMS gateway answered {status}: {reply}".rstrip(": "), permanent=permanent)


def _bounded_reply(response: requests.Response) -> str:
    try:
        data = response.raw.read(MAX_REPLY_BYTES, decode_content=True) or b""
    except Exception:  # a broken answer body changes nothing about the status we already have
        data = b""
    return " ".join(data[:MAX_REPLY_BYTES].decode("utf-8", "replace").split())[:200]

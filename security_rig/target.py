"""The one server the rig may talk to: its address, the loopback rule, and bounded HTTP requests.

Every request goes to the scheme, host and port given on the command line and nowhere else: redirects
are never followed, answers are read up to a size cap and a time bound, and nothing but the given path
is put in the request line.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import warnings
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests

MAX_ANSWER_BYTES = 512 * 1024
DEFAULT_TIMEOUT_S = 10.0


class TargetRefused(Exception):
    """The rig will not (or cannot) run against this address; the message says why."""


@dataclass(frozen=True)
class Reply:
    """One answer, or ``status`` 0 with ``error`` when there was none (timeout, connection closed)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    error: str = ""
    seconds: float = 0.0

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def code(self) -> str | None:
        """The ``code`` of an OpenReg error body, if the answer is one."""
        data = self.json()
        return data.get("code") if isinstance(data, dict) and isinstance(data.get("code"), str) else None

    def brief(self) -> str:
        if self.status == 0:
            return f"no answer ({self.error})"
        snippet = self.body[:160].decode("utf-8", "replace").replace("\n", " ")
        return f"{self.status} {snippet}".rstrip()


def is_loopback_host(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


class Target:
    """The server under test. ``ca_file`` (PEM) is trusted for https instead of the system store."""

    def __init__(self, url: str, *, allow_remote: bool = False, ca_file: str | None = None) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetRefused(f"{url!r} is not an http:// or https:// address")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise TargetRefused(f"{url!r}: give the server's base address only (no query, fragment or user)")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.https = parts.scheme == "https"
        self.loopback = is_loopback_host(self.host)
        if not self.loopback and not allow_remote:
            raise TargetRefused(
                f"{self.host} is not a loopback address; the rig attacks only servers you own: pass "
                "--i-own-this-target to run it against this one"
            )
        self.ca_file = ca_file
        netloc = f"[{self.host}]" if ":" in self.host else self.host
        self.base = f"{self.scheme}://{netloc}:{self.port}{self.prefix}"
        self.http = requests.Session()
        self.http.trust_env = False  # no proxies from the environment: traffic goes to the target only
        # no cookie jar: an "anonymous" probe must never carry a cookie an earlier answer set
        self.http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.verify: bool | str = ca_file or True
        self.sent = 0
        self._count = threading.Lock()

    def stop_verifying(self) -> None:
        """Go on without checking the certificate (after the TLS check reported it as invalid), so the
        other checks still run."""
        # the TLS check has reported the certificate; requests' per-request warning would only repeat it
        warnings.filterwarnings("ignore", message="Unverified HTTPS request")
        self.verify = False

    def ssl_context(self) -> ssl.SSLContext:
        if self.verify is False:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=self.ca_file)

    def count(self) -> None:
        with self._count:
            self.sent += 1

    def url(self, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError(f"path {path!r} must start with /")
        return self.base + path

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        json: Any = None,
        data: bytes | dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_bytes: int = MAX_ANSWER_BYTES,
    ) -> Reply:
        """One request; the answer is read for at most ``timeout`` seconds and ``max_bytes`` bytes (an
        event stream that never ends is cut there)."""
        # one connection per request: a hostile probe (an oversized body, a header flood, a server error)
        # may leave its connection unusable, which must not count against the next probe
        sent_headers = {"Connection": "close", **(headers or {})}
        if token is not None:
            sent_headers["Authorization"] = f"Bearer {token}"
        began = time.monotonic()
        self.count()
        http = session or self.http
        try:
            response = http.request(
                method,
                self.url(path),
                headers=sent_headers,
                params=params,
                json=json,
                data=data,
                cookies=cookies,
                timeout=(timeout, timeout),
                allow_redirects=False,
                stream=True,
                verify=self.verify,
            )
        except requests.RequestException as exc:
            return Reply(0, error=type(exc).__name__, seconds=time.monotonic() - began)
        body = bytearray()
        try:
            for piece in response.iter_content(16384):
                body += piece
                if len(body) >= max_bytes or time.monotonic() - began > timeout:
                    break
        except requests.RequestException as exc:
            return Reply(response.status_code, _lower(response.headers), bytes(body), type(exc).__name__)
        finally:
            response.close()
        return Reply(
            response.status_code,
            _lower(response.headers),
            bytes(body[:max_bytes]),
            seconds=time.monotonic() - began,
        )


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}

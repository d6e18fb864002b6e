"""The notification port: one rendered message to one address, and the error a channel raises.

Adapters: ``smtp.SmtpChannel`` (e-mail) and ``sms_webhook.SmsWebhookChannel`` (an SMS gateway's
HTTP webhook). Tests and other deployments may add their own; the sender only needs ``send``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """What a channel sends. ``reference`` is stable across retries of the same outbox row, so a
    receiving side can tell a repeat (delivery is at least once)."""

    reference: str
    to: str = field(repr=False)  # personal data: kept out of logs and reprs
    subject: str
    body: str = field(repr=False)
    language: str


class DeliveryError(Exception):
    """A send failed. ``permanent``: retrying the same message cannot help (an address refused, a
    4xx from the gateway); otherwise it is retried later with backoff. The text names no secret and
    no address."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """Send one message, or raise :class:`DeliveryError`. Called from the sender's one thread; an
    adapter may reuse connections between calls, so share an instance between threads only if its
    own docstring allows it."""

    def send(self, message: Message) -> None: ...

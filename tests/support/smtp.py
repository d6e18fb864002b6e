"""A real SMTP server (aiosmtpd) on a free loopback port: ``smtp_server`` yields its ``Mailbox``.

A recipient whose local part starts with ``refused`` is refused (550), one starting with ``busy``
deferred (451); every accepted message is parsed into the mailbox.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support.ports import free_port


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    cafile: Path | None = None

    def wait(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} e-mails arrived"
        return [message for _, _, message in self.messages]


class MailHandler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if address.startswith("busy"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.box.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        self.box.arrived.set()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    box = Mailbox("127.0.0.1", free_port())
    controller = Controller(MailHandler(box), hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()

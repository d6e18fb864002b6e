"""The one call processing makes: queue a resident's notifications in the outcome's transaction.

``OutboxNotifier`` binds the sealer and the configured channels, takes the raw e-mail and phone
values from the packet, keeps the valid ones (a mistyped address never fails a packet; the problem
is logged without the value) and enqueues. The composition root hands it to processing through a
port in ``sync_server/ports.py`` (processing does not import this package).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Connection

from sync_server.notifications.events import Contact, Event
from sync_server.notifications.outbox import CHANNELS, enqueue
from sync_server.notifications.sealing import Sealer

log = logging.getLogger(__name__)


class OutboxNotifier:
    """Thread-safe (it holds no state besides its configuration)."""

    def __init__(self, sealer: Sealer, *, channels: Collection[str] = CHANNELS) -> None:
        self.sealer = sealer
        self.channels = tuple(channels)

    def notify(
        self,
        conn: Connection,
        *,
        rid: str,
        event: Event | str,
        language: str | None,
        email: Any = None,
        phone: Any = None,
        values: Mapping[str, Any] | None = None,
    ) -> int:
        """Queue the notifications of ``event`` on ``conn`` (the caller commits); returns how many
        rows were new (0 without a usable contact, or when already queued)."""
        contact, problems = Contact.keep_valid(email=email, phone=phone)
        for problem in problems:
            log.info("registration %s: contact not used for notifications (%s)", rid, problem)
        if not contact.addresses():
            return 0
        return enqueue(
            conn,
            rid=rid,
            event=event,
            language=language or "eng",
            contact=contact,
            values=values,
            sealer=self.sealer,
            channels=self.channels,
        )

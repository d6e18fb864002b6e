"""The :class:`~sync_server.notifications.templates.TemplateSource` over the server's master data: the
current ``templates`` row of a ``notify.*`` id, read in a short session of its own per message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sync_server.services.masterdata import current_row


class MasterDataTemplates:
    """Reads each template when a message is rendered, so an imported change applies to the next
    message without a restart. Safe from several threads (one session per call)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def template(self, template_id: str) -> Mapping[str, Any] | None:
        with Session(self.engine) as session:
            return current_row(session, "templates", template_id)

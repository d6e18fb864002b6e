"""What every screen shares: the core services, the operation helper, the language and the session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from client.core.authentication import Session
from client.core.bootstrap import ClientApp
from client.ui.i18n import Language
from client.ui.operations import Operations


@dataclass
class UiContext:
    app: ClientApp
    ops: Operations
    language: Language
    session: Session | None = None
    last_sync: datetime | None = None
    network_online: bool | None = None
    devices: Any = None  # a device manager from device_drivers once the kiosk has one (optional)
    extras: dict[str, Any] = field(default_factory=dict)

    def t(self, key: str, **kw: object) -> str:
        return self.language.t(key, **kw)

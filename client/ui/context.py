"""What every screen shares: the typed core services, the operation helper, the language and the session.

Screens get the services themselves, never the composition root (``client.core.bootstrap.ClientApp``):
:meth:`UiContext.for_client` unpacks it once, in the entry point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from client.core.authentication import AuthenticationService, Session
from client.core.machine import MachineKeys
from client.core.master_data import MasterData
from client.core.registration.end_of_day import EndOfDayService
from client.core.registration.receipts import ReceiptStore
from client.core.registration.service import RegistrationService
from client.core.settings import ClientSettings
from client.core.sync.round import SyncParts
from client.ui.i18n import Language
from client.ui.operations import Operations

if TYPE_CHECKING:
    from client.core.bootstrap import ClientApp
    from client.core.sync.enrolment import EnrolmentService
    from client.core.sync.http import HttpServer


class KioskNetwork(SyncParts, Protocol):
    """The network parts the screens use: a sync round, the server's health, enrolment. Each call
    builds its part on demand (and raises when no server URL is configured); worker threads only."""

    def server(self) -> HttpServer: ...
    def enrolment(self) -> EnrolmentService: ...


@dataclass
class UiContext:
    settings: ClientSettings
    machine: MachineKeys
    master_data: MasterData
    authentication: AuthenticationService
    registrations: RegistrationService
    end_of_day: EndOfDayService
    receipts: ReceiptStore
    network: KioskNetwork
    ops: Operations
    language: Language
    session: Session | None = None
    last_sync: datetime | None = None
    network_online: bool | None = None
    devices: Any = None  # the core's capture port (client.core.capture.DeviceCapture) or a stand-in
    fingerprints: Any = None  # client.core.fingerprints.FingerprintService: officers' own fingers
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_client(
        cls, client: ClientApp, *, ops: Operations, language: Language, devices: Any = None
    ) -> UiContext:
        """The context over a built client: its services, and the client itself as the network parts."""
        return cls(
            settings=client.settings,
            machine=client.machine,
            master_data=client.master_data,
            authentication=client.authentication,
            registrations=client.registrations,
            end_of_day=client.end_of_day,
            receipts=client.receipts,
            network=client,
            ops=ops,
            language=language,
            devices=devices,
        )

    def t(self, key: str, **kw: object) -> str:
        return self.language.t(key, **kw)

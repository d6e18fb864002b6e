"""Composition root: builds settings -> store -> services -> adapters for one client process.

Nothing here runs at import time; the GUI, the CLI, the headless demo and tests call
:func:`build_client` (tests may pass their own adapters implementing the same ports).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from client.core.authentication import AuthenticationService
from client.core.capture import DeviceCapture
from client.core.machine import MachineKeys
from client.core.master_data import MasterData
from client.core.registration.end_of_day import EndOfDayService
from client.core.registration.receipts import ReceiptStore
from client.core.registration.sealing import PacketSealer
from client.core.registration.service import RegistrationService
from client.core.settings import ClientSettings, ServerNotConfigured
from client.core.store import Store, get_or_create_db_key
from shared.files import private_dir, tighten_file

if TYPE_CHECKING:
    from client.core.sync.enrolment import EnrolmentService
    from client.core.sync.http import HttpServer
    from client.core.sync.master_data_sync import MasterDataSync
    from client.core.sync.outcomes import PacketOutcomes
    from client.core.sync.server_keys import KeyRefresh
    from client.core.sync.upload import UploadAgent
    from client.core.updates import UpdateManager
    from device_drivers.manager import DeviceManager


@dataclass
class ClientApp:
    """Everything a front end needs; call :meth:`close` when done."""

    settings: ClientSettings
    store: Store
    machine: MachineKeys
    master_data: MasterData
    authentication: AuthenticationService
    registrations: RegistrationService
    end_of_day: EndOfDayService
    receipts: ReceiptStore
    devices: DeviceCapture | None = None  # None: the settings name no device

    def close(self) -> None:
        if self.devices is not None:
            self.devices.close()
        self.store.close()

    def server_url(self) -> str | None:
        return self.settings.server_url or self.machine.server_url()

    # Network parts are built on demand: a kiosk works offline without them.
    def server(self) -> HttpServer:
        from client.core.sync.http import HttpServer

        url = self.server_url()
        if not url:
            raise ServerNotConfigured(
                "no server URL configured; pass --server or set OPENREG_CLIENT_SERVER_URL"
            )
        return HttpServer(
            base_url=url,
            machine=self.machine,
            timeout_s=self.settings.request_timeout_s,
            allow_insecure_http=self.settings.allow_insecure_http,
            ca_file=self.server_ca_file(),
        )

    def server_ca_file(self) -> Path | None:
        """The CA file to trust for the server: the configured one, else the one pinned at enrolment,
        else None (system trust store)."""
        from client.core.sync.tls import read_ca_pem, write_ca_bundle

        if self.settings.server_ca_file:
            read_ca_pem(self.settings.server_ca_file)  # a clear error now, not an SSL error later
            return self.settings.server_ca_file
        pinned = self.machine.pinned_server_ca()
        if pinned is None:
            return None
        return write_ca_bundle(pinned, self.settings.data_dir / "tls" / "pinned-server-ca.pem")

    def refresh_server_keys(self) -> KeyRefresh:
        """Fetch the server's signed key set and pin it if newer (see client.core.sync.server_keys)."""
        from client.core.sync.server_keys import refresh_server_keys

        return refresh_server_keys(
            self.machine, self.server(), allow_insecure_http=self.settings.allow_insecure_http
        )

    def master_data_sync(self) -> MasterDataSync:
        from client.core.sync.master_data_sync import MasterDataSync

        return MasterDataSync(store=self.store, machine=self.machine, source=self.server())

    def upload_agent(self) -> UploadAgent:
        from client.core.sync.upload import UploadAgent

        return UploadAgent(store=self.store, transport=self.server(), settings=self.settings)

    def packet_outcomes(self) -> PacketOutcomes:
        from client.core.sync.outcomes import PacketOutcomes

        return PacketOutcomes(
            store=self.store, transport=self.server(), settings=self.settings, master_data=self.master_data
        )

    def update_manager(self) -> UpdateManager:
        from client.core.updates import manager_for_settings

        return manager_for_settings(self.settings)

    def enrolment(self) -> EnrolmentService:
        from client.core.sync.enrolment import EnrolmentService
        from client.core.sync.tls import read_ca_pem

        ca_file = self.settings.server_ca_file
        return EnrolmentService(
            machine=self.machine,
            server=self.server(),
            authentication=self.authentication,
            allow_insecure_http=self.settings.allow_insecure_http,
            ca_pem=read_ca_pem(ca_file) if ca_file else None,
        )


def default_sealer(machine: MachineKeys) -> PacketSealer:
    from client.core.registration.packet_adapter import SharedPacketSealer

    return SharedPacketSealer(machine=machine)


def device_manager(settings: ClientSettings) -> DeviceManager:
    """The kiosk's one device manager: SBI devices trusted by ``device_ca_file`` on ``sbi_ports``, the
    face and document cameras, and the barcode reader that scans through a camera."""
    from device_drivers.composition import build_device_manager

    low, high = settings.sbi_ports
    cameras = (settings.face_camera, settings.document_camera)
    return build_device_manager(
        trust_anchors_pem=settings.device_ca_file.read_bytes() if settings.device_ca_file else b"",
        sbi_ports=range(low, high + 1),
        face_camera=settings.face_camera,
        document_camera=settings.document_camera,
        barcode=any(camera is not None for camera in cameras),
        document_scanners=settings.document_scanner,
        fingerprint_readers=settings.fingerprint_reader,
        hotplug=True,  # plug and unplug show in the device bar at once (device_drivers.hotplug)
    )


def device_capture(
    settings: ClientSettings, *, master_data: MasterData | None = None
) -> DeviceCapture | None:
    """The capture port over :func:`device_manager`, built on first use; None when no device is set.
    ``master_data``: its device_models allow devices (read again at each refresh, on a worker)."""
    devices = (settings.device_ca_file, settings.face_camera, settings.document_camera)
    if all(d is None for d in devices) and not (settings.document_scanner or settings.fingerprint_reader):
        return None
    models = (lambda: master_data.rows("device_models")) if master_data is not None else None
    return DeviceCapture(lambda: device_manager(settings), device_models=models)


def build_client(settings: ClientSettings, *, sealer: PacketSealer | None = None) -> ClientApp:
    """Open (or create) the kiosk's encrypted store and wire the services around it."""
    private_dir(settings.data_dir)  # personal data and keys: owner-only, whatever the umask
    key = get_or_create_db_key(db_path=settings.db_path, keyring_file=settings.keyring_file)
    store = Store(path=settings.db_path, key=key)
    for suffix in ("", "-wal", "-shm", "-journal"):  # SQLite gives its side files the database's mode
        tighten_file(settings.db_path.with_name(settings.db_path.name + suffix))
    machine = MachineKeys(store=store)
    center = machine.identity().center_id or settings.center_id
    master_data = MasterData(store=store, center_id=center)
    registrations = RegistrationService(
        store=store,
        master_data=master_data,
        machine=machine,
        sealer=sealer or default_sealer(machine),
        packets_dir=settings.packets_dir,
    )
    authentication = AuthenticationService(store=store, master_data=master_data)
    app = ClientApp(
        settings=settings,
        store=store,
        machine=machine,
        master_data=master_data,
        authentication=authentication,
        registrations=registrations,
        end_of_day=EndOfDayService(store=store, master_data=master_data, authentication=authentication),
        receipts=ReceiptStore(store=store, legacy_dir=settings.receipts_dir),
        devices=device_capture(settings, master_data=master_data),
    )
    registrations.recover()  # settle anything a crash left half-done before new work starts
    app.receipts.import_plaintext()  # receipts an older version left in clear move into the store
    return app


def settings_for(data_dir: Path, **overrides) -> ClientSettings:
    return ClientSettings(data_dir=data_dir, **overrides)

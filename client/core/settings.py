"""Client settings: one validated object per process, built by the composition root (bootstrap.py)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from device_drivers.sbi import PORT_RANGE


class ClientSettings(BaseSettings):
    """Where the kiosk keeps its files and how it reaches the server. Env prefix ``OPENREG_CLIENT_``.

    ``keyring_file``: use keyrings.alt's plaintext *file* keyring at this path for the database key
    instead of the OS keyring. Only tests and the headless demo set it; it is never picked silently.
    """

    model_config = SettingsConfigDict(env_prefix="OPENREG_CLIENT_", extra="ignore")

    data_dir: Path
    server_url: str | None = None
    center_id: str | None = None
    keyring_file: Path | None = None
    request_timeout_s: float = 10.0
    upload_chunk_bytes: int = Field(default=1 << 20, ge=1024)
    upload_parallelism: int = Field(default=2, ge=1, le=8)
    upload_max_attempts: int = Field(default=6, ge=1)
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 10.0
    # Updates (client.core.updates.manager_for_settings). Install root: the folder holding
    # versions/, current and staged/; default the install this code runs from, else data_dir/updates.
    # Trusted root: the release team's 1.root.json shipped with the build; default
    # <install root>/1.root.json. Without one the update check is skipped ("updates not configured").
    update_install_root: Path | None = None
    update_trusted_root: Path | None = None
    update_check: bool = True
    # Transport (client.core.sync.tls): plain http:// only to loopback unless this demo flag is set;
    # server_ca_file pins a CA (or the server's self-signed certificate) instead of the system store.
    # It is copied into the encrypted store at enrolment and used from there afterwards.
    allow_insecure_http: bool = False
    server_ca_file: Path | None = None
    # Devices (one DeviceManager, built by client.core.bootstrap.device_manager): SBI devices are trusted
    # only if their certificate chains to device_ca_file (none: no SBI devices); they are looked for on
    # 127.0.0.1 ports sbi_ports (first, last). A camera is an OpenCV index, a video/stream URL or a folder
    # of images (none: no such camera); a certified SBI face device is preferred over the face camera.
    device_ca_file: Path | None = None
    sbi_ports: tuple[int, int] = (PORT_RANGE.start, PORT_RANGE.stop - 1)
    face_camera: int | str | None = None
    document_camera: int | str | None = None
    # Document scanners through SANE (device_drivers.sane; docs/devices.md): offered when master data's
    # device_models allows them; scan defaults from config devices.document_scanner.
    document_scanner: bool = False
    # Plain USB fingerprint readers through libfprint (device_drivers.fprint; docs/devices.md): one finger
    # at a time; "not available on this system" where libfprint or PyGObject is missing.
    fingerprint_reader: bool = False

    @model_validator(mode="after")
    def _server_url_is_safe(self) -> ClientSettings:
        from client.core.sync.tls import check_server_url

        if self.server_url:
            self.server_url = check_server_url(self.server_url, allow_insecure_http=self.allow_insecure_http)
        return self

    @property
    def db_path(self) -> Path:
        return self.data_dir / "client.db"

    @property
    def packets_dir(self) -> Path:
        return self.data_dir / "packets"

    @property
    def receipts_dir(self) -> Path:
        # Only where versions before receipts-at-rest wrote plaintext PDFs; they are moved into the store.
        return self.data_dir / "receipts"


class ServerNotConfigured(RuntimeError):
    """The kiosk has no server address (neither in its settings nor from enrolment): it cannot sync."""


def settings_problem(exc: ValidationError) -> str:
    """One line saying what is wrong with the given settings (e.g. a plain-HTTP server address)."""
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())

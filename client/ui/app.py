"""Start the kiosk GUI: build the core (composition root), the Qt application and the main window.

``openreg client gui --data DIR`` calls :func:`run_gui`; ``openreg demo`` calls it through demo.gui.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from client.core.authentication import inactivity_minutes
from client.core.bootstrap import ClientApp
from client.core.fingerprints import fingerprint_service
from client.core.settings import ClientSettings
from client.ui.context import UiContext
from client.ui.i18n import Language
from client.ui.main_window import MainWindow
from client.ui.operations import Operations
from client.ui.theme import apply_theme


def qt_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("OpenReg")
    apply_theme(app, high_contrast=False)
    return app  # type: ignore[return-value]


def build_window(client: ClientApp, *, language: str = "eng", devices=None) -> MainWindow:
    """The main window over an already-built :class:`ClientApp`; the screens capture through
    ``client.devices`` unless ``devices`` (a stand-in with the same methods) is given."""
    qt_app()
    ops = Operations()
    devices = devices if devices is not None else client.devices
    ctx = UiContext.for_client(client, ops=ops, language=Language(language), devices=devices)
    ctx.fingerprints = fingerprint_service(client, devices=devices)  # signing in by finger, where possible
    minutes = inactivity_minutes(client.master_data)
    window = MainWindow(ctx, inactivity_ms=int(minutes * 60_000) + 1_000)
    ops.setParent(window)
    ctx.language.set(language)  # also the application's direction, whatever an earlier window left
    return window


def open_kiosk(settings: ClientSettings) -> tuple[ClientApp, MainWindow]:
    """Build the core from ``settings`` and the main window over it, then discover the devices the
    settings name on the worker. ``openreg client gui``, the kiosk build and the GUI demo all open the
    kiosk here."""
    from client.core.bootstrap import build_client

    client = build_client(settings)
    window = build_window(client)
    if client.devices is not None:
        window.ctx.ops.run(
            client.devices.status, on_error=lambda e: print(f"devices: {e}"), changes={"devices"}
        )
    return client, window


def run_gui(
    *,
    data_dir: Path,
    keyring_file: Path | None = None,
    server_url: str | None = None,
    device_ca: Path | None = None,
    face_camera: int | str | Path | None = None,
    document_camera: int | str | Path | None = None,
) -> int:
    """``openreg client gui``: options given on the command line win over the OPENREG_CLIENT_* settings
    (e.g. ``OPENREG_CLIENT_DEVICE_CA_FILE``, ``OPENREG_CLIENT_FACE_CAMERA``, ``OPENREG_CLIENT_DOCUMENT_CAMERA``)."""
    given = {"device_ca_file": device_ca, "face_camera": face_camera, "document_camera": document_camera}
    devices = {
        name: str(value) if isinstance(value, Path) and name != "device_ca_file" else value
        for name, value in given.items()
        if value is not None
    }
    settings = ClientSettings(data_dir=data_dir, keyring_file=keyring_file, server_url=server_url, **devices)
    return run_kiosk(settings)


def run_kiosk(settings: ClientSettings) -> int:
    """Open the kiosk (:func:`open_kiosk`) maximised and run the Qt event loop until it quits."""
    app = qt_app()
    client, window = open_kiosk(settings)
    window.showMaximized()
    try:
        return app.exec()
    finally:
        window.ctx.ops.wait()
        client.close()

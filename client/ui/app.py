"""Start the kiosk GUI: build the core (composition root), the Qt application and the main window.

``openreg client gui --data DIR`` calls :func:`run_gui`; ``openreg demo`` calls it through demo.gui.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from client.core.bootstrap import ClientApp
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
    """The main window over an already-built :class:`ClientApp` (tests and the demo pass theirs)."""
    qt_app()
    ops = Operations()
    ctx = UiContext(app=client, ops=ops, language=Language(language), devices=devices)
    minutes = float(client.master_data.config("session.inactivity_minutes", 10))
    window = MainWindow(ctx, inactivity_ms=int(minutes * 60_000) + 1_000)
    ops.setParent(window)
    if language != "eng":
        ctx.language.set(language)
    return window


def attach_devices(
    window: MainWindow, *, device_ca: Path | None, document_camera: int | str | Path | None = None
) -> None:
    """Discover SBI devices (and set up the document camera) on the worker; the pages and home use them
    once found."""
    from client.ui.devices import discover_devices

    def found(source) -> None:
        window.ctx.devices = source

    window.ctx.ops.run(
        lambda: discover_devices(device_ca=device_ca, document_camera=document_camera),
        on_done=found,
        on_error=lambda e: print(f"devices: {e}"),
        changes={"devices"},
    )


def run_gui(
    *,
    data_dir: Path,
    keyring_file: Path | None = None,
    server_url: str | None = None,
    device_ca: Path | None = None,
    document_camera: int | str | Path | None = None,
) -> int:
    from client.core.bootstrap import build_client
    from client.core.settings import ClientSettings

    app = qt_app()
    client = build_client(ClientSettings(data_dir=data_dir, keyring_file=keyring_file, server_url=server_url))
    window = build_window(client)
    if device_ca is not None or document_camera is not None:
        attach_devices(window, device_ca=device_ca, document_camera=document_camera)
    window.showMaximized()
    try:
        return app.exec()
    finally:
        window.ctx.ops.wait()
        close_devices = getattr(window.ctx.devices, "close", None)
        if close_devices is not None:
            close_devices()
        client.close()

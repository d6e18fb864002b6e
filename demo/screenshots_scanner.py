"""The screenshot tour's scanner scenes (33-34): a document scanned through SANE's ``test`` backend on
the documents page, then the message a kiosk shows when the scanner stops answering, each in English
and Arabic. Own kiosk and window, so the main tour's documents page stays as officers without a scanner
see it. Skipped, with the reason, where SANE's test backend is not installed.
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from unittest import mock

from demo.sane_test_backend import sane_test_backend_missing, scanner_rows, write_sane_config

Waiter = Callable[..., None]


def scanner_scenes(
    app, out_dir: Path, *, wait: Waiter, settle: Callable, size: tuple[int, int]
) -> list[Path]:
    """Save 33/33a (a scanned proof of identity) and 34/34a (the scanner stopped answering)."""
    if reason := sane_test_backend_missing():
        print(f"note: scanner scenes left out: {reason}")
        return []
    from client.core.bootstrap import device_capture
    from client.core.settings import ClientSettings
    from client.ui.app import build_window
    from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON, seeded_kiosk
    from device_drivers.sane import remote

    saved: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ):  # put back as found
        # read by the SANE host process when it starts, which is at this kiosk's first scanner call
        os.environ["SANE_CONFIG_DIR"] = str(write_sane_config(Path(tmp) / "sane", devices=1))
        rows = scanner_rows(source="adf", resolution_dpi=100, preview_dpi=50, max_pages=2)
        kiosk = seeded_kiosk(Path(tmp) / "kiosk", extra_rows=rows)
        devices = device_capture(
            ClientSettings(data_dir=Path(tmp) / "kiosk", document_scanner=True), master_data=kiosk.master_data
        )
        devices.refresh()
        window = build_window(kiosk, devices=devices)
        window.resize(*size)
        window.show()

        def shots(name: str) -> None:
            for language, suffix in (("eng", ""), ("ara", "a")):
                window.ctx.language.set(language)
                settle(app, 200)
                path = out_dir / f"{name.replace('-', suffix + '-', 1)}{'-arabic' if suffix else ''}.png"
                window.grab().save(str(path))
                saved.append(path)
            window.ctx.language.set("eng")

        try:
            login = window.screens["login"]
            login.user.setText(OPERATOR[0])
            login.password.setText(OPERATOR[2])
            login.attempt()
            wait(app, window, lambda: window.current_name() == "home")
            window.show_screen("registration")
            wizard = window.screens["registration"]
            wait(app, window, lambda: bool(wizard.pages) and wizard.next_button.isEnabled())
            wizard.pages[0].set_values(SAMPLE_PERSON)
            wizard.next()
            docs = wizard.stack.currentWidget()
            panel = docs.scan_panel
            wait(app, window, lambda: panel is not None and panel.defaults is not None, timeout_s=30)
            docs.types["proofOfIdentity"].setCurrentIndex(0)
            docs.scan("proofOfIdentity")  # the feeder's sheets, up to master data's two
            wait(app, window, lambda: "proofOfIdentity" in wizard.registration.documents, timeout_s=30)
            wait(app, window, lambda: not panel.busy, timeout_s=30)
            shots("33-documents-scanner")
            # libsane wedged in its host process: stopped here, cut off after a second instead of the
            # two minutes a page may take
            host = remote.running_host_pid()
            if host is None:
                raise RuntimeError("the scan ran, yet no SANE host process is running")
            os.kill(host, signal.SIGSTOP)
            timeout, remote.SCAN_TIMEOUT_S = remote.SCAN_TIMEOUT_S, 1.0
            try:
                docs.scan("proofOfIdentity", append=True)
                wait(app, window, lambda: bool(panel.error.text()) and not panel.busy, timeout_s=30)
            finally:
                remote.SCAN_TIMEOUT_S = timeout
            shots("34-documents-scanner-stopped")
        finally:
            window.close()
            window.ctx.ops.wait()
            devices.close()
            kiosk.close()
    return saved

"""``python -m demo.screenshots OUT_DIR``: render each main screen with real data into PNGs.

Starts Xvfb when there is no display (and the platform is not forced to offscreen), builds a locally
seeded kiosk in a temporary folder with the SBI simulator as its devices, drives the real windows the way
an officer would, and grabs them: the whole tour at 1024x768 in English (with Arabic views of some
screens) into OUT_DIR, then the main screens at 1920x1080 in English and Arabic and at 1024x768 in
Arabic into OUT_DIR/sizes/<language>-<size>/.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _start_xvfb() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    if not shutil.which("Xvfb") or not all(
        ctypes.util.find_library(lib) for lib in ("xcb-cursor", "xcb-icccm", "xcb-keysyms")
    ):
        # Qt's xcb plugin needs libxcb-cursor0; without it render offscreen (same fonts, same pixels).
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return None
    display = f":{90 + os.getpid() % 100}"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1920x1200x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.8)
    os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    return proc


def _settle(app, ms: int = 150) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def _wait(app, window, predicate, timeout_s: float = 10.0) -> None:
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("screen did not become ready")
        app.processEvents()
        window.ctx.ops.wait(50)
        time.sleep(0.01)
    _settle(app)


PREREG_ID = "PRE-2026-0042"


def _camera_sources(folder: Path, sbi: dict[str, object]):
    """Two document-camera feeds from generated frames, each the capture port the kiosk builds for a
    ``document_camera`` folder of images (the real OpenCV adapter and barcode reader): a pre-registration
    slip (its QR code comes into view after a moment) and a passport page. Both also reach the SBI
    simulator (SBI), as a kiosk's one capture port reaches all its devices."""
    import cv2

    from client.core.bootstrap import device_capture
    from client.core.settings import ClientSettings
    from demo.synthetic import synthetic_document

    slip_lines = ("Name: Karim Nasser", "Region: Coastal Region", f"Number: {PREREG_ID}")
    feeds = {
        "slip": [synthetic_document(lines=slip_lines, seed=i) for i in range(45)]
        + [synthetic_document(lines=slip_lines, code=PREREG_ID, seed=i) for i in range(45)],
        "passport": [
            synthetic_document(
                title="REPUBLIC OF OPENREG - PASSPORT",
                lines=(
                    "Surname: DIALLO",
                    "Given names: AMINA",
                    "Born: 1991-04-12",
                    "P<ORGDIALLO<<AMINA<<<<<<<",
                ),
                seed=i,
            )
            for i in range(10)
        ],
    }
    sources = {}
    for name, frames in feeds.items():
        (folder / name).mkdir(parents=True)
        for i, frame in enumerate(frames):
            cv2.imwrite(str(folder / name / f"{i:03}.png"), frame)
        source = device_capture(ClientSettings(data_dir=folder, document_camera=str(folder / name), **sbi))
        source.status()  # discovered before the screens ask what is there
        sources[name] = source
    return sources


SIZES_SHOTS = frozenset(
    {
        "03-home",
        "04-registration-demographics",
        "05-registration-documents",
        "07-registration-biometrics",
        "09-preview",
        "13-end-of-day",
        "14-sync-centre",
    }
)


@contextmanager
def simulator(folder: Path) -> Iterator[dict[str, object]]:
    """The SBI simulator as its own process (as ``openreg demo`` starts it): the kiosk's device settings
    for it. The tour captures biometrics through the real device path, never generated samples."""
    from demo.headless import simulator_settings, spawn_simulator, stop

    started = spawn_simulator(folder)
    if started is None:
        raise SystemExit("screenshots: the SBI simulator did not start (see demo/sbi_simulator)")
    try:
        yield simulator_settings(started, folder)
    finally:
        stop(started[0])


def take(
    out_dir: Path,
    *,
    size: tuple[int, int] = (1024, 768),
    language: str = "eng",
    only: frozenset[str] | None = None,
) -> list[Path]:
    """Drive the tour once at SIZE with LANGUAGE as the kiosk language; save every shot, or those named
    in ONLY (then the trust scenes and the setup shot are left out)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from client.ui.app import build_window, qt_app
    from demo.kiosk_fixture import (
        OPERATOR,
        SUPERVISOR,
        SUPERVISOR_TOTP,
        seeded_kiosk,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    app = qt_app()
    saved: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp, simulator(Path(tmp) / "devices") as sbi:
        client = seeded_kiosk(Path(tmp) / "kiosk")
        client.registrations.cache_preregistration(
            prereg_id=PREREG_ID, data={"fullName": "Amina Diallo", "gender": "FLE", "region": "R1"}
        )
        cameras = _camera_sources(Path(tmp) / "camera", sbi)
        window = build_window(client, devices=cameras["slip"])
        window.resize(*size)
        window.show()

        def save(widget, name: str) -> None:
            if only is None or name in only:
                path = out_dir / f"{name}.png"
                widget.grab().save(str(path))
                saved.append(path)

        def shot(name: str) -> None:
            _settle(app)
            save(window, name)

        def speak(code: str) -> None:
            window.language_box.setCurrentIndex(window.language_box.findData(code))

        speak(language)

        login = window.screens["login"]
        login.user.setText(OPERATOR[0])
        shot("01-login")
        login.password.setText("wrong")
        login.attempt()
        _wait(app, window, lambda: login.submit.isEnabled() and not login.password.text())
        shot("02-login-wrong-password")
        speak("ara")
        login.password.setText("wrong")
        login.attempt()
        _wait(app, window, lambda: login.submit.isEnabled() and not login.password.text())
        shot("02a-login-wrong-password-arabic")
        speak(language)
        login.password.setText(OPERATOR[2])
        login.attempt()
        _wait(app, window, lambda: window.current_name() == "home")
        home = window.screens["home"]
        _wait(app, window, lambda: home.cards["today"].number.text() != "–")  # figures read
        shot("03-home")
        window.show_screen("registration")
        wizard = window.screens["registration"]
        _wait(app, window, lambda: bool(wizard.pages))
        wizard.scan_prereg()
        scanner = wizard.scan_dialog
        _wait(app, window, lambda: scanner.view.frames_shown >= 4)
        save(scanner, "04a-scan-pre-registration")
        _wait(app, window, lambda: wizard.registration.prereg_id == PREREG_ID, timeout_s=30)
        window.ctx.devices = cameras["passport"]  # the documents step films a passport
        wizard.start(prereg_id=PREREG_ID)
        _wait(app, window, lambda: bool(wizard.pages) and wizard.next_button.isEnabled())
        page = wizard.pages[0]
        page.set_values(
            {
                "consent": "I_AGREE",
                "fullName": "Amina Diallo",
                "dateOfBirth": "2012-04-12",
                "gender": "FLE",
                "region": "R1",
                "province": "P1",
                "city": "C1",
            }
        )
        wizard.next()  # shows the inline messages of what is still missing
        shot("04-registration-demographics")
        page.set_values(
            {
                "postalCode": "Z1",
                "addressLine": "12 Palm Street",
                "guardianName": "Moussa Diallo",
                "phone": "+000 555 0101",
            }
        )
        wizard.next()
        docs = wizard.stack.currentWidget()
        _wait(app, window, lambda: docs.view is not None and docs.view.frames_shown >= 3)
        shot("05-registration-documents")
        docs.types[docs.target].setCurrentIndex(0)  # the officer chooses the type before capturing
        docs.capture_camera(docs.target)  # the passport on screen becomes the proof of identity
        _wait(app, window, lambda: "proofOfIdentity" in wizard.registration.documents)
        speak("ara")
        shot("06-registration-documents-arabic")
        speak(language)
        scan = Path(tmp) / "birth-certificate.png"
        window.grab().save(str(scan))
        docs.types["proofOfRelationship"].setCurrentIndex(0)
        docs.attach("proofOfRelationship", scan)
        wizard.next()
        bio = wizard.stack.currentWidget()
        bio.panels["left_slap"].markers["Left IndexFinger"].setChecked(True)
        for group in list(bio.panels)[:3]:
            bio.capture(group)
            _wait(app, window, lambda g=group: wizard.registration.attempts.get(g, 0) >= 1)
        bio.side.select("left_slap")  # the hand with the finger marked missing
        shot("07-registration-biometrics")
        for group in list(bio.panels)[3:]:
            bio.capture(group)
            _wait(app, window, lambda g=group: wizard.registration.attempts.get(g, 0) >= 1)
        bio.take_exception_photo()
        _wait(app, window, lambda: wizard.registration.exception_photo is not None)
        wizard.next()
        dialog = wizard.supervisor_dialog
        dialog.user.setText(SUPERVISOR[0])
        dialog.password.setText(SUPERVISOR[2])
        save(dialog, "08-supervisor-approval")
        import pyotp

        dialog.totp.setText(pyotp.TOTP(SUPERVISOR_TOTP).now())
        dialog.attempt()
        _wait(app, window, lambda: window.current_name() == "preview")
        shot("09-preview")
        preview = window.screens["preview"]
        preview.sign_off()  # asks the officer's password again
        preview.reauth_dialog.password.setText(OPERATOR[2])
        preview.reauth_dialog.attempt()
        _wait(app, window, lambda: preview.finished is not None or bool(preview.message.text()))
        if preview.finished is not None:
            shot("10-signed-off")
            preview.print_preview()
            _wait(app, window, lambda: getattr(preview, "preview_dialog", None) is not None)
            receipt = preview.preview_dialog
            receipt.resize(1000, 820)
            _settle(app, 800)  # it opens at page width by itself
            save(receipt, "10a-receipt-print-preview")
            receipt.close()
        else:  # e.g. the packet builder (shared.packet) is not installed yet: say so, keep going
            print(f"note: sign-off not shown: {preview.message.text()}")
        window.lock()
        _settle(app, 300)
        shot("11-lock")
        window.contrast.setChecked(True)
        shot("12-lock-high-contrast")
        window.contrast.setChecked(False)
        window.screens["lock"].switch.click()
        _settle(app, 300)
        login.user.setText(SUPERVISOR[0])
        login.password.setText(SUPERVISOR[2])
        login.attempt()
        _wait(app, window, lambda: window.current_name() == "home")
        window.show_screen("end_of_day")
        _settle(app, 500)
        window.ctx.ops.wait()
        shot("13-end-of-day")
        eod = window.screens["end_of_day"]
        # the supervisor opens the packet: summary beside the acknowledgement, in English and Arabic
        for language, name in (("eng", "13b-end-of-day-open"), ("ara", "13c-end-of-day-open-arabic")):
            if not eod.rows:
                break
            window.language_box.setCurrentIndex(window.language_box.findData(language))
            eod.open_packet(0)
            _wait(app, window, lambda: eod.dialog.page_count > 0, timeout_s=20)
            _settle(app, 300)
            eod.dialog.grab().save(str(out_dir / f"{name}.png"))
            saved.append(out_dir / f"{name}.png")
            eod.dialog.close()
        window.language_box.setCurrentIndex(window.language_box.findData("eng"))

        def confirm_approve_all() -> None:  # the question is modal: photograph it, then say Yes
            box = app.activeModalWidget()
            if box is None:
                QTimer.singleShot(20, confirm_approve_all)
                return
            save(box, "13a-end-of-day-approve-all-confirm")
            next(b for b in box.buttons() if box.buttonRole(b) == box.ButtonRole.YesRole).click()

        QTimer.singleShot(300, confirm_approve_all)
        eod.approve_all_button.click()
        _settle(app, 300)
        if eod.dialog is not None and eod.dialog.objectName() == "eod_password_dialog":
            eod.dialog.password.setText(SUPERVISOR[2])  # approving all needs the password again
            eod.dialog.attempt()
            _wait(app, window, lambda: not eod.rows)
        window.ctx.ops.wait()
        window.show_screen("sync")
        _settle(app, 300)
        window.ctx.ops.wait()
        shot("14-sync-centre")
        window.show_screen("home")
        speak("ara")
        _wait(app, window, lambda: True)
        shot("15-home-supervisor-arabic")
        speak(language)
        from demo.screenshots_trust import quarantine_scenes, reenrol_scene

        if preview.finished is not None and only is None:  # a sealed packet exists to damage
            quarantine_scenes(app, window, client, shot)
        if only is None:
            reenrol_scene(app, window, shot)
            from demo.screenshots_flows import flow_scenes

            flow_scenes(app, window, client, shot)  # 20-29: update, lost UIN, correction
        window.close()
        window.ctx.ops.wait()
        for source in cameras.values():
            source.close()
        client.close()
        if only is None:
            saved.append(_setup_shot(app, out_dir, Path(tmp) / "fresh", size))
    QApplication.processEvents()
    return saved


def _setup_shot(app, out_dir: Path, data_dir: Path, size: tuple[int, int]) -> Path:
    from client.core.bootstrap import build_client
    from client.core.settings import ClientSettings
    from client.ui.app import build_window
    from demo.kiosk_fixture import UnavailableSealer

    client = build_client(
        ClientSettings(data_dir=data_dir, keyring_file=data_dir / "k.cfg"), sealer=UnavailableSealer()
    )
    window = build_window(client)
    window.resize(*size)
    window.show()
    _wait(app, window, lambda: window.current_name() == "setup")
    setup = window.screens["setup"]
    setup.server.setText("https://registration.example.org")
    setup.center.setText("10001")
    path = out_dir / "00-first-run-setup.png"
    window.grab().save(str(path))
    window.close()
    window.ctx.ops.wait()
    client.close()
    return path


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1] if len(argv) > 1 else "docs/screenshots")
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" and not os.environ.get(
        "OPENREG_SCREENSHOTS_OFFSCREEN"
    ):
        os.environ.pop(
            "QT_QPA_PLATFORM"
        )  # make exports offscreen for tests; screenshots want a real X server
    xvfb = _start_xvfb()
    try:
        for path in take(out_dir):
            print(f"saved {path}")
        from client.ui.app import qt_app
        from demo.screenshots_scanner import scanner_scenes

        for path in scanner_scenes(qt_app(), out_dir, wait=_wait, settle=_settle, size=(1024, 768)):
            print(f"saved {path}")
        for size, language in (((1920, 1080), "eng"), ((1920, 1080), "ara"), ((1024, 768), "ara")):
            folder = out_dir / "sizes" / f"{language}-{size[0]}x{size[1]}"
            for path in take(folder, size=size, language=language, only=SIZES_SHOTS):
                print(f"saved {path}")
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

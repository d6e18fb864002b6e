"""Screenshot scenes of the identity lifecycle on the kiosk (issue 17): the home's services, and each
step of an update, a lost-UIN search and a correction, in English and Arabic.

Called from :mod:`demo.screenshots` after its tour, or on its own with generated captures (no
simulator): ``python -m demo.screenshots_flows OUT_DIR`` (Xvfb, or offscreen when there is none).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from client.core.registration.biometrics import CAPTURE_GROUPS
from client.core.registration.repository import Registrations
from demo.screenshots import _settle, _wait

UIN = "4829156370"
REQUEST = "Attach a proof of identity: the passport scan was unreadable."


def hold_a_packet(client) -> str:
    """A lost-UIN packet of this kiosk sealed through the core, then held by the server for a document
    (what a status poll records); returns its RID."""
    from demo.kiosk_fixture import OPERATOR
    from demo.samples import capture_group

    session = client.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    reg = client.registrations.start(session=session, flow="lost")
    reg.submit_demographics({"consent": "I_AGREE", "fullName": "Karim Nasser"})
    for group in CAPTURE_GROUPS:
        reg.record_capture(group=group, records=capture_group(group, seed=9))
    reg.submit_biometrics()
    rid = client.registrations.finish(session=session, registration=reg).rid
    with client.store.transaction() as conn:
        Registrations(conn).record_outcome(
            rid=rid,
            status="processing",
            uin=None,
            reason=REQUEST,
            reason_code="more_information",
            at="2026-06-01T10:00:00+00:00",
        )
    return rid


def flow_scenes(app, window, client, shot: Callable[[str], None]) -> None:
    """20-29: home's services; update (choice, details, authentication, preview); lost (details,
    biometrics); correction (choice with the server's request, documents, preview). Each also in
    Arabic (``<n>a-…-arabic``). The window is signed in as an operator, on any screen."""

    def both(name: str) -> None:
        shot(name)
        speak("ara")
        _settle(app, 250)
        shot(name.replace("-", "a-", 1) + "-arabic")
        speak("eng")
        _settle(app, 150)

    def speak(code: str) -> None:
        window.language_box.setCurrentIndex(window.language_box.findData(code))

    def open_flow(flow: str):
        window.show_screen("home")
        home = window.screens["home"]
        _wait(app, window, lambda: home.flow_buttons[flow].isVisible())
        home.flow_buttons[flow].click()
        wizard = window.screens[flow]
        _wait(app, window, lambda: bool(wizard.pages) and wizard.next_button.isEnabled())
        return wizard

    def capture(wizard, *groups: str) -> None:
        page = wizard.current_page()
        for group in groups:
            page.capture(group)
            _wait(app, window, lambda g=group: wizard.registration.attempts.get(g, 0) >= 1, 30)

    rid = hold_a_packet(client)
    window.show_screen("home")
    home = window.screens["home"]
    _wait(app, window, lambda: home.flow_buttons["correction"].isVisible())
    both("20-home-services")

    wizard = open_flow("update")
    choice = wizard.current_page()
    choice.key.setText(UIN[:-1] + "1")
    wizard.next()  # the mistyped digit and nothing chosen, worded
    both("21-update-choice-problems")
    choice.key.setText(UIN)
    choice.boxes["address"].setChecked(True)
    choice.boxes["documents"].setChecked(True)
    wizard.next()
    form = wizard.current_page()
    form.set_values({"consent": "I_AGREE", "region": "R1", "addressLine": "3 Harbour Road"})
    form.set_values({"province": "P1"})
    form.set_values({"city": "C1"})
    both("22-update-new-address")
    wizard.next()
    docs = wizard.current_page()
    docs.registration.add_document(
        field_id="proofOfAddress",
        doc_type="utility_bill",
        name="bill.png",
        content_type="image/png",
        data=_page_png(window),
    )
    docs.refresh()
    both("23-update-documents")
    wizard.next()
    capture(wizard, "right_slap")
    both("24-update-authentication")
    wizard.next()
    _wait(app, window, lambda: window.current_name() == "preview")
    both("25-update-preview")
    wizard.discard()

    wizard = open_flow("lost")
    wizard.current_page().set_values({"consent": "I_AGREE", "fullName": "Amina Diallo"})
    both("26-lost-remembered")
    wizard.next()
    capture(wizard, *CAPTURE_GROUPS)
    both("27-lost-biometrics")
    wizard.discard()

    wizard = open_flow("correction")
    choice = wizard.current_page()
    choice.held_list.setCurrentRow(0)
    _wait(app, window, lambda: choice.key.text() == rid)
    both("28-correction-choice")
    wizard.next()
    wizard.next()
    wizard.next()  # nothing sent yet: the step says what is missing
    both("29-correction-documents-problem")
    wizard.discard()
    window.show_screen("home")


def _page_png(window) -> bytes:
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    window.grab().scaledToWidth(400).save(buffer, "PNG")
    return bytes(buffer.data())


def main(argv: list[str]) -> int:
    """Render the scenes with a locally seeded kiosk and generated captures into OUT_DIR."""
    from demo.screenshots import _start_xvfb

    out_dir = Path(argv[1] if len(argv) > 1 else "/tmp/kiosk-flows")
    out_dir.mkdir(parents=True, exist_ok=True)
    xvfb = _start_xvfb()
    try:
        from client.ui.app import build_window, qt_app
        from demo.kiosk_fixture import OPERATOR, SampleBiometricSource, seeded_kiosk

        app = qt_app()
        with tempfile.TemporaryDirectory() as tmp:
            client = seeded_kiosk(Path(tmp) / "kiosk")
            window = build_window(client, devices=SampleBiometricSource())
            window.resize(1024, 768)
            window.show()
            login = window.screens["login"]
            login.user.setText(OPERATOR[0])
            login.password.setText(OPERATOR[2])
            login.attempt()
            _wait(app, window, lambda: window.current_name() == "home")

            def shot(name: str) -> None:
                _settle(app)
                path = out_dir / f"{name}.png"
                window.grab().save(str(path))
                print(f"saved {path}")

            flow_scenes(app, window, client, shot)
            window.close()
            window.ctx.ops.wait()
            client.close()
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

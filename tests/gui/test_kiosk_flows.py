"""Home offers every process of the UI spec; the update, lost-UIN and correction wizards in the real window,
keyboard and Back/Cancel as the New Registration's, sealed by the real packet builder and opened with
the server identity; the process page in French and Arabic (right to left) without English."""

import pyrage
import pytest
from PySide6.QtCore import Qt

from client.core.registration.biometrics import CAPTURE_GROUPS
from client.core.registration.repository import Registrations
from client.core.registration.workflow import Step
from client.ui.app import build_window
from client.ui.i18n import tr
from client.ui.screens.process_page import ProcessPage
from demo.kiosk_fixture import OPERATOR, seeded_kiosk
from demo.samples import capture_group

from .conftest import sign_in
from .kiosk_steps import answer_next_question, answer_reauth, choose_document_type
from .screen_tour import SampleDevices
from .ui_walk import english_leaks, visible_texts

packet = pytest.importorskip("shared.packet")
UIN = "4829156370"


@pytest.fixture
def kiosk(tmp_path):
    identity = pyrage.x25519.Identity.generate()
    client = seeded_kiosk(tmp_path / "kiosk", recipient=str(identity.to_public()))
    client.identity = identity  # what the server would open the packets with
    yield client
    client.close()


@pytest.fixture
def window(qtbot, kiosk):
    win = build_window(kiosk, devices=SampleDevices())
    qtbot.addWidget(win)
    win.resize(1200, 820)
    win.show()
    sign_in(qtbot, win, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: win.current_name() == "home", timeout=10_000)
    home = win.screens["home"]
    qtbot.waitUntil(lambda: home.flow_buttons["update"].isVisible(), timeout=10_000)
    yield win
    win.ctx.ops.wait()


def open_wizard(qtbot, window, flow):
    home = window.screens["home"]
    qtbot.mouseClick(home.flow_buttons[flow], Qt.MouseButton.LeftButton)
    wizard = window.screens[flow]
    assert window.current_name() == flow
    qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.next_button.isEnabled(), timeout=10_000)
    return wizard


def capture(qtbot, wizard, *groups):
    bio = wizard.current_page()
    for group in groups:
        bio.capture(group)
        qtbot.waitUntil(lambda g=group: wizard.registration.attempts.get(g, 0) >= 1, timeout=10_000)
    return bio


def sign_off(qtbot, window, kiosk):
    qtbot.waitUntil(lambda: window.current_name() == "preview")
    preview = window.screens["preview"]
    answer_reauth(OPERATOR[2])
    qtbot.mouseClick(preview.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: preview.finished is not None or bool(preview.message.text()), timeout=20_000)
    assert preview.finished is not None, preview.message.text()
    machine = kiosk.machine.identity().public_key
    path = preview.finished.packet_path
    return preview, packet.open_packet(
        path, identities=[str(kiosk.identity)], machine_public_key=machine
    ).contents


def test_home_offers_each_process_to_an_operator(window):
    home = window.screens["home"]
    assert home.new_button.isVisible() and all(b.isVisible() for b in home.flow_buttons.values())
    assert home.flow_buttons["lost"].text() == tr("action.lost", "eng")


def test_an_address_update_from_home_to_a_sealed_packet(qtbot, window, kiosk):
    wizard = open_wizard(qtbot, window, "update")
    choice = wizard.current_page()
    assert isinstance(choice, ProcessPage) and choice.key.hasFocus()  # the officer types the UIN at once
    assert not wizard.prereg.isVisible() and wizard.title.text() == tr("process.update.title", "eng")
    qtbot.keyClicks(choice.key, UIN[:-1] + "1")  # a mistyped digit
    qtbot.keyClick(wizard, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter = Next
    assert choice.key_error.text() == tr("process.problem.uin_check_digit", "eng")
    assert choice.groups_error.text() == tr("process.problem.no_group", "eng")
    choice.key.setText(UIN)
    choice.boxes["address"].setChecked(True)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    form = wizard.current_page()
    assert [f for f, w in form.inputs.items() if not w.isHidden()] == [
        "consent",
        "region",
        "province",
        "city",
        "postalCode",
        "addressLine",
    ]
    qtbot.mouseClick(wizard.back_button, Qt.MouseButton.LeftButton)  # Back to the choice, kept
    assert wizard.current_page() is choice and choice.key.text() == UIN
    assert wizard.registration.step == Step.PROCESS
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    form = wizard.current_page()
    form.set_values({"consent": "I_AGREE", "region": "R1", "addressLine": "3 Harbour Road"})
    form.set_values({"province": "P1"})
    form.set_values({"city": "C1"})
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    bio = wizard.current_page()
    assert type(bio).__name__ == "BiometricsPage" and bio.auth_hint.isVisible()
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)  # nothing captured yet
    assert bio.errors.text() == tr("bio.problem.auth_capture_needed", "eng")
    capture(qtbot, wizard, "right_slap")
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.current_name() == "preview")
    text = window.screens["preview"].summary.toPlainText()
    assert f"Update of UIN {UIN}: Address" in text
    _preview, contents = sign_off(qtbot, window, kiosk)
    meta = packet.read_meta(contents.meta)
    assert (meta.flow, meta.uin, meta.update_groups) == ("update", UIN, ["address"])
    assert (
        contents.demographics["addressLine"] == "3 Harbour Road" and "fullName" not in contents.demographics
    )


def test_a_lost_uin_search_and_cancel_asks_first(qtbot, window, kiosk):
    wizard = open_wizard(qtbot, window, "lost")
    form = wizard.current_page()
    assert "consent" in form.inputs and form._labels["fullName"][0].text() == "Full name"  # no star
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert form.errors["consent"].isVisible() and wizard.current_page() is form
    form.set_values({"consent": "I_AGREE", "fullName": "Amina Diallo"})
    answer_next_question(yes=False)  # Cancel with something entered asks; No keeps the work
    qtbot.mouseClick(wizard.cancel_button, Qt.MouseButton.LeftButton)
    assert window.current_name() == "lost" and wizard.registration is not None
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    bio = capture(qtbot, wizard, *CAPTURE_GROUPS)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert not bio.errors.text() and len(wizard.pages) == 2  # the details, the biometrics
    _preview, contents = sign_off(qtbot, window, kiosk)
    assert packet.read_meta(contents.meta).flow == "lost"
    assert contents.demographics["fullName"] == "Amina Diallo"


def held_packet(kiosk, reason: str = "Attach a proof of identity") -> str:
    """A lost-UIN packet of this kiosk that the server holds, asking for ``reason``."""
    session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    reg = kiosk.registrations.start(session=session, flow="lost")
    assert reg.submit_demographics({"consent": "I_AGREE"}).ok
    for group in CAPTURE_GROUPS:
        reg.record_capture(group=group, records=capture_group(group, seed=3))
    assert reg.submit_biometrics() == {}
    rid = kiosk.registrations.finish(session=session, registration=reg).rid
    with kiosk.store.transaction() as conn:
        Registrations(conn).record_outcome(
            rid=rid,
            status="processing",
            uin=None,
            reason=reason,
            reason_code="more_information",
            at="2026-06-01T10:00:00+00:00",
        )
    return rid


def test_a_correction_answers_the_request_of_a_held_packet(qtbot, window, kiosk, tmp_path):
    rid = held_packet(kiosk)
    wizard = open_wizard(qtbot, window, "correction")
    choice = wizard.current_page()
    choice.key.setText("10001100420009920260101000000")  # a RID the kiosk has no request for
    assert choice.hint.text() == tr("process.request_unknown", "eng")
    assert choice.held_list.count() == 1
    choice.held_list.setCurrentRow(0)  # picking the held packet fills its RID and shows the request
    assert choice.key.text() == rid and "Attach a proof of identity" in choice.hint.text()
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)  # nothing corrected in the details
    docs = wizard.current_page()
    assert type(docs).__name__ == "DocumentsPage"
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.message.text() == tr("process.problem.nothing_to_send", "eng")
    scan = tmp_path / "passport.png"
    window.grab().save(str(scan))
    choose_document_type(docs, "proofOfIdentity", "passport")
    docs.attach("proofOfIdentity", scan)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)  # no biometrics: to the preview
    _preview, contents = sign_off(qtbot, window, kiosk)
    meta = packet.read_meta(contents.meta)
    assert (meta.flow, meta.correction_of) == ("correction", rid)
    assert contents.biometrics == [] and len(contents.documents) == 1


@pytest.mark.parametrize("language", ["fra", "ara"])
def test_the_process_pages_speak_the_chosen_language(qtbot, window, kiosk, language):
    held_packet(kiosk, reason={"fra": "Joindre une pièce d'identité", "ara": "أرفق إثبات الهوية"}[language])
    window.ctx.language.set(language)
    for flow in ("update", "correction"):
        wizard = open_wizard(qtbot, window, flow)
        wizard.next()  # the problems, worded
        leaks = english_leaks(visible_texts(window))
        assert not leaks, leaks
        assert window.layoutDirection() == (
            Qt.LayoutDirection.RightToLeft if language == "ara" else Qt.LayoutDirection.LeftToRight
        )
        wizard.discard()

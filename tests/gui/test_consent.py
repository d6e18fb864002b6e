"""Issue 14: the consent text comes first, in the kiosk and second languages, and Next waits for it."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox

from client.core.master_data import apply_changes
from client.ui.i18n import tr
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON

from .conftest import sign_in
from .kiosk_steps import tick_consent


def _open_wizard(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.next_button.isEnabled())
    return wizard


@pytest.mark.parametrize("language", ["eng", "fra", "ara"])
def test_next_is_refused_in_words_until_the_applicant_agrees(qtbot, window, language):
    wizard = _open_wizard(qtbot, window)
    window.ctx.language.set(language)
    page = wizard.pages[0]
    box = page.inputs["consent"]
    assert isinstance(box, QCheckBox) and next(iter(page.inputs)) == "consent"
    assert box.accessibleName() and box.text() == box.accessibleName()
    texts = wizard.registration.consent.texts
    shown = [b for b in page.consent_panel.texts if b.isVisible()]
    second = [] if language == "ara" else ["ara"]
    assert [b.toPlainText() for b in shown] == [texts[language]] + [texts[s] for s in second]
    arabic = shown[-1].document().defaultTextOption()  # Arabic reads right to left, flush right
    assert arabic.textDirection() == Qt.LayoutDirection.RightToLeft
    assert (
        arabic.alignment() & Qt.AlignmentFlag.AlignRight
        and arabic.alignment() & Qt.AlignmentFlag.AlignAbsolute
    )
    page.set_values({k: v for k, v in SAMPLE_PERSON.items() if k != "consent"})
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.stack.currentIndex() == 0 and wizard.registration.step.value == "demographics"
    assert page.errors["consent"].text() == tr("consent.required", language)
    tick_consent(qtbot, page)
    assert page.errors["consent"].isHidden()
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.stack.currentIndex() == 1, wizard.message.text()
    assert wizard.registration.values["consent"] == "I_AGREE"
    assert wizard.registration.consent_shown == (language, *second)


def test_declining_is_a_cancel_that_asks_nothing(qtbot, window):
    wizard = _open_wizard(qtbot, window)
    qtbot.mouseClick(wizard.cancel_button, Qt.MouseButton.LeftButton)
    assert window.current_name() == "home" and wizard.discard_box is None


def test_without_the_text_in_master_data_the_box_cannot_be_ticked(qtbot, kiosk, window):
    with kiosk.store.transaction() as conn:  # the template row never arrived
        apply_changes(conn, [{"entity": "templates", "id": "registration_consent", "op": "delete"}])
    wizard = _open_wizard(qtbot, window)
    page = wizard.pages[0]
    assert not page.inputs["consent"].isEnabled()
    assert page.consent_panel.missing.text() == tr("consent.no_text", "eng")


def test_the_preview_words_the_consent(qtbot, window, kiosk):
    from client.ui.screens.registration import load_form_inputs
    from demo.samples import capture_group

    window.ctx.session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    reg, _options = load_form_inputs(window.ctx, None)
    assert reg.submit_demographics(SAMPLE_PERSON).ok
    reg.add_document(
        field_id="proofOfIdentity", doc_type="passport", name="p.png", content_type="image/png", data=b"x"
    )
    reg.submit_documents()
    for group in {g for g, _, _ in reg.required_slots()}:
        reg.record_capture(group=group, records=capture_group(group, seed=1, quality=90))
    assert reg.submit_biometrics() == {}
    preview = window.screens["preview"]
    preview.load(reg)
    shown = preview.summary.toPlainText()
    assert tr("consent.agreed", "eng") in shown and "I_AGREE" not in shown

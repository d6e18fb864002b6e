"""The documents step: the type is chosen before a document is taken, an attached document shows as a
thumbnail (nothing moves), opens large, is removed only when the officer says Yes, and only the documents
that apply to the applicant are offered."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from client.ui.document_thumbnail import THUMBNAIL
from client.ui.i18n import tr
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON
from tests.support.devices import DocumentCamera, capture_over

from .conftest import sign_in
from .kiosk_steps import answer_next_question, choose_document_type

MINOR = {**SAMPLE_PERSON, "dateOfBirth": "2018-03-01", "guardianName": "Musa Diallo"}


@pytest.fixture
def open_page(qtbot, window, kiosk):
    """A documents page for a registration whose demographics are ``person`` (shown, 1000×700)."""
    from client.ui.screens.documents_page import DocumentsPage
    from client.ui.screens.registration import load_form_inputs

    window.ctx.session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    opened = []

    def make(person=SAMPLE_PERSON, devices=None):
        window.ctx.devices = devices
        if devices is not None:
            devices.refresh()  # the kiosk discovers its devices on the worker when it opens
            opened.append(devices)
        registration, options = load_form_inputs(window.ctx, None)
        assert registration.submit_demographics(person).ok
        page = DocumentsPage(
            registration=registration, ctx=window.ctx, screen_id="documents", options=options, language="eng"
        )
        qtbot.addWidget(page)
        page.resize(1000, 700)
        page.show()
        qtbot.waitExposed(page)
        return page

    yield make
    window.ctx.ops.wait()
    for devices in opened:
        devices.close()


def _picture(tmp_path, name="scan.png"):
    image = QImage(800, 600, QImage.Format.Format_RGB32)
    image.fill(QColor("#3366aa"))
    path = tmp_path / name
    assert image.save(str(path))
    return path


def _wheel(widget: QWidget) -> None:
    pos = QPointF(widget.rect().center())
    QApplication.sendEvent(
        widget,
        QWheelEvent(
            pos,
            QPointF(widget.mapToGlobal(pos.toPoint())),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        ),
    )


def test_nothing_is_taken_before_the_type_is_chosen(open_page, tmp_path, monkeypatch):
    page = open_page(devices=capture_over(DocumentCamera()))
    combo = page.types["proofOfIdentity"]
    assert combo.currentIndex() == -1 and combo.placeholderText() == tr("docs.choose_type", "eng")
    _wheel(combo)  # the wheel guard stays: scrolling past does not choose a type
    assert combo.currentIndex() == -1 and combo.focusPolicy() == Qt.FocusPolicy.StrongFocus

    assert page.attach("proofOfIdentity", _picture(tmp_path)) is False
    assert page.errors["proofOfIdentity"].text() == tr("docs.type_first", "eng")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: pytest.fail("no file dialog yet"))
    page.pick_file("proofOfIdentity")
    page.capture_camera("proofOfIdentity")
    assert page.camera_error.text() == tr("docs.type_first", "eng") and page.capture_button.isEnabled()
    page.retranslate("ara")  # the refusal follows the language
    assert page.errors["proofOfIdentity"].text() == tr("docs.type_first", "ara")
    page.retranslate("eng")
    assert page.registration.documents == {}

    choose_document_type(page, "proofOfIdentity", "passport")
    assert page.errors["proofOfIdentity"].text() == "" and page.camera_error.text() == ""
    assert page.attach("proofOfIdentity", _picture(tmp_path))
    assert page.registration.documents["proofOfIdentity"].doc_type == "passport"
    page.retranslate("ara")  # a language switch keeps the chosen type
    assert page.types["proofOfIdentity"].currentData() == "passport"


def test_a_thumbnail_appears_and_nothing_moves(open_page, qtbot, tmp_path):
    page = open_page()
    rows = page.rows.values()
    watched = [w for r in rows for w in [*r.widgets(), r.file, r.remove, r.status, r.error] if w.isVisible()]
    before = [w.geometry() for w in watched]
    thumbnail = page.rows["proofOfIdentity"].thumbnail
    assert thumbnail.icon().isNull() and thumbnail.text().split() == tr("docs.none", "eng").split()
    assert not thumbnail.isEnabled() and thumbnail.objectName() == "docview_proofOfIdentity"

    choose_document_type(page, "proofOfIdentity")
    page.attach("proofOfIdentity", _picture(tmp_path))
    choose_document_type(page, "proofOfAddress")
    pdf = tmp_path / "lease.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"0" * 4096)
    page.attach("proofOfAddress", pdf)
    QApplication.processEvents()
    assert [w.geometry() for w in watched] == before
    assert thumbnail.isEnabled() and thumbnail.text() == tr("docs.view", "eng")
    shown = thumbnail.icon().pixmap(THUMBNAIL)
    assert not shown.isNull() and shown.width() <= THUMBNAIL.width() and shown.height() <= THUMBNAIL.height()
    assert shown.toImage().pixelColor(shown.width() // 2, shown.height() // 2) == QColor("#3366aa")
    assert not page.rows["proofOfAddress"].thumbnail.icon().isNull()  # the page icon
    assert "lease.pdf" in page.status["proofOfAddress"].text()
    assert page.rows["proofOfIdentity"].file.text() == tr("docs.replace", "eng")


def test_the_view_opens_and_closes_by_keyboard(open_page, qtbot, tmp_path):
    page = open_page()
    choose_document_type(page, "proofOfIdentity")
    page.attach("proofOfIdentity", _picture(tmp_path))
    view = page.rows["proofOfIdentity"].thumbnail  # the View action
    for close_key in (Qt.Key.Key_Escape, Qt.Key.Key_Return):
        view.setFocus()
        qtbot.keyClick(view, Qt.Key.Key_Return)
        viewer = page.viewer
        qtbot.waitUntil(lambda v=viewer: v.isVisible())
        assert viewer.picture.pixmap().width() >= 4 * page.rows["proofOfIdentity"].thumbnail.width()  # large
        qtbot.keyClick(viewer, close_key)  # the dialog is the active window
        qtbot.waitUntil(lambda v=viewer: not v.isVisible())


def test_remove_asks_first(open_page, qtbot, tmp_path):
    page = open_page()
    choose_document_type(page, "proofOfIdentity")
    page.attach("proofOfIdentity", _picture(tmp_path, "passport.png"))
    remove = page.rows["proofOfIdentity"].remove
    seen: list[str] = []
    answer_next_question(yes=False, seen=seen)
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.remove_box is not None and not page.remove_box.isVisible())
    assert "proofOfIdentity" in page.registration.documents
    assert seen == [tr("docs.remove_title", "eng")]
    assert "passport.png" in page.remove_box.informativeText()

    answer_next_question(yes=True)
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "proofOfIdentity" not in page.registration.documents)
    assert page.rows["proofOfIdentity"].thumbnail.icon().isNull() and not remove.isEnabled()
    assert not page.status["proofOfIdentity"].text().strip()


def test_proof_of_relationship_only_for_a_minor(open_page):
    adult = open_page()
    assert adult.field_ids == ["proofOfIdentity", "proofOfAddress"]
    assert adult.labels["proofOfRelationship"].isHidden() and adult.types["proofOfRelationship"].isHidden()
    minor = open_page(MINOR)
    assert minor.field_ids == ["proofOfIdentity", "proofOfAddress", "proofOfRelationship"]
    assert minor.labels["proofOfRelationship"].isVisible()
    assert minor.labels["proofOfRelationship"].text().endswith(" *")  # required for a minor
    assert not minor.labels["proofOfAddress"].text().endswith(" *")


def test_the_wizard_offers_what_applies_after_the_demographics(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages))
    wizard.pages[0].set_values(MINOR)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    docs = wizard.stack.currentWidget()
    assert type(docs).__name__ == "DocumentsPage", wizard.message.text()
    assert "proofOfRelationship" in docs.field_ids and docs.types["proofOfRelationship"].isVisible()
    qtbot.mouseClick(wizard.back_button, Qt.MouseButton.LeftButton)
    wizard.pages[0].set_values({"dateOfBirth": "1991-04-12"})  # corrected: an adult after all
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.stack.currentWidget() is docs
    assert "proofOfRelationship" not in docs.field_ids and docs.types["proofOfRelationship"].isHidden()

"""The biometrics step: the side list says each group's state in words, the hand diagram marks a finger
missing with a reason that reaches the signed-off registration, the preview streams only the selected
panel's modality, the exception photo is one key away (F7) and shown once taken, and an SBI capture
(JPEG 2000 inside ISO 19794) shows a thumbnail per finger."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from client.core.registration.biometrics import CAPTURE_GROUPS
from client.core.registration.record_images import embedded_image
from client.ui.i18n import tr
from client.ui.screens.biometrics_page import BiometricsPage
from client.ui.screens.registration import load_form_inputs
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON
from demo.samples import capture_group
from tests.support.devices import kiosk_devices


class RecordingSource:
    """Sample records (quality per group) and a preview that notes which group was asked."""

    def __init__(self, quality: dict[str, int] | None = None) -> None:
        self.quality, self.calls, self.previewed, self.stopped = quality or {}, 0, [], []

    def capture_group(self, group, *, exceptions=()):
        self.calls += 1
        records = capture_group(group, seed=self.calls, quality=self.quality.get(group, 85))
        return [r for r in records if r.bio_subtype not in exceptions]

    def preview_frame(self, group):
        self.previewed.append(group)
        return embedded_image(capture_group(group, seed=1)[0].record)

    def stop_preview(self, modality):
        self.stopped.append(modality)


def _page(qtbot, window, kiosk, source) -> BiometricsPage:
    window.ctx.session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    window.ctx.devices = source
    reg, _options = load_form_inputs(window.ctx, None)
    reg.submit_demographics(SAMPLE_PERSON)
    reg.add_document(
        field_id="proofOfIdentity", doc_type="passport", name="p.png", content_type="image/png", data=b"x"
    )
    reg.submit_documents()
    screen = next(s.id for s in reg.engine.ui_spec.screens if s.kind == "biometrics")
    page = BiometricsPage(ctx=window.ctx, registration=reg, screen_id=screen, language="eng")
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    page.activateWindow()  # on the kiosk the page sits in the (active) main window; here it is its own
    qtbot.waitUntil(page.isActiveWindow)
    return page


def _words(key: str, **kw) -> str:
    return tr(f"bio.{key}", "eng", **kw)


def _capture(qtbot, page, group):
    before = page.registration.attempts.get(group, 0)
    page.capture(group)
    qtbot.waitUntil(lambda: page.registration.attempts.get(group, 0) > before, timeout=10000)


def test_side_list_states_follow_captures_marks_and_the_photo(qtbot, window, kiosk):
    page = _page(qtbot, window, kiosk, RecordingSource({"irises": 20}))
    side, reg = page.side, page.registration
    assert side.entries() == [*page.panels, "exception_photo"]
    assert all(side.status_of(g) == _words("status.not_captured") for g in page.panels)
    assert side.status_of("exception_photo") == _words("photo_status.not_needed")

    qtbot.mouseClick(page.panels["left_slap"].markers["Left LittleFinger"], Qt.MouseButton.LeftButton)
    assert side.status_of("left_slap") == _words(
        "status.with_missing", status=_words("status.not_captured"), n=1
    )
    assert side.status_of("exception_photo") == _words("photo_status.required")

    _capture(qtbot, page, "left_slap")
    assert side.status_of("left_slap") == _words("status.with_missing", status=_words("status.accepted"), n=1)
    assert side.current_key() == "right_slap"  # nothing left to do on the left hand: the next group
    _capture(qtbot, page, "irises")
    assert side.current_key() == "face" and page.stack.currentWidget() is page.panels["face"]
    assert side.status_of("irises") == _words(
        "status.with_attempt", status=_words("status.needs_attention"), n=1, max=reg.policy.max_retries
    )
    assert page.panels["irises"].attempts.text() == _words("attempts", n=1, max=reg.policy.max_retries)
    for group in ("thumbs", "irises"):  # no retry left: the best is kept below the threshold
        for _ in range(reg.policy.max_retries - reg.attempts.get(group, 0)):
            _capture(qtbot, page, group)
    assert side.status_of("irises") == _words("status.captured")

    marked = page.panels["thumbs"]
    for sub in marked.subtypes:
        marked.markers[sub].setChecked(True)
    assert side.status_of("thumbs") == _words("status.marked_missing")

    window.language_box.setCurrentIndex(window.language_box.findData("ara"))
    page.retranslate("ara")
    assert side.status_of("thumbs") == tr("bio.status.marked_missing", "ara")


def test_f5_captures_the_selected_group_and_moves_on_when_it_is_done(qtbot, window, kiosk):
    page = _page(qtbot, window, kiosk, RecordingSource({"thumbs": 20}))
    reg = page.registration
    page.side.select("thumbs")
    page.capture_current()
    qtbot.waitUntil(lambda: reg.attempts.get("thumbs") == 1, timeout=10000)
    assert page.side.current_key() == "irises"  # captured (too low, retry allowed): the next group to do
    page.side.select("exception_photo")
    page.capture_current()  # from the photo: the first group still to do
    qtbot.waitUntil(lambda: reg.attempts.get("left_slap") == 1, timeout=10000)
    assert page.side.current_key() == "right_slap"


def test_side_list_is_keyboard_navigable(qtbot, window, kiosk):
    page = _page(qtbot, window, kiosk, RecordingSource())
    page.side.setFocus()
    qtbot.keyClick(page.side, Qt.Key.Key_Down)
    assert page.side.current_key() == "right_slap" and page.stack.currentWidget() is page.panels["right_slap"]
    qtbot.keyClick(page.side, Qt.Key.Key_Return)
    assert page.focusWidget() is page.panels["right_slap"].capture


def test_hand_diagram_marks_a_finger_with_a_reason_that_reaches_the_registration(qtbot, window, kiosk):
    page = _page(qtbot, window, kiosk, RecordingSource())
    reg, panel = page.registration, page.panels["right_slap"]
    page.side.select("right_slap")
    panel.reason_box.setCurrentIndex(panel.reason_box.findData("temporary"))
    mark = panel.markers["Right IndexFinger"]
    assert mark.accessibleName() == "Right index finger"
    mark.setFocus()
    qtbot.keyClick(mark, Qt.Key.Key_Space)
    assert reg.exceptions[("finger", "Right IndexFinger")].reason == "temporary"
    assert mark.isChecked() and "temporary" in mark.accessibleDescription()
    qtbot.keyClick(mark, Qt.Key.Key_Right)  # the next finger in the drawing
    assert page.focusWidget() is panel.markers["Right MiddleFinger"]
    panel.reason_box.setCurrentIndex(panel.reason_box.findData("amputated"))  # the reason, after the finger
    assert reg.exceptions[("finger", "Right IndexFinger")].reason == "amputated"
    assert panel.bars["Right IndexFinger"].format() == "missing (amputated)"

    for group in page.panels:
        _capture(qtbot, page, group)
    qtbot.keyClick(page, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: reg.exception_photo is not None, timeout=10000)
    assert reg.submit_biometrics() == {}
    reg.approve_by_supervisor(supervisor_id="sup1")
    done = reg.sign_off(operator_id=reg.operator_id)
    assert [(e.bio_subtype, e.reason) for e in done.exceptions] == [("Right IndexFinger", "amputated")]
    assert ("finger", "Right IndexFinger") not in {(b.modality, b.bio_subtype) for b in done.biometrics}


def test_exception_photo_is_one_key_away_and_shown_once_taken(qtbot, window, kiosk):
    page = _page(qtbot, window, kiosk, RecordingSource())
    assert "F7" in page.photo_button.text()
    qtbot.keyClick(page, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: page.registration.exception_photo is not None, timeout=10000)
    assert page.stack.currentWidget() is page.photo_panel
    assert not page.photo_panel.photo.pixmap().isNull()
    assert page.side.status_of("exception_photo") == _words("photo_status.taken")


def test_each_panel_previews_its_own_modality(qtbot, window, kiosk):
    source = RecordingSource()
    page = _page(qtbot, window, kiosk, source)
    for group in ("left_slap", "thumbs"):
        page.side.select(group)
        source.previewed.clear()
        qtbot.waitUntil(lambda: len(source.previewed) >= 3)
        assert {CAPTURE_GROUPS[g][0] for g in source.previewed} == {"finger"}
        assert set(source.previewed) == {group}
    page.side.select("face")
    source.previewed.clear()
    qtbot.waitUntil(lambda: len(source.previewed) >= 3)
    assert set(source.previewed) == {"face"} and source.stopped == ["finger"]
    page.side.select("right_slap")
    qtbot.waitUntil(lambda: source.stopped == ["finger", "face"])


@pytest.fixture
def sbi_source(sbi_simulator):
    sbi_simulator.admin(reset=True)
    source = kiosk_devices(
        device_ca_file=sbi_simulator.ca_pem, sbi_ports=(sbi_simulator.port, sbi_simulator.port)
    )
    yield source
    source.close()


def test_an_sbi_capture_shows_a_thumbnail_per_finger(qtbot, window, kiosk, sbi_source):
    page = _page(qtbot, window, kiosk, sbi_source)
    try:
        page.capture("left_slap")
        qtbot.waitUntil(lambda: page.registration.attempts.get("left_slap", 0) == 1, timeout=20000)
        panel = page.panels["left_slap"]
        assert page.registration.captures[("finger", "Left IndexFinger")].format == "jp2"
        for sub in panel.subtypes:
            pixmap = panel.thumbnails[sub].pixmap()
            assert not pixmap.isNull() and pixmap.width() > 8, sub
    finally:
        window.ctx.ops.wait()
        page.hide()  # stops the preview stream before the port closes


def test_the_supervisor_reads_the_reason_in_the_kiosk_language(qtbot, window):
    from client.ui.screens.supervisor_dialog import SupervisorDialog

    window.ctx.language.set("ara")
    dialog = SupervisorDialog(
        window.ctx,
        purpose="registration.exceptions",
        reasons=["exceptions"],
        missing=[("Left IndexFinger", "amputated")],
        parent=window,
    )
    qtbot.addWidget(dialog)
    assert (
        f"{tr('bio.subtype.Left_IndexFinger', 'ara')} ({tr('bio.reason.amputated', 'ara')})"
        in dialog.why.text()
    )


def test_the_steps_problems_are_worded_by_group_in_the_kiosk_language():
    from client.core.registration.workflow import SlotProblem
    from client.ui.screens.biometric_words import problem_words

    right = {"group": "right_slap", "modality": "finger"}
    problems = {
        **{
            f"finger/{s}": SlotProblem("not_captured", **right, subtype=s)
            for s in CAPTURE_GROUPS["right_slap"][1]
        },
        "finger/Left Thumb": SlotProblem(
            "not_captured", group="thumbs", modality="finger", subtype="Left Thumb"
        ),
        "iris/Left": SlotProblem("quality_low", group="irises", modality="iris", subtype="Left", quality=20),
        "exception_photo": SlotProblem("photo_required"),
    }
    assert problems["iris/Left"] == "Left (iris) quality 20 is too low; retry"  # the core's English default
    words = problem_words(problems, "fra").split("\n")
    assert words[0] == tr("bio.problem.not_captured", "fra", what="Main droite (4 doigts), Pouce gauche")
    assert words[1].startswith("Qualité trop basse") and "Right" not in words[1]
    assert words[2] == tr("bio.problem.photo_required", "fra")
    assert problem_words({"x": "a plain message"}, "ara") == "a plain message"

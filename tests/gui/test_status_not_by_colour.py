"""Status is never shown by colour alone: a quality bar under its threshold says so with a mark too."""

from client.ui.screens.group_panel import GroupPanel
from client.ui.screens.registration import load_form_inputs
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON
from demo.samples import capture_group


def test_quality_bars_mark_low_and_good_captures(qtbot, window, kiosk):
    window.ctx.session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    reg, _options = load_form_inputs(window.ctx, None)
    reg.submit_demographics(SAMPLE_PERSON)
    reg.add_document(
        field_id="proofOfIdentity", doc_type="passport", name="p.png", content_type="image/png", data=b"x"
    )
    reg.submit_documents()
    group = sorted({g for g, _, _ in reg.required_slots()})[0]
    panel = GroupPanel(group, reg)
    qtbot.addWidget(panel)
    reg.record_capture(group=group, records=capture_group(group, seed=1, quality=5))
    panel.refresh()
    for bar in panel.bars.values():
        assert bar.format().endswith("✘") and bar.property("low") is True
    reg.record_capture(group=group, records=capture_group(group, seed=2, quality=95))
    panel.refresh()
    for bar in panel.bars.values():
        assert bar.format().endswith("✔") and bar.property("low") is False

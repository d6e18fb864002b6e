"""The biometrics step with a reader that takes one finger at a time (client/ui/screens/finger_by_finger.py),
over a stand-in capture port, so the page's rules are checked with or without libfprint: one pass per
hand is one attempt, capturing again asks only for the fingers still too poor, a misplaced finger is
asked again, an unplug keeps nothing, and a reader that says "one finger at a time" switches the page."""

from __future__ import annotations

from client.core.registration.biometrics import CAPTURE_GROUPS
from demo.samples import capture_group
from device_drivers.base import DeviceDisconnectedError
from device_drivers.fprint.errors import FingerRetryError, OneFingerError

from .test_biometrics_step import _page


class OneFingerSource:
    """A capture port whose reader takes one finger at a time; ``failures`` {finger: [errors]} are
    raised, in order, on that finger's next captures; ``quality`` {finger: score}."""

    def __init__(self, *, knows: bool = True, quality=None, failures=None) -> None:
        self.knows, self.quality, self.failures = knows, dict(quality or {}), dict(failures or {})
        self.asked: list[str] = []

    def __getattr__(self, name):
        if name == "fingers_per_capture" and self.knows:
            return lambda group: 1
        raise AttributeError(name)

    def capture_group(self, group, *, exceptions=()):
        wanted = [s for s in CAPTURE_GROUPS[group][1] if s not in exceptions]
        if len(wanted) > 1:
            raise OneFingerError(f"one finger at a time; {len(wanted)} were asked")
        [finger] = wanted
        self.asked.append(finger)
        if self.failures.get(finger):
            raise self.failures[finger].pop(0)
        records = capture_group(group, seed=len(self.asked), quality=self.quality.get(finger, 85))
        return [r for r in records if r.bio_subtype == finger]

    def preview_frame(self, group):
        return None


LEFT = list(CAPTURE_GROUPS["left_slap"][1])


def test_a_poor_finger_alone_is_asked_for_again_and_each_pass_is_one_attempt(qtbot, window, kiosk):
    source = OneFingerSource(quality={"Left RingFinger": 30})
    page = _page(qtbot, window, kiosk, source)
    reg = page.registration
    page.capture("left_slap")
    qtbot.waitUntil(lambda: reg.attempts.get("left_slap") == 1, timeout=10000)
    assert source.asked == LEFT and reg.captures[("finger", "Left RingFinger")].quality == 30
    assert "Left ring finger" in page.panels["left_slap"].message.text()  # capture it again
    source.quality["Left RingFinger"] = 90
    page.capture("left_slap")
    qtbot.waitUntil(lambda: reg.attempts.get("left_slap") == 2, timeout=10000)
    assert (
        source.asked == [*LEFT, "Left RingFinger"]
        and reg.captures[("finger", "Left RingFinger")].quality == 90
    )
    assert all(line.lineWidth() == 1 for line in page.panels["left_slap"].thumbnails.values())


def test_a_misplaced_finger_is_asked_again_and_the_pass_goes_on(qtbot, window, kiosk):
    retry = FingerRetryError("not centred", kind="finger_not_centred")
    source = OneFingerSource(failures={"Left MiddleFinger": [retry]})
    page = _page(qtbot, window, kiosk, source)
    page.capture("left_slap")
    qtbot.waitUntil(lambda: page.registration.attempts.get("left_slap") == 1, timeout=10000)
    assert source.asked == [LEFT[0], LEFT[1], LEFT[1], LEFT[2], LEFT[3]]
    assert len([k for k in page.registration.captures if k[0] == "finger"]) == 4


def test_an_unplug_during_a_pass_keeps_nothing_and_says_so(qtbot, window, kiosk):
    unplugged = DeviceDisconnectedError("The fingerprint reader was unplugged during the capture")
    source = OneFingerSource(failures={"Left RingFinger": [unplugged]})
    page = _page(qtbot, window, kiosk, source)
    panel = page.panels["left_slap"]
    page.capture("left_slap")
    qtbot.waitUntil(lambda: "Nothing of this capture was kept" in panel.message.text(), timeout=10000)
    assert panel.message.text().startswith("The device was disconnected during the capture.")
    assert source.asked == LEFT[:3] and page.registration.attempts.get("left_slap", 0) == 0
    assert not page.registration.captures and panel.capture.isEnabled()


def test_a_reader_that_says_one_finger_at_a_time_switches_the_page_to_finger_by_finger(qtbot, window, kiosk):
    source = OneFingerSource(knows=False)  # a port without fingers_per_capture: the reader tells
    page = _page(qtbot, window, kiosk, source)
    page.panels["left_slap"].markers["Left LittleFinger"].setChecked(True)
    page.capture("left_slap")
    qtbot.waitUntil(lambda: page.registration.attempts.get("left_slap") == 1, timeout=10000)
    assert source.asked == LEFT[:3]  # the finger marked missing is not asked for

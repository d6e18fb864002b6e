"""Officers' own prints on a libfprint reader, end to end on libfprint's virtual_image reader: the real
library enrols (several touches, minutiae detection), serializes the print, verifies and identifies
against it (NBIS/bozorth3), in the real host process behind the real DeviceManager. The test is the
finger: it sends the images, one per touch."""

from __future__ import annotations

import time

import pytest

from device_drivers.base import DeviceDisconnectedError, DeviceTimeoutError
from device_drivers.finger_match import CannotMatchError, FingerMatcher
from device_drivers.fprint.source import FprintSource, unavailable_reason
from device_drivers.manager import DeviceManager
from tests.support.virtual_fprint import UNPLUG, VirtualReader, virtual_allowed

pytestmark = pytest.mark.skipif(
    unavailable_reason() is not None, reason=f"{unavailable_reason()} (installers/system-deps.sh)"
)
KEY = "fprint:virtual_image:0"
PERSON, OTHER_PERSON = 7, 11
RIGHT_INDEX, LEFT_INDEX = 2, 7


@pytest.fixture
def reader():
    virtual = VirtualReader()
    manager = DeviceManager(
        {"fprint": lambda: FprintSource(allow_list=virtual_allowed(), host=virtual.host())}
    )  # type: ignore[dict-item]
    manager.refresh()
    yield virtual, manager
    manager.close()
    virtual.close()


def enrol(virtual: VirtualReader, manager: DeviceManager, *, position: int, person: int = PERSON):
    """Enrol ``position`` of ``person`` (one impression per touch); returns (print, progress seen)."""
    managed = manager.device_by_key(KEY)
    matcher = managed.device
    stages = int(matcher.description["enroll_stages"])
    virtual.fingers(*[(position, impression) for impression in range(stages)], person=person)
    seen = []
    made = managed.thread.submit(
        matcher.enrol, finger="Right IndexFinger", user="op1", on_progress=seen.append, touch_timeout_s=15
    ).result(120)
    return made, seen


def on_reader(manager: DeviceManager, method: str, *args, **kwargs):
    managed = manager.device_by_key(KEY)
    return managed.thread.submit(getattr(managed.device, method), *args, **kwargs).result(60)


def test_enrol_then_the_same_finger_matches_and_another_does_not(reader):
    virtual, manager = reader
    matcher = manager.device_by_key(KEY).device
    assert isinstance(matcher, FingerMatcher) and matcher.can_match and matcher.can_identify
    started = time.monotonic()
    made, seen = enrol(virtual, manager, position=RIGHT_INDEX)
    enrol_s = time.monotonic() - started
    assert made.driver == "virtual_image" and made.device_id == "0" and made.finger == "Right IndexFinger"
    assert 100 < len(made.template) < 256 * 1024
    assert [p.done for p in seen if not p.retry] == list(range(1, made.stages + 1))  # one word per touch
    assert all(p.stages == made.stages for p in seen)

    virtual.fingers((RIGHT_INDEX, made.stages + 1))  # a new impression of the same finger
    started = time.monotonic()
    assert on_reader(manager, "verify", made.template, timeout_s=15) is True
    verify_s = time.monotonic() - started
    virtual.fingers((LEFT_INDEX, 0))  # another finger of the same person
    assert on_reader(manager, "verify", made.template, timeout_s=15) is False
    virtual.fingers((RIGHT_INDEX, 0), person=OTHER_PERSON)  # the same finger of someone else
    assert on_reader(manager, "verify", made.template, timeout_s=15) is False
    print(f"\nlibfprint virtual_image: enrol {made.stages} touches {enrol_s:.1f} s, verify {verify_s:.2f} s")


def test_identify_finds_whose_finger_it_is_among_several_prints(reader):
    virtual, manager = reader
    mine, _ = enrol(virtual, manager, position=RIGHT_INDEX)
    theirs, _ = enrol(virtual, manager, position=RIGHT_INDEX, person=OTHER_PERSON)
    gallery = [theirs.template, mine.template]
    virtual.fingers((RIGHT_INDEX, 6))
    assert on_reader(manager, "identify", gallery, timeout_s=15) == 1
    virtual.fingers((RIGHT_INDEX, 6), person=OTHER_PERSON)
    assert on_reader(manager, "identify", gallery, timeout_s=15) == 0
    virtual.fingers((LEFT_INDEX, 2))  # enrolled by nobody
    assert on_reader(manager, "identify", gallery, timeout_s=15) is None


def test_no_finger_in_time_an_unplugged_reader_and_a_damaged_print_are_errors_not_hangs(reader):
    virtual, manager = reader
    made, _ = enrol(virtual, manager, position=RIGHT_INDEX)
    started = time.monotonic()
    with pytest.raises(DeviceTimeoutError):
        on_reader(manager, "verify", made.template, timeout_s=2)  # nobody touches the reader
    assert time.monotonic() - started < 10
    with pytest.raises(CannotMatchError):
        on_reader(manager, "verify", b"not a libfprint print", timeout_s=5)
    with pytest.raises(CannotMatchError):
        on_reader(manager, "identify", [], timeout_s=5)
    virtual.script.append(UNPLUG)
    started = time.monotonic()
    with pytest.raises(DeviceDisconnectedError):
        on_reader(manager, "verify", made.template, timeout_s=15)
    assert time.monotonic() - started < 15


def test_a_cancelled_enrolment_ends_at_once_and_keeps_nothing(reader):
    _virtual, manager = reader
    managed = manager.device_by_key(KEY)
    pending = managed.thread.submit(
        managed.device.enrol, finger="Left Thumb", user="op1", on_progress=lambda _p: None, touch_timeout_s=30
    )
    time.sleep(1.0)
    managed.device.cancel()
    with pytest.raises(Exception) as failure:
        pending.result(10)
    assert "cancelled" in str(failure.value)

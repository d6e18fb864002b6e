"""An SBI scanner's live preview streams the sub-id of the group on screen (left slap 1, thumbs 3), so a
finger panel asks the finger device for that slap, and switching groups restarts the stream."""

import time
from dataclasses import replace

from tests.support.devices import ProtocolDevice, capture_over


class SbiLikeScanner(ProtocolDevice):
    """An in-memory device the port takes for an SBI one (its key); records each stream's sub-id."""

    def __init__(self, modality):
        super().__init__(modality)
        self.streamed: list[int] = []

    def info(self):
        return replace(super().info(), key=f"sbi:{self.modality}")

    def stream(self, *, sub_id=0, timeout_s=30.0):
        self.streamed.append(sub_id)
        yield from super().stream(sub_id=sub_id, timeout_s=timeout_s)


def _first_frame(source, group):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if frame := source.preview_frame(group):
            return frame
        time.sleep(0.02)
    raise AssertionError(f"no preview frame for {group}")


def test_each_group_previews_its_own_sub_id():
    scanner, face = SbiLikeScanner("finger"), ProtocolDevice("face")
    source = capture_over(scanner, face)
    try:
        source.status()
        _first_frame(source, "left_slap")
        _first_frame(source, "left_slap")
        _first_frame(source, "thumbs")
        assert scanner.streamed == [1, 3]
        _first_frame(source, "face")  # a plain camera: no sub-id, its own stream
        assert scanner.streamed == [1, 3]
    finally:
        source.close()

"""PreviewFeed over a real DeviceManager: the newest frame only, each frame once, a stopped stream's
frames dropped, a failed stream's reason kept; the manager lists a silent configured camera as not ready."""

import time

from device_drivers.base import DeviceIdentity, DeviceInfo, DeviceStatus, Modality, PreviewFrame
from device_drivers.manager import DeviceManager, DriverListSource
from device_drivers.preview import PreviewFeed

IDENTITY = DeviceIdentity(make="OpenReg", model="test", serial="1")


class Camera:
    modality = Modality.DOCUMENT
    key = "camera:test"
    identity = IDENTITY

    def __init__(self, *, broken: str | None = None):
        self.broken = broken

    def info(self):
        if self.broken:
            raise OSError(self.broken)
        return DeviceInfo(self.key, self.modality, IDENTITY, DeviceStatus.READY)

    def stream(self, *, sub_id=0, timeout_s=30.0):
        if self.broken:
            raise OSError(self.broken)
        for i in range(500):
            time.sleep(0.01)
            yield PreviewFrame(jpeg=bytes([i % 256]), image=i, timestamp=time.monotonic())


def manager_with(camera) -> DeviceManager:
    manager = DeviceManager({"camera": lambda: DriverListSource("camera", [camera])})
    manager.refresh()
    return manager


def wait_for(predicate, timeout_s=3.0):
    deadline = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_newest_frame_once_and_stop():
    manager = manager_with(Camera())
    feed = PreviewFeed(manager.device(Modality.DOCUMENT))
    try:
        feed.start()
        assert wait_for(lambda: feed.newest() is not None) and feed.running
        first = feed.take_jpeg()
        assert first is not None and feed.take_jpeg() != first  # each frame is taken once
        seen = []
        for frame in feed.frames(stop=lambda: len(seen) >= 5):
            if frame is not None:
                seen.append(frame.image)
        assert seen == sorted(set(seen))  # each frame once, newest first, never an older one
        feed.stop()
        assert not feed.running and feed.newest() is None and feed.take_jpeg() is None
    finally:
        manager.close()


def test_a_silent_camera_is_listed_not_ready_and_its_preview_says_why():
    manager = manager_with(Camera(broken="no picture"))
    try:
        [info] = manager.devices()
        assert info.status == DeviceStatus.NOT_READY and info.detail == "no picture"
        feed = PreviewFeed(manager.device(Modality.DOCUMENT))
        frames = feed.frames(stop=lambda: feed.error is not None)
        assert next(frames) is None
        assert wait_for(lambda: feed.error == "no picture")
    finally:
        manager.close()

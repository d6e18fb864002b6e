"""libfprint's own ``virtual_image`` reader, fed by the test: a real libfprint device (the whole library
path: enumeration, open, capture with minutiae detection, removal) whose "sensor" is a UNIX socket.

The protocol (libfprint drivers/virtual-image.c): libfprint listens on the path in FP_VIRTUAL_IMAGE once
the device is opened; a client sends two native ints then data. Width and height (up to 5000) are
followed by width x height bytes of 8-bit greyscale, the image the reader "sees"; a negative first int
is a command: (-1, n) a retry error (0 general, 1 swipe too short, 2 finger not centred, 3 remove the
finger), (-2, n) a device error, (-5, 0) the device disappears (unplugged).

``VirtualReader.script`` holds what to send each time the reader waits for a finger (the host's
"finger_needed" event), so each capture gets exactly its finger.
"""

from __future__ import annotations

import shutil
import socket
import struct
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from client.core.capture import DeviceCapture
from demo.synthetic import person_finger
from device_drivers.allow_list import AllowList
from device_drivers.fprint.host_client import FprintHost

RETRY_NOT_CENTRED = struct.pack("=ii", -1, 2)
UNPLUG = struct.pack("=ii", -5, 0)
CLOSE = b""  # connect and hang up: the socket closed with no image
# The master-data row that allows libfprint's virtual readers (a kiosk offers no reader master data
# does not name), and the allow list built from it.
ALLOW_VIRTUAL = {
    "id": "FPRINT-VIRTUAL",
    "modality": "finger",
    "make": "libfprint",
    "model": "virtual reader",
    "fprint_driver": "virtual_*",
}


def virtual_allowed() -> AllowList:
    return AllowList([ALLOW_VIRTUAL])


def image_message(image: np.ndarray) -> bytes:
    height, width = image.shape
    return struct.pack("=ii", width, height) + np.ascontiguousarray(image, np.uint8).tobytes()


def fprint_host(devices: DeviceCapture) -> FprintHost:
    """The libfprint host behind the kiosk's capture port (once refreshed), to watch or feed its reader."""
    manager = devices._manager  # a test reaches into the kiosk's own wiring
    assert manager is not None, "refresh the capture port first"
    [source] = [s for s in manager._sources if s.name == "fprint"]
    return source.host  # type: ignore[attr-defined]


class VirtualReader:
    """A virtual libfprint reader (and, with ``match_on_chip``, libfprint's ``virtual_device``, a reader
    that gives no image). Socket paths live in a short temporary folder (UNIX paths are short)."""

    def __init__(self, *, match_on_chip: bool = False, image_reader: bool = True) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="fp", dir="/tmp"))
        self.socket = self.folder / "image.sock"
        drivers = []
        self.env: dict[str, str] = {}
        if image_reader:
            self.env["FP_VIRTUAL_IMAGE"] = str(self.socket)
            drivers.append("virtual_image")
        if match_on_chip:
            self.env["FP_VIRTUAL_DEVICE"] = str(self.folder / "device.sock")
            drivers.append("virtual_device")
        self.env["FP_DRIVERS_ALLOWLIST"] = ":".join(drivers)  # no real USB reader of the machine interferes
        self.script: list[bytes] = []
        self.sent: list[bytes] = []
        self.lock = threading.Lock()

    def host(self) -> FprintHost:
        host = FprintHost(env=self.env)
        self.attach(host)
        return host

    def attach(self, host: FprintHost) -> None:
        host.subscribe(self.on_event)

    def fingers(self, *fingers: tuple[int, int], person: int = 7) -> None:
        """Queue the images of ``fingers`` (ISO position, impression) of ``person``."""
        for position, impression in fingers:
            self.script.append(image_message(person_finger(person, position, impression=impression)))

    def on_event(self, event: dict) -> None:
        if event.get("event") != "finger_needed" or event.get("device") != "virtual_image:0":
            return
        with self.lock:
            message = self.script.pop(0) if self.script else None
        if message is not None:
            threading.Thread(target=self.send, args=(message,), daemon=True).start()

    def send(self, message: bytes) -> None:
        """Connect (the listener exists once the reader is open) and send ``message``."""
        deadline = time.monotonic() + 5
        while True:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                    connection.connect(str(self.socket))
                    connection.sendall(message)
                    time.sleep(0.3)  # let libfprint read it before the hang-up
                    self.sent.append(message)
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

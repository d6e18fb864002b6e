"""What the SBI simulator pretends to be: its devices, their digital ids and the records they capture."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from demo.synthetic import (
    person_face,
    person_finger,
    person_iris,
    synthetic_face,
    synthetic_finger,
    synthetic_iris,
)
from device_drivers.iso import FaceImage, FingerImage, IrisImage, QualityBlock
from device_drivers.iso.face import write_face_record
from device_drivers.iso.finger import POSITION_CODES, write_finger_record
from device_drivers.iso.images import encode_image
from device_drivers.iso.iris import write_iris_record

SPEC_VERSIONS = ["0.9.5", "1.0"]
SERVICE_VERSION = "1.0.0"


@dataclass(frozen=True)
class SimulatedDevice:
    device_id: str
    bio_type: str  # Finger | Iris | Face (SBI spelling)
    sub_type: str  # Slap | Double | Full face
    sub_ids: tuple[int, ...]
    serial: str
    make: str = "OpenReg"
    model: str = "SIM"

    def digital_id(self) -> dict[str, str]:
        return {
            "serialNo": self.serial,
            "make": self.make,
            "model": f"{self.model}-{self.bio_type.upper()}",
            "type": self.bio_type,
            "deviceSubType": self.sub_type,
            "deviceProvider": "OpenReg Simulated Devices",
            "deviceProviderId": "OPENREG.SIM",
            "dateTime": sbi_timestamp(),
        }


PROFILES: dict[str, list[SimulatedDevice]] = {
    "finger": [SimulatedDevice("1", "Finger", "Slap", (1, 2, 3), "SIM-FNG-0001")],
    "iris": [SimulatedDevice("2", "Iris", "Double", (1, 2, 3), "SIM-IRS-0001")],
    "face": [SimulatedDevice("3", "Face", "Full face", (0,), "SIM-FAC-0001")],
}
PROFILES["all"] = PROFILES["finger"] + PROFILES["iris"] + PROFILES["face"]

DEFAULT_SUBTYPES = {
    ("Finger", 1): ["Left IndexFinger", "Left MiddleFinger", "Left RingFinger", "Left LittleFinger"],
    ("Finger", 2): ["Right IndexFinger", "Right MiddleFinger", "Right RingFinger", "Right LittleFinger"],
    ("Finger", 3): ["Left Thumb", "Right Thumb"],
    ("Iris", 1): ["Left"],
    ("Iris", 2): ["Right"],
    ("Iris", 3): ["Left", "Right"],
    ("Face", 0): [""],
}


def sbi_timestamp(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@lru_cache(maxsize=64)
def iso_record_for(
    bio_type: str, bio_subtype: str, quality: int, person: int | None = None, impression: int = 0
) -> bytes:
    """A synthetic record; cached because JPEG 2000 encoding costs tens of milliseconds.

    ``person`` None gives the fixed demo images (the same for everyone); a number gives that person's
    own fingers, irises and face (``demo.synthetic.person_*``), and ``impression`` a re-capture of them."""
    seed = zlib.crc32(f"{bio_type}/{bio_subtype}".encode())
    q = (QualityBlock(quality, 0, 0),)
    now = datetime.now(UTC)
    if bio_type == "Finger":
        position = POSITION_CODES.get(bio_subtype, 0)
        image = (
            synthetic_finger(seed)
            if person is None
            else person_finger(person, position, impression=impression)
        )
        finger = FingerImage(
            position,
            encode_image(image, "jp2"),
            image.shape[1],
            image.shape[0],
            "jp2",
            q,
            now,
        )
        return write_finger_record([finger])
    if bio_type == "Iris":
        if person is None:
            image = synthetic_iris(seed)
        else:
            image = person_iris(person, bio_subtype or "Left", impression=impression)
        iris = IrisImage(
            bio_subtype or "Unknown",
            encode_image(image, "jp2"),
            image.shape[1],
            image.shape[0],
            "jp2",
            q,
            now,
        )
        return write_iris_record([iris])
    image = synthetic_face(seed=seed) if person is None else person_face(person, impression=impression)
    return write_face_record(
        [FaceImage(encode_image(image, "jp2"), image.shape[1], image.shape[0], "jp2", q, now)]
    )


def discovery_entry(device: SimulatedDevice, status: str, digital_id: str) -> dict[str, object]:
    return {
        "deviceId": device.device_id,
        "deviceStatus": status,
        "certification": "L0",
        "serviceVersion": SERVICE_VERSION,
        "deviceSubId": list(device.sub_ids),  # the 0.9.5 schema: array of integers
        "callbackId": "",
        "digitalId": digital_id,
        "deviceCode": device.serial,
        "specVersion": SPEC_VERSIONS,
        "purpose": "Registration",
        "error": {"errorCode": "0", "errorInfo": "Success"},
    }


def dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()

"""Synthetic people's biometrics as the ABIS port takes them (records the SBI simulator would capture)."""

from __future__ import annotations

from demo.sbi_simulator.devices import iso_record_for
from sync_server.abis.port import BiometricRecord

# two thumbs, both eyes and the face keep each packet quick to match; the kiosk sends up to ten fingers
SAMPLE = (
    ("finger", "Finger", "Left Thumb", "ISO19794_4_2011"),
    ("finger", "Finger", "Right Thumb", "ISO19794_4_2011"),
    ("iris", "Iris", "Left", "ISO19794_6_2011"),
    ("iris", "Iris", "Right", "ISO19794_6_2011"),
    ("face", "Face", "", "ISO19794_5_2011"),
)


def records_of(person: int, impression: int = 0) -> list[BiometricRecord]:
    return [
        BiometricRecord(modality, subtype, fmt, iso_record_for(bio_type, subtype, 80, person, impression))
        for modality, bio_type, subtype, fmt in SAMPLE
    ]

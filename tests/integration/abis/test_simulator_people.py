"""The SBI simulator's ``person`` / ``impression`` knobs: the same person again, a different person apart."""

from __future__ import annotations

import base64
import json

import requests

from tests.support.sbi_simulator import SimulatorProcess


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def capture_thumbs(sim: SimulatorProcess) -> list[bytes]:
    """The ISO records of one thumbs capture (signatures are checked by the client's driver tests)."""
    body = {
        "env": "Staging",
        "purpose": "Registration",
        "specVersion": "0.9.5",
        "timeout": 10000,
        "transactionId": "t-1",
        "bio": [
            {
                "type": "Finger",
                "count": 2,
                "deviceId": "1",
                "deviceSubId": 3,
                "bioSubType": ["Left Thumb", "Right Thumb"],
                "requestedScore": 40,
            }
        ],
    }
    answer = requests.request("RCAPTURE", f"{sim.url}/capture", data=json.dumps(body), timeout=30)
    answer.raise_for_status()
    return [_b64(json.loads(_b64(b["data"].split(".")[1]))["bioValue"]) for b in answer.json()["biometrics"]]


def test_person_and_impression_knobs(sbi_simulator: SimulatorProcess) -> None:
    try:
        sbi_simulator.admin(person=11, impression=0)
        first = capture_thumbs(sbi_simulator)
        assert capture_thumbs(sbi_simulator) == first  # the same capture of the same person
        sbi_simulator.admin(impression=1)
        recapture = capture_thumbs(sbi_simulator)
        sbi_simulator.admin(person=12, impression=0)
        other = capture_thumbs(sbi_simulator)
        assert len({*first, *recapture, *other}) == 6
        for bad in ({"person": "eleven"}, {"person": -1}, {"impression": 5000}):
            assert requests.post(f"{sbi_simulator.url}/admin", json=bad, timeout=5).status_code == 400
    finally:
        sbi_simulator.admin(person=None, impression=0)

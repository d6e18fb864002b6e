"""The SBI shapes the kiosk sends and reads, recorded from a real exchange with the SBI simulator.

Certified devices in the field do not change with OpenReg, so any change in what the kiosk sends, or in
the replies its tests accept, is judged breaking. Each shape is the JSON structure with its leaves
replaced by their type names (the first element stands for a list).
"""

from __future__ import annotations

import base64
import binascii
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from cryptography import x509

from tools.interface_gate.changes import Change

GROUPS = {
    "Finger": (["Left IndexFinger", "Left MiddleFinger", "Left RingFinger", "Left LittleFinger"], 1),
    "Iris": (["Left", "Right"], 3),
    "Face": (["Face"], 0),
}


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, str):
        return _signed(value) or "str"
    return type(value).__name__


def _signed(text: str) -> dict[str, Any] | None:
    """The shape inside a JWS (its payload) or a base64url JSON object (a digital id), else None."""
    parts = text.split(".")
    encoded = parts[1] if len(parts) == 3 else text if len(parts) == 1 and len(text) > 16 else None
    if encoded is None:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(payload, dict):
        return None
    return {"jws" if len(parts) == 3 else "base64url": shape(payload)}


def sbi() -> dict[str, Any]:
    """Discover, read the info of and capture from every simulated device, in both SBI versions."""
    from demo.headless import spawn_simulator, stop
    from device_drivers.sbi import client

    recorded: dict[str, Any] = {}
    real = client.requests.request
    label = ""

    def recording(verb: str, url: str, **kwargs: Any) -> requests.Response:
        nonlocal label
        answer = real(verb, url, **kwargs)
        path = "/" + url.split("/", 3)[-1]
        try:
            reply = shape(answer.json())
        except ValueError:
            reply = "not JSON"
        recorded[f"{verb} {path}{label}"] = {"request": shape(kwargs.get("json")), "response": reply}
        return answer

    with tempfile.TemporaryDirectory() as folder:
        started = spawn_simulator(Path(folder))
        if started is None:
            raise RuntimeError("the SBI simulator did not start")
        process, port = started
        try:
            anchors = [x509.load_pem_x509_certificate((Path(folder) / "ca.pem").read_bytes())]
            client.requests.request = recording  # type: ignore[assignment]
            for protocol in client.VERBS:
                label = ""
                for endpoint in client.discover(ports=[port], protocol=protocol, timeout_s=3.0):
                    label = ""
                    device = client.SbiDevice(endpoint, anchors, protocol=protocol)
                    device.info()
                    subtypes, sub_id = GROUPS[endpoint.bio_type]
                    label = f" {endpoint.bio_type}"
                    device.capture(bio_subtypes=subtypes, sub_id=sub_id if sub_id else None)
        finally:
            client.requests.request = real  # type: ignore[assignment]
            stop(process)
    return recorded


def diff_sbi(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    """Every difference is breaking: certified devices in the field do not follow OpenReg's changes."""
    yield from _walk(old, new, "")


def _walk(old: Any, new: Any, where: str) -> Iterator[Change]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            if key not in new:
                yield Change(True, "sbi", f"{where}/{key}", "removed")
            elif key not in old:
                yield Change(True, "sbi", f"{where}/{key}", "added")
            else:
                yield from _walk(old[key], new[key], f"{where}/{key}")
    elif isinstance(old, list) and isinstance(new, list) and old and new:
        yield from _walk(old[0], new[0], f"{where}/0")
    elif old != new:
        yield Change(True, "sbi", where or "/", f"{old!r} -> {new!r}")

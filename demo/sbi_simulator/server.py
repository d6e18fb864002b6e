"""SBI simulator: a local HTTP service speaking MOSIP SBI 0.9.5 and 1.0 for simulated devices.

Run with ``openreg devices simulate``. Admin knobs (POST /admin with JSON, GET /admin for the state):
``status`` ("Ready" | "Busy" | "Not Ready" | "Not Registered"), ``quality`` (0-100, or {"Left Thumb": 30, ...} per subtype), ``delay_s`` (sleep
before answering a capture, e.g. past the client's timeout), ``disappear_mid_capture`` (drop the
connection and stop listening), ``bad_signature``, ``wrong_transaction_id``, ``broken_hash_chain``,
``fps`` (stream rate), ``person`` (null: the fixed demo images, the same for everyone; a number 0-2**31:
that person's own fingers, irises and face, so two captures with one number are the same person),
``impression`` (0-1000: which capture of that person; 0 is the first, others are re-captures with a
little rotation, shift and noise), ``reset``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from demo.sbi_simulator.certs import DeviceKeys, issue_device_keys, load_or_create_ca
from demo.sbi_simulator.devices import (
    DEFAULT_SUBTYPES,
    PROFILES,
    SimulatedDevice,
    discovery_entry,
    dumps,
    iso_record_for,
    sbi_timestamp,
)
from device_drivers.sbi.hash_chain import EMPTY_HASH, chain_hash
from device_drivers.sbi.jws import b64url_encode, sign_jws

DEFAULT_KNOBS: dict[str, object] = {
    "status": "Ready",
    "quality": 80,
    "delay_s": 0.0,
    "disappear_mid_capture": False,
    "bad_signature": False,
    "wrong_transaction_id": False,
    "broken_hash_chain": False,
    "fps": 30,
    "person": None,
    "impression": 0,
}
KNOB_RANGES = {"person": (0, 2**31 - 1), "impression": (0, 1000)}


class SimulatorState:
    def __init__(self, devices: list[SimulatedDevice], keys: DeviceKeys) -> None:
        self.devices = devices
        self.keys = keys
        self.knobs = dict(DEFAULT_KNOBS)
        self.lock = threading.Lock()
        self.stream_frames = {"Face": _stream_frames(), **_scanner_frames()}  # by SBI bio type

    def sign(self, payload: bytes) -> str:
        token = sign_jws(payload, key=self.keys.device_key, cert=self.keys.device_cert)
        if self.knobs["bad_signature"]:
            head, body, sig = token.split(".")
            token = f"{head}.{body}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"
        return token

    def device(self, device_id: str) -> SimulatedDevice | None:
        return next((d for d in self.devices if d.device_id == str(device_id)), None)


def _stream_frames() -> list[bytes]:
    """Pre-encoded 640x480 preview frames (a moving face) so streaming costs no encoding time."""
    import cv2

    from demo.synthetic import synthetic_face

    frames = []
    for i in range(8):
        image = synthetic_face(width=640, height=480, offset=(i * 4 - 16, 0), seed=i)
        frames.append(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
    return frames


def _scanner_frames() -> dict[str, list[bytes]]:
    """Preview frames of the finger scanner and the iris camera: what they see, not the face camera's."""
    from demo.samples import _encode, _finger, _iris

    return {
        "Finger": [_encode(_finger(i, size=320), ".jpg", 80) for i in range(4)],
        "Iris": [_encode(_iris(i, size=320), ".jpg", 80) for i in range(4)],
    }


class SbiHandler(BaseHTTPRequestHandler):
    server_version = "OpenRegSBISimulator/1.0"
    protocol_version = "HTTP/1.1"
    state: SimulatorState  # set on the subclass built by make_server

    def log_message(self, format: str, *args: object) -> None:
        if os.environ.get("OPENREG_SIM_LOG"):
            super().log_message(format, *args)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {}

    def _send(self, obj: object, status: int = 200) -> None:
        data = dumps(obj)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # discovery ---------------------------------------------------------------------------------
    def do_MOSIPDISC(self) -> None:
        wanted = str(self._body().get("type", "Biometric Device"))
        status = str(self.state.knobs["status"])
        entries = []
        for d in self.state.devices:
            if wanted in ("Biometric Device", "", d.bio_type):
                digital_id = b64url_encode(dumps(d.digital_id()))
                entries.append(discovery_entry(d, status, digital_id))
        self._send(entries)

    do_SBIDISC = do_MOSIPDISC

    def do_MOSIPDINFO(self) -> None:
        status = str(self.state.knobs["status"])
        answers = []
        for d in self.state.devices:
            if status == "Not Registered":
                info = discovery_entry(d, status, b64url_encode(dumps(d.digital_id())))
                answers.append(
                    {
                        "deviceInfo": b64url_encode(dumps(info)),
                        "error": {"errorCode": "100", "errorInfo": "Device not registered"},
                    }
                )
                continue
            info = discovery_entry(d, status, self.state.sign(dumps(d.digital_id())))
            answers.append(
                {
                    "deviceInfo": self.state.sign(dumps(info)),
                    "error": {"errorCode": "0", "errorInfo": "Success"},
                }
            )
        self._send(answers)

    do_SBIINFO = do_MOSIPDINFO

    # capture -----------------------------------------------------------------------------------
    def do_RCAPTURE(self) -> None:
        request = self._body()
        knobs = dict(self.state.knobs)
        bio = (request.get("bio") or [{}])[0]
        device = self.state.device(bio.get("deviceId", ""))
        if device is None:
            return self._send(_error_answer(request, "500", "Invalid deviceId"))
        if knobs["status"] != "Ready":
            code = {"Busy": "111", "Not Ready": "110", "Not Registered": "100"}.get(
                str(knobs["status"]), "110"
            )
            return self._send(_error_answer(request, code, str(knobs["status"])))
        if knobs["disappear_mid_capture"]:
            time.sleep(0.2)
            self.close_connection = True
            self.connection.close()
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return None
        if float(knobs["delay_s"]) > 0:
            time.sleep(float(knobs["delay_s"]))
        sub_id = int(bio.get("deviceSubId") or device.sub_ids[0])
        subtypes = [s for s in (bio.get("bioSubType") or []) if s and s != "UNKNOWN"]
        subtypes = subtypes or DEFAULT_SUBTYPES.get((device.bio_type, sub_id), [""])
        exceptions = set(bio.get("exception") or [])
        previous = bio.get("previousHash") or EMPTY_HASH
        transaction_id = str(request.get("transactionId", ""))
        if knobs["wrong_transaction_id"]:
            transaction_id += "-X"
        digital_id = self.state.sign(dumps(device.digital_id()))
        biometrics = []
        for subtype in subtypes:
            if subtype in exceptions:
                continue
            quality = knobs["quality"]
            # quality is one score for all, or {"Left Thumb": 30, ...} per subtype (default 80)
            quality = int(quality.get(subtype, 80)) if isinstance(quality, dict) else int(quality)
            person, impression = knobs["person"], knobs["impression"]
            record = iso_record_for(
                device.bio_type,
                subtype,
                quality,
                person if isinstance(person, int) else None,
                impression if isinstance(impression, int) else 0,
            )
            data = {
                "digitalId": digital_id,
                "deviceCode": device.serial,
                "deviceServiceVersion": "1.0.0",
                "bioType": device.bio_type,
                "bioSubType": subtype,
                "purpose": request.get("purpose", "Registration"),
                "env": request.get("env", "Staging"),
                "bioValue": b64url_encode(record),
                "transactionId": transaction_id,
                "timestamp": sbi_timestamp(),
                "requestedScore": str(bio.get("requestedScore", "")),
                "qualityScore": str(quality),
            }
            current = chain_hash(previous, record)
            if knobs["broken_hash_chain"]:
                current = chain_hash(current, b"tampered")
            biometrics.append(
                {
                    "specVersion": request.get("specVersion", "0.9.5"),
                    "data": self.state.sign(dumps(data)),
                    "hash": current,
                    "error": {"errorCode": "0", "errorInfo": "Success"},
                }
            )
            previous = current
        return self._send({"biometrics": biometrics})

    # stream ------------------------------------------------------------------------------------
    def do_STREAM(self) -> None:
        request = self._body()
        device = self.state.device(str(request.get("deviceId", "")))
        if device is None:
            return self._send({"error": {"errorCode": "500", "errorInfo": "Invalid deviceId"}}, 200)
        frames = self.state.stream_frames.get(device.bio_type, self.state.stream_frames["Face"])
        timeout_s = float(request.get("timeout") or 30000) / 1000
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.send_header("Connection", "close")
        self.end_headers()
        deadline, i = time.monotonic() + timeout_s, 0
        try:
            while time.monotonic() < deadline:
                frame = frames[i % len(frames)]
                self.wfile.write(
                    b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                    + str(len(frame)).encode()
                    + b"\r\n\r\n"
                    + frame
                    + b"\r\n"
                )
                self.wfile.flush()
                i += 1
                time.sleep(1.0 / max(1, int(self.state.knobs["fps"])))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client closed the preview
        return None

    # admin -------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/admin":
            return self._send(self.state.knobs)
        return self._send({"error": "unknown path"}, 404)

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/admin":
            return self._send({"error": "unknown path"}, 404)
        change = self._body()
        with self.state.lock:
            if change.pop("reset", False):
                self.state.knobs = dict(DEFAULT_KNOBS)
            unknown = set(change) - set(DEFAULT_KNOBS)
            if unknown:
                return self._send({"error": f"unknown knobs {sorted(unknown)}"}, 400)
            for name, (low, high) in KNOB_RANGES.items():
                value = change.get(name, 0)
                allowed_none = name == "person" and value is None
                if not allowed_none and (type(value) is not int or not low <= value <= high):
                    return self._send({"error": f"{name} must be a whole number {low}-{high}"}, 400)
            self.state.knobs.update(change)
        return self._send(self.state.knobs)


def _error_answer(request: dict, code: str, info: str) -> dict:
    return {
        "biometrics": [
            {
                "specVersion": request.get("specVersion", "0.9.5"),
                "data": "",
                "hash": "",
                "error": {"errorCode": code, "errorInfo": info},
            }
        ]
    }


def make_server(*, host: str, port: int, profile: str, state_dir: Path) -> ThreadingHTTPServer:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    ca_key, ca_cert = load_or_create_ca(state_dir)
    keys = issue_device_keys(ca_key, ca_cert, f"{profile}-{port}")
    handler = type("Handler", (SbiHandler,), {"state": SimulatorState(PROFILES[profile], keys)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def write_ready_file(state_dir: Path, server: ThreadingHTTPServer, profile: str) -> Path:
    host, port = server.server_address[:2]
    path = state_dir / f"simulator-{port}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                "url": f"http://{host}:{port}",
                "port": port,
                "pid": os.getpid(),
                "profile": profile,
                "ca": str(state_dir / "ca.pem"),
            }
        )
    )
    tmp.replace(path)
    return path

"""SBI client (MOSIP Secure Biometric Interface 0.9.5 and 1.0) for finger, iris and face devices.

Every answer is verified before use: JWS signatures (RS256, x5c chaining to the configured trust
anchors), the digital id (signed, same device, right biometric type), the transactionId, the timestamp
skew and the capture hash chain; SBI error codes become typed errors (errors.py). Methods block: call
them on a device thread (device_thread.py / DeviceManager), never on a UI thread.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from cryptography import x509

from device_drivers.base import (
    CaptureResult,
    DeviceDisconnectedError,
    DeviceError,
    DeviceIdentity,
    DeviceInfo,
    DeviceNotFoundError,
    DeviceStatus,
    DeviceTimeoutError,
    Modality,
    PreviewFrame,
    TrustError,
)
from device_drivers.iso.common import sniff_image_format
from device_drivers.sbi import PORT_RANGE
from device_drivers.sbi.errors import error_for_code
from device_drivers.sbi.hash_chain import EMPTY_HASH, chain_hash
from device_drivers.sbi.jws import b64url_decode, verify_jws

VERBS = {"0.9.5": ("MOSIPDISC", "MOSIPDINFO"), "1.0": ("SBIDISC", "SBIINFO")}
STATUSES = {
    "Ready": DeviceStatus.READY,
    "Busy": DeviceStatus.BUSY,
    "Not Ready": DeviceStatus.NOT_READY,
    "Not Registered": DeviceStatus.NOT_REGISTERED,
}
MODALITIES = {"Finger": Modality.FINGER, "Iris": Modality.IRIS, "Face": Modality.FACE}


class TransactionMismatchError(TrustError):
    pass


class HashChainError(TrustError):
    pass


class DigitalIdError(TrustError):
    pass


class TimestampSkewError(TrustError):
    pass


@dataclass(frozen=True)
class SbiEndpoint:
    """One device found by discovery: where it answers and what it said about itself."""

    port: int
    device_id: str
    bio_type: str
    status: str
    sub_ids: tuple[int, ...]
    digital_id: dict
    spec_versions: tuple[str, ...] = ()
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _probe(host: str, port: int, verb: str, timeout_s: float, bio_type: str) -> list[SbiEndpoint]:
    try:
        answer = requests.request(
            verb, f"http://{host}:{port}/device", json={"type": bio_type}, timeout=timeout_s
        )
        entries = answer.json()
    except (requests.RequestException, ValueError):
        return []
    found = []
    for e in entries if isinstance(entries, list) else []:
        try:
            digital_id = json.loads(b64url_decode(str(e.get("digitalId", ""))))
            found.append(
                SbiEndpoint(
                    port,
                    str(e["deviceId"]),
                    str(digital_id.get("type", "")),
                    str(e["deviceStatus"]),
                    tuple(int(s) for s in e.get("deviceSubId", [])),
                    digital_id,
                    tuple(e.get("specVersion", [])),
                    host,
                )
            )
        except (KeyError, ValueError, TypeError, DeviceError):
            continue  # a malformed neighbour on the port range must not break discovery
    return found


def discover(
    *,
    ports: range | list[int] = PORT_RANGE,
    host: str = "127.0.0.1",
    protocol: str = "0.9.5",
    timeout_s: float = 0.3,
    bio_type: str = "Biometric Device",
) -> list[SbiEndpoint]:
    """Probe every port in parallel (one short-timeout request each) and return the devices found."""
    verb = VERBS[protocol][0]
    ports = list(ports)
    with ThreadPoolExecutor(max_workers=min(64, max(1, len(ports)))) as pool:
        results = pool.map(lambda p: _probe(host, p, verb, timeout_s, bio_type), ports)
    return [endpoint for found in results for endpoint in found]


@dataclass
class SbiDevice:
    """A finger / iris / face device reached over SBI. Keeps the capture hash chain for its session."""

    endpoint: SbiEndpoint
    anchors: list[x509.Certificate]
    protocol: str = "0.9.5"
    max_skew_s: float = 300.0
    env: str = "Staging"
    previous_hash: str = field(default=EMPTY_HASH)

    @property
    def modality(self) -> Modality:
        return MODALITIES[self.endpoint.bio_type]

    def _call(self, verb: str, path: str, body: dict, timeout_s: float) -> requests.Response:
        try:
            return requests.request(verb, self.endpoint.url + path, json=body, timeout=timeout_s)
        except requests.Timeout as exc:
            raise DeviceTimeoutError("The device did not answer in time. Check it and try again.") from exc
        except requests.ConnectionError as exc:
            raise DeviceDisconnectedError(
                "The device stopped answering (unplugged?). Reconnect it and try again."
            ) from exc

    def info(self) -> DeviceInfo:
        answer = self._call(VERBS[self.protocol][1], "/info", {}, 3.0).json()
        for item in answer:
            error = item.get("error") or {}
            token = item.get("deviceInfo", "")
            if str(error.get("errorCode", "0")) == "100" or token.count(".") != 2:
                info = json.loads(b64url_decode(token))
                if str(info.get("deviceId")) == self.endpoint.device_id:
                    return self._device_info(info, self.endpoint.digital_id)
                continue
            payload, _ = verify_jws(token, anchors=self.anchors)
            info = json.loads(payload)
            if str(info.get("deviceId")) != self.endpoint.device_id:
                continue
            digital_id = self._verify_digital_id(str(info.get("digitalId", "")))
            return self._device_info(info, digital_id)
        raise DeviceNotFoundError("The device no longer lists itself. Reconnect it and try again.")

    def _device_info(self, info: dict, digital_id: dict) -> DeviceInfo:
        status = STATUSES.get(str(info.get("deviceStatus")), DeviceStatus.NOT_READY)
        return DeviceInfo(
            key=f"sbi:{self.endpoint.port}:{self.endpoint.device_id}",
            modality=self.modality,
            identity=self._identity(digital_id, str(info.get("certification", ""))),
            status=status,
            sub_ids=tuple(int(s) for s in info.get("deviceSubId", [])),
        )

    def _identity(self, digital_id: dict, certification: str = "") -> DeviceIdentity:
        return DeviceIdentity(
            make=str(digital_id.get("make", "")),
            model=str(digital_id.get("model", "")),
            serial=str(digital_id.get("serialNo", "")),
            certification=certification,
            device_provider=str(digital_id.get("deviceProvider", "")),
            device_id=self.endpoint.device_id,
        )

    def _verify_digital_id(self, token: str) -> dict:
        payload, _ = verify_jws(token, anchors=self.anchors)
        digital_id = json.loads(payload)
        expected = self.endpoint.digital_id
        for key in ("serialNo", "make", "model", "type"):
            if str(digital_id.get(key)) != str(expected.get(key)):
                raise DigitalIdError(
                    f"The device's signed identity does not match what it announced ({key})."
                )
        return digital_id

    def capture(
        self,
        *,
        bio_subtypes: list[str],
        exceptions: list[str] | None = None,
        requested_score: int = 40,
        timeout_s: float = 10.0,
        sub_id: int | None = None,
    ) -> list[CaptureResult]:
        """RCAPTURE: one verified CaptureResult per captured subtype (exceptions are not captured)."""
        exceptions = exceptions or []
        transaction_id = str(uuid.uuid4())
        request = {
            "env": self.env,
            "purpose": "Registration",
            "specVersion": self.protocol,
            "timeout": int(timeout_s * 1000),
            "captureTime": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "transactionId": transaction_id,
            "bio": [
                {
                    "type": self.endpoint.bio_type,
                    "count": str(len(bio_subtypes) - len(exceptions)),
                    "bioSubType": bio_subtypes,
                    "exception": exceptions,
                    "requestedScore": str(requested_score),
                    "deviceId": self.endpoint.device_id,
                    "deviceSubId": str(sub_id if sub_id is not None else self.endpoint.sub_ids[0]),
                    "previousHash": self.previous_hash,
                }
            ],
            "customOpts": None,
        }
        started = time.monotonic()
        try:
            answer = self._call("RCAPTURE", "/capture", request, timeout_s + 1.0).json()
        except ValueError as exc:
            raise DeviceDisconnectedError("The device sent an unreadable answer.") from exc
        duration = time.monotonic() - started
        results, previous = [], self.previous_hash
        for item in answer.get("biometrics", []):
            error = item.get("error") or {}
            if str(error.get("errorCode", "0")) != "0":
                raise error_for_code(error.get("errorCode"), str(error.get("errorInfo", "")))
            payload, _ = verify_jws(str(item.get("data", "")), anchors=self.anchors)
            data = json.loads(payload)
            if data.get("transactionId") != transaction_id:
                raise TransactionMismatchError(
                    "The device answered a different capture request; discard and retry."
                )
            self._check_skew(str(data.get("timestamp", "")))
            digital_id = self._verify_digital_id(str(data.get("digitalId", "")))
            record = b64url_decode(str(data.get("bioValue", "")))
            received = str(item.get("hash", ""))
            if received not in _accepted_hashes(previous, record):
                raise HashChainError(
                    "The capture hash chain is broken; the biometric data may have been altered."
                )
            expected = previous = received
            results.append(
                CaptureResult(
                    modality=self.modality,
                    bio_subtype=str(data.get("bioSubType", "")),
                    iso_record=record,
                    image_format=_payload_format(record),
                    quality=int(float(data.get("qualityScore") or 0)),
                    identity=self._identity(digital_id, "L0"),
                    captured_at=str(data.get("timestamp", "")),
                    duration_s=duration,
                    extra={"transaction_id": transaction_id, "hash": expected},
                )
            )
        if not results and len(exceptions) < len(bio_subtypes):
            raise error_for_code(101, "no biometrics returned")
        self.previous_hash = previous  # only advance the chain when the whole answer verified
        return results

    def _check_skew(self, stamp: str) -> None:
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError as exc:
            raise TimestampSkewError(f"The device sent an unreadable timestamp {stamp!r}.") from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if abs((datetime.now(UTC) - when).total_seconds()) > self.max_skew_s:
            raise TimestampSkewError("The device clock is too far from this computer's clock; fix the time.")

    def stream(
        self, *, sub_id: int = 0, timeout_s: float = 30.0, decode: bool = True
    ) -> Iterator[PreviewFrame]:
        """STREAM: yield preview frames from the multipart M-JPEG answer until closed or timed out."""
        body = {
            "deviceId": self.endpoint.device_id,
            "deviceSubId": str(sub_id),
            "timeout": int(timeout_s * 1000),
        }
        try:
            response = requests.request(
                "STREAM", self.endpoint.url + "/stream", json=body, stream=True, timeout=(2.0, 5.0)
            )
        except requests.RequestException as exc:
            raise DeviceDisconnectedError("The device preview could not be opened.") from exc
        if "multipart" not in response.headers.get("Content-Type", ""):
            error = (response.json() or {}).get("error", {})
            raise error_for_code(error.get("errorCode", -1), str(error.get("errorInfo", "")))
        try:
            yield from _mjpeg_frames(response, decode=decode)
        finally:
            response.close()


def _arriving_bytes(response: requests.Response) -> Iterator[bytes]:
    """Bytes as they arrive. A fixed-size iter_content read blocks until that many bytes came in,
    which holds preview frames back and delivers them in bursts."""
    while chunk := response.raw.read1(65536):
        yield chunk


def _mjpeg_frames(response: requests.Response, *, decode: bool) -> Iterator[PreviewFrame]:
    import cv2
    import numpy as np

    buffer = b""
    for chunk in _arriving_bytes(response):
        buffer += chunk
        while True:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end < 0:
                break
            headers = buffer[:head_end].decode("latin-1").lower()
            length_at = headers.find("content-length:")
            if length_at < 0:
                raise DeviceError("The device preview stream is malformed (frame without length).")
            length = int(headers[length_at + 15 :].split("\r\n")[0].strip())
            start = head_end + 4
            if len(buffer) < start + length:
                break
            jpeg = buffer[start : start + length]
            buffer = buffer[start + length :].lstrip(b"\r\n")
            image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR) if decode else None
            yield PreviewFrame(jpeg=jpeg, image=image, timestamp=time.monotonic())


def _accepted_hashes(previous: str, record: bytes) -> set[str]:
    """SBI: hash = SHA-256(previous hash hex + SHA-256 hex of this ISO record). MOSIP devices write upper-case
    hex; some vendors write lower case, so both spellings of the same chain are accepted."""
    upper = chain_hash(previous.upper(), record)
    lower = hashlib.sha256((previous.lower() + hashlib.sha256(record).hexdigest()).encode()).hexdigest()
    return {upper, upper.lower(), lower, lower.upper()}


def _payload_format(record: bytes) -> str:
    from device_drivers.iso import read_iso_record

    parsed = read_iso_record(record)
    first = parsed.fingers[0] if hasattr(parsed, "fingers") else parsed[0]
    return sniff_image_format(first.image)

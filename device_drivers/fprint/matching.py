"""A libfprint reader as a :class:`device_drivers.finger_match.FingerMatcher`: the kiosk's side of the
host's ``enroll``, ``verify`` and ``identify`` requests (device_drivers.fprint.host_matching).

Thread rule: ``enrol``, ``verify`` and ``identify`` block on the host (call them on the reader's device
thread); ``cancel`` asks the host to stop the operation and returns as soon as it answers (any thread
but the UI thread). Progress events arrive on the host client's reader thread and are handed to the
caller's ``on_progress`` there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from device_drivers.base import CaptureFailedError
from device_drivers.finger_match import (
    MAX_GALLERY,
    MAX_TEMPLATE_BYTES,
    CannotMatchError,
    EnrolledPrint,
    EnrolProgress,
)
from device_drivers.fprint.errors import error_from_host

if TYPE_CHECKING:
    from device_drivers.fprint.adapter import FprintReader

HOST_SLACK_S = 5.0
MAX_TOUCHES = 4  # an enrolment may take this many times its stages (bad touches) before it times out
MAX_ENROL_S = 600.0  # and never longer than this (the host's own cap)
FPRINT_FINGERS = {
    f"{side} {name}": f"{side.upper()}_{flag}"
    for side in ("Right", "Left")
    for name, flag in (
        ("Thumb", "THUMB"),
        ("IndexFinger", "INDEX"),
        ("MiddleFinger", "MIDDLE"),
        ("RingFinger", "RING"),
        ("LittleFinger", "LITTLE"),
    )
}


class FprintMatching:
    """Enrolment and matching on one reader (owned by its :class:`FprintReader`)."""

    def __init__(self, reader: FprintReader) -> None:
        self.reader = reader
        self._progress: dict[int, Callable[[EnrolProgress], None]] = {}
        self._lock = threading.Lock()
        reader.host.subscribe(self._on_event)

    def _features(self) -> set[str]:
        return set(self.reader.description.get("features", ()))

    @property
    def can_match(self) -> bool:
        return "verify" in self._features()

    @property
    def can_identify(self) -> bool:
        return "identify" in self._features()

    def _on_event(self, event: dict) -> None:
        """Host reader thread: an enrolment's touch reaches the caller that asked for it."""
        if event.get("event") != "enroll_progress" or event.get("device") != self.reader.host_key:
            return
        with self._lock:
            callback = next(iter(self._progress.values()), None)
        done, stages = event.get("done"), event.get("stages")
        if callback is None or not isinstance(done, int) or not isinstance(stages, int):
            return
        callback(EnrolProgress(done=done, stages=stages, retry=str(event.get("retry") or "")[:40]))

    def _ask(self, op: str, *, timeout_s: float, **fields: object) -> tuple[dict, bytes]:
        header, payload = self.reader.host.request(op, timeout_s=timeout_s + HOST_SLACK_S, **fields)
        if not header.get("ok"):
            raise error_from_host(header.get("error") or {}, reader=self.reader.name)
        return header, payload

    def enrol(
        self, *, finger: str, user: str, on_progress: Callable[[EnrolProgress], None], touch_timeout_s: float
    ) -> EnrolledPrint:
        if finger not in FPRINT_FINGERS:
            raise CaptureFailedError(f"{finger!r} is not a finger a reader can enrol.")
        if not self.can_match:
            raise CannotMatchError(f"The fingerprint reader {self.reader.name} cannot check fingerprints.")
        stages = int(self.reader.description.get("enroll_stages") or 5)
        total_s = min(MAX_ENROL_S, touch_timeout_s * max(stages, 1) * MAX_TOUCHES)
        with self._lock:
            self._progress = {id(on_progress): on_progress}
        try:
            header, template = self._ask(
                "enroll",
                timeout_s=total_s,
                device=self.reader.host_key,
                finger=FPRINT_FINGERS[finger],
                username=user,
                timeout_ms=max(1000, int(touch_timeout_s * 1000)),
                total_ms=max(1000, int(total_s * 1000)),
            )
        finally:
            with self._lock:
                self._progress = {}
        if not 1 <= len(template) <= MAX_TEMPLATE_BYTES:
            raise CaptureFailedError(f"The fingerprint reader gave a print of {len(template)} bytes.")
        return EnrolledPrint(
            template=template,
            finger=finger,
            driver=str(header.get("driver") or self.driver)[:100],
            device_id=str(header.get("device_id") or "")[:100],
            stages=int(header.get("stages") or stages),
        )

    @property
    def driver(self) -> str:
        return str(self.reader.description.get("driver", ""))

    def verify(self, template: bytes, *, timeout_s: float) -> bool:
        _check_templates([template])
        header, _ = self._ask(
            "verify",
            timeout_s=timeout_s,
            payload=template,
            device=self.reader.host_key,
            timeout_ms=max(1000, int(timeout_s * 1000)),
        )
        return header.get("matched") is True

    def identify(self, templates: Sequence[bytes], *, timeout_s: float) -> int | None:
        _check_templates(templates)
        if not self.can_identify:
            raise CannotMatchError(f"The fingerprint reader {self.reader.name} cannot identify fingers.")
        header, _ = self._ask(
            "identify",
            timeout_s=timeout_s,
            payload=b"".join(templates),
            sizes=[len(t) for t in templates],
            device=self.reader.host_key,
            timeout_ms=max(1000, int(timeout_s * 1000)),
        )
        index = header.get("index")
        if index is None:
            return None
        if not isinstance(index, int) or not 0 <= index < len(templates):
            raise CaptureFailedError(f"The fingerprint reader service named print {index!r}.")
        return index

    def cancel(self) -> None:
        self.reader.host.request("cancel", timeout_s=5.0, device=self.reader.host_key)


def _check_templates(templates: Sequence[bytes]) -> None:
    if not 1 <= len(templates) <= MAX_GALLERY:
        raise CannotMatchError(
            f"{len(templates)} prints to compare: between 1 and {MAX_GALLERY} are allowed."
        )
    if not all(1 <= len(t) <= MAX_TEMPLATE_BYTES for t in templates):
        raise CannotMatchError("An enrolled print is empty or too large to be a fingerprint.")

"""Fingerprint matching on the kiosk's own reader: enrol a finger into a template, then verify a live
finger against one template or identify it among several. It authenticates officers and supervisors
(never applicants: their fingers go to the server in the packet, as images).

One Protocol, :class:`FingerMatcher`, that a reader adapter implements beside its ``FingerDevice``
methods (device_drivers.fprint.adapter.FprintReader through libfprint). A template is the reader
library's own serialized print (opaque bytes); ``driver`` says which readers can use it again.

Thread rule: ``enrol``, ``verify`` and ``identify`` block until a finger is read, the timeout passes
or the reader fails; run them on the device's thread (``ManagedDevice.thread``), never a UI thread.
``cancel`` returns at once and may be called from any other thread but the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from device_drivers.base import CaptureFailedError

MAX_TEMPLATE_BYTES = 256 * 1024  # a libfprint NBIS print of several touches is a few kilobytes
MAX_GALLERY = 500  # templates identify compares in one go


@dataclass(frozen=True)
class EnrolProgress:
    """One touch of an enrolment: ``done`` of ``stages`` accepted; ``retry`` is the reason the last
    touch was refused (``finger_retry``, ``swipe_too_short``, ``finger_not_centred``,
    ``remove_finger``), else ""."""

    done: int
    stages: int
    retry: str = ""


@dataclass(frozen=True)
class EnrolledPrint:
    """A finished enrolment: the template and the reader that made it."""

    template: bytes
    finger: str  # a single finger's bio subtype, e.g. "Right IndexFinger"
    driver: str
    device_id: str
    stages: int


class CannotMatchError(CaptureFailedError):
    """The reader cannot enrol or verify (no such feature), or the template is not one it can use
    (made by another kind of reader, or damaged): the officer uses the password."""

    device_error = "cannot_verify"


@runtime_checkable
class FingerMatcher(Protocol):
    """A reader that enrols and matches fingers itself (see the module's thread rule)."""

    @property
    def driver(self) -> str:
        """The reader library's driver name: templates made by another driver are refused."""
        ...

    @property
    def can_match(self) -> bool:
        """Whether the reader can verify at all (False: the kiosk offers the password only)."""
        ...

    @property
    def can_identify(self) -> bool:
        """Whether it can find a finger among several templates without a user id."""
        ...

    def enrol(
        self, *, finger: str, user: str, on_progress: Callable[[EnrolProgress], None], touch_timeout_s: float
    ) -> EnrolledPrint:
        """Enrol ``finger`` of ``user`` (several touches); ``on_progress`` after each touch."""
        ...

    def verify(self, template: bytes, *, timeout_s: float) -> bool:
        """Whether the live finger matches ``template``."""
        ...

    def identify(self, templates: Sequence[bytes], *, timeout_s: float) -> int | None:
        """The index in ``templates`` that the live finger matches, or None."""
        ...

    def cancel(self) -> None:
        """Stop the enrolment or match in progress (it then fails as cancelled)."""
        ...

"""Officers' and supervisors' own fingerprints on this kiosk (MOSIP's operator onboarding): enrol a
finger on the kiosk's reader, keep the print in the encrypted store, and sign in, unlock, confirm a
sign-off or approve as a supervisor with that finger instead of a password.

The print is the reader library's own serialized template (libfprint's ``FpPrint``), kept per user and
finger in ``operator_prints`` (SQLCipher, like the rest of the store) with the driver and device id of
the reader that made it; only a reader of the same driver uses it again. Enrolment, re-enrolment and
removal are audited (``fingerprint.enrolled``, ``fingerprint.reenrolled``, ``fingerprint.removed``,
``fingerprint.enrol_failed``). :class:`FingerprintService` is the :class:`FingerprintProof` the
authentication service takes, so a finger that does not match counts toward the same lockout as a
wrong password (client.core.authentication).

The reader is any device of the capture port (client.core.capture.DeviceCapture) that implements
:class:`device_drivers.finger_match.FingerMatcher`; where none is present, libfprint or PyGObject is
missing, or the kiosk has no device at all, :meth:`FingerprintService.status` says why and the screens
offer the password only.

Thread rules: every method but :meth:`cancel` may touch the store and waits for the reader: call them on
a worker, never the UI thread. Reader calls run on the reader's own device thread. :meth:`cancel` stops
the wait in progress from another worker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from client.core.audit import append_audit
from client.core.authentication import AuthenticationService, NoFingerprint, Session
from client.core.store import Store
from device_drivers.base import DeviceError, DeviceTimeoutError, Modality
from device_drivers.finger_match import MAX_GALLERY, EnrolledPrint, EnrolProgress, FingerMatcher

if TYPE_CHECKING:
    from client.core.bootstrap import ClientApp

SINGLE_FINGERS = tuple(
    f"{side} {name}"
    for side in ("Right", "Left")
    for name in ("IndexFinger", "MiddleFinger", "Thumb", "RingFinger", "LittleFinger")
)
SLACK_S = 15.0  # beyond the reader's own timeouts, before the kiosk stops waiting for its thread
ENROL_WAIT_S = 620.0  # an enrolment's longest (the reader's cap of 600 s, with its own slack)


@dataclass(frozen=True)
class EnrolledFinger:
    """One finger a user enrolled on this kiosk (no template: that stays in the store)."""

    finger: str
    driver: str
    device_id: str
    enrolled_at: str


@dataclass(frozen=True)
class FingerprintStatus:
    """Whether fingers can be used now. ``reason``: ``ready``, ``not_configured`` (the kiosk has no
    device set up), ``unavailable`` (libfprint/PyGObject missing here; ``detail`` says which),
    ``no_reader`` (none plugged in) or ``cannot_verify`` (the reader cannot match).
    ``enrolled_here``: prints this reader can use, of anyone; ``user_enrolled``: of the user asked."""

    reason: str
    detail: str = ""
    reader: str = ""
    can_identify: bool = False
    enrolled_here: int = 0
    user_enrolled: bool = False

    @property
    def available(self) -> bool:
        return self.reason == "ready"


class FingerprintService:
    """Enrolment and matching of kiosk users' fingers (see the module's thread rules)."""

    def __init__(
        self,
        *,
        store: Store,
        authentication: AuthenticationService,
        devices: Any,
        finger_timeout_s: float = 20.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store, self._auth, self._devices = store, authentication, devices
        self.finger_timeout_s = finger_timeout_s
        self._now = clock or (lambda: datetime.now(UTC))
        self._active: FingerMatcher | None = None

    # -- the reader -------------------------------------------------------------------------------
    def _reader(self) -> tuple[Any, FingerMatcher | None, FingerprintStatus]:
        """(managed device, matcher, status) of the reader to use; no matcher when none can be."""
        refresh = getattr(self._devices, "refresh", None)
        if refresh is None:
            return None, None, FingerprintStatus("not_configured")
        try:
            manager = refresh()
        except (LookupError, DeviceError) as exc:
            return None, None, FingerprintStatus("no_reader", detail=str(exc)[:300])
        readers = []
        for info in manager.devices():
            if info.modality != Modality.FINGER:
                continue
            try:
                managed = manager.device_by_key(info.key)
            except DeviceError:
                continue
            if isinstance(managed.device, FingerMatcher):
                readers.append((managed, managed.device, info))
        if not readers:
            why = dict(getattr(manager, "unavailable", {})).get("fprint")
            return None, None, FingerprintStatus("unavailable" if why else "no_reader", detail=why or "")
        readers.sort(key=lambda r: not r[1].can_match)
        managed, matcher, info = readers[0]
        name = f"{info.identity.model}".strip() or info.key
        if not matcher.can_match:
            return None, None, FingerprintStatus("cannot_verify", reader=name)
        return managed, matcher, FingerprintStatus("ready", reader=name, can_identify=matcher.can_identify)

    def status(self, *, user_id: str | None = None) -> FingerprintStatus:
        """What the screens may offer now (a fresh discovery; blocks briefly)."""
        _managed, matcher, status = self._reader()
        if matcher is None:
            return status
        with self._store.transaction() as conn:
            here, mine = conn.execute(
                text(
                    "SELECT count(*), coalesce(sum(user_id = :u), 0) FROM operator_prints WHERE driver = :d"
                ),
                {"u": user_id or "", "d": matcher.driver},
            ).one()
        return FingerprintStatus(
            status.reason,
            reader=status.reader,
            can_identify=status.can_identify,
            enrolled_here=int(here),
            user_enrolled=bool(user_id) and int(mine) > 0,
        )

    def _ready(self) -> tuple[Any, FingerMatcher]:
        managed, matcher, status = self._reader()
        if matcher is None:
            raise NoFingerprint(
                f"no fingerprint reader can be used: {status.reason}", reason=f"fp_{status.reason}"
            )
        return managed, matcher

    def _on_reader(self, managed: Any, matcher: FingerMatcher, call: Callable[[], Any], wait_s: float) -> Any:
        """``call()`` on the reader's device thread, waited for here; cancellable through :meth:`cancel`."""
        self._active = matcher
        try:
            return managed.thread.submit(call).result(wait_s + SLACK_S)
        except FutureTimeout:
            raise DeviceTimeoutError("the fingerprint reader did not answer in time") from None
        finally:
            self._active = None

    def cancel(self) -> None:
        """Stop waiting for a finger (the enrolment or match then fails as cancelled)."""
        matcher = self._active
        if matcher is not None:
            with contextlib.suppress(DeviceError):  # the reader went away: the wait ends by itself
                matcher.cancel()

    # -- enrolled prints (the store) -----------------------------------------------------------------
    def _prints(
        self, *, user_id: str | None = None, driver: str | None = None
    ) -> list[tuple[str, str, bytes]]:
        """(user id, finger, template), newest first, filtered by user and/or driver."""
        query = "SELECT user_id, finger, template FROM operator_prints WHERE 1 = 1"
        values: dict[str, object] = {"limit": MAX_GALLERY}
        if user_id is not None:
            query, values["u"] = query + " AND user_id = :u", user_id
        if driver is not None:
            query, values["d"] = query + " AND driver = :d", driver
        with self._store.transaction() as conn:
            rows = conn.execute(text(query + " ORDER BY enrolled_at DESC LIMIT :limit"), values).all()
        return [(str(r[0]), str(r[1]), bytes(r[2])) for r in rows]

    def enrolled(self, user_id: str) -> list[EnrolledFinger]:
        """The fingers ``user_id`` enrolled on this kiosk, in enrolment order."""
        with self._store.transaction() as conn:
            rows = conn.execute(
                text(
                    "SELECT finger, driver, device_id, enrolled_at FROM operator_prints WHERE user_id = :u"
                    " ORDER BY enrolled_at"
                ),
                {"u": user_id},
            ).all()
        return [EnrolledFinger(*map(str, row)) for row in rows]

    def enrol(
        self,
        session: Session,
        *,
        password: str,
        finger: str,
        on_progress: Callable[[EnrolProgress], None] = lambda _p: None,
    ) -> EnrolledFinger:
        """The signed-in user enrols ``finger`` (again, replacing the old print): their password first
        (the lockout counts it), then several touches on the reader. Audited either way."""
        if finger not in SINGLE_FINGERS:
            raise ValueError(f"{finger!r} is not a finger")
        self._auth.reauthenticate(session, password=password, purpose="fingerprint.enrol")
        managed, matcher = self._ready()
        user = session.user_id

        def work() -> EnrolledPrint:
            return matcher.enrol(
                finger=finger, user=user, on_progress=on_progress, touch_timeout_s=self.finger_timeout_s
            )

        try:
            made: EnrolledPrint = self._on_reader(managed, matcher, work, ENROL_WAIT_S)
        except Exception as exc:
            code = getattr(exc, "device_error", type(exc).__name__)
            with self._store.transaction() as conn:
                append_audit(
                    conn,
                    actor=user,
                    action="fingerprint.enrol_failed",
                    details={"finger": finger, "error": code},
                )
            raise
        when = self._now().isoformat()
        with self._store.transaction() as conn:
            again = conn.execute(
                text("SELECT 1 FROM operator_prints WHERE user_id = :u AND finger = :f"),
                {"u": user, "f": finger},
            ).first()
            conn.execute(
                text(
                    "INSERT INTO operator_prints (user_id, finger, template, driver, device_id, enrolled_at)"
                    " VALUES (:u, :f, :t, :d, :i, :w) ON CONFLICT (user_id, finger) DO UPDATE SET"
                    " template = :t, driver = :d, device_id = :i, enrolled_at = :w"
                ),
                {
                    "u": user,
                    "f": finger,
                    "t": made.template,
                    "d": made.driver,
                    "i": made.device_id,
                    "w": when,
                },
            )
            details = {
                "finger": finger,
                "driver": made.driver,
                "device_id": made.device_id,
                "touches": made.stages,
            }
            action = "fingerprint.reenrolled" if again else "fingerprint.enrolled"
            append_audit(conn, actor=user, action=action, details=details)
        return EnrolledFinger(finger, made.driver, made.device_id, when)

    def remove(self, session: Session, *, finger: str) -> bool:
        """The signed-in user removes their print of ``finger``; False when there was none."""
        if session.locked:
            raise NoFingerprint("the session is locked", reason="session_locked")
        with self._store.transaction() as conn:
            gone = conn.execute(
                text("DELETE FROM operator_prints WHERE user_id = :u AND finger = :f"),
                {"u": session.user_id, "f": finger},
            ).rowcount
            if gone:
                append_audit(
                    conn, actor=session.user_id, action="fingerprint.removed", details={"finger": finger}
                )
        return bool(gone)

    # -- FingerprintProof (client.core.authentication) ------------------------------------------------
    def matches(self, user_id: str) -> bool:
        """Whether the finger on the reader is one of ``user_id``'s enrolled fingers."""
        managed, matcher = self._ready()
        mine = self._prints(user_id=user_id)
        if not mine:
            raise NoFingerprint(
                f"{user_id} has no fingerprint on this kiosk", reason="no_print", user=user_id
            )
        usable = [r[2] for r in self._prints(user_id=user_id, driver=matcher.driver)]
        if not usable:
            raise NoFingerprint(
                f"{user_id}'s fingerprint was enrolled on another kind of reader",
                reason="other_reader",
                user=user_id,
            )
        wait = self.finger_timeout_s
        if len(usable) == 1 or not matcher.can_identify:
            return bool(
                self._on_reader(managed, matcher, lambda: matcher.verify(usable[0], timeout_s=wait), wait)
            )
        found = self._on_reader(managed, matcher, lambda: matcher.identify(usable, timeout_s=wait), wait)
        return found is not None

    def identify(self) -> str | None:
        """Whose enrolled finger is on the reader (among every print this reader can use), or None."""
        managed, matcher = self._ready()
        if not matcher.can_identify:
            raise NoFingerprint("this reader cannot find a finger without a user id", reason="needs_user_id")
        rows = self._prints(driver=matcher.driver)
        if not rows:
            raise NoFingerprint("nobody has enrolled a fingerprint on this kiosk", reason="none_enrolled")
        wait = self.finger_timeout_s
        index = self._on_reader(
            managed, matcher, lambda: matcher.identify([r[2] for r in rows], timeout_s=wait), wait
        )
        return rows[index][0] if index is not None else None


def fingerprint_service(client: ClientApp, *, devices: Any) -> FingerprintService | None:
    """The service over a built client and the capture port its screens use; None where the kiosk has no
    capture port (no device set up at all: fingers are not offered, nothing to explain)."""
    if devices is None or not hasattr(devices, "refresh"):
        return None
    return FingerprintService(store=client.store, authentication=client.authentication, devices=devices)

"""First start: enrol this kiosk with the server for a center, wait for approval, pin the server keys.

The first approved answer is trusted (the signing key is pinned then, with the recipients of the key
set it signs). After that, enrolling again needs a supervisor on the spot, the server must present the
pinned signing key and prove it holds it (a freshly signed key set), and the recipients come only from
that signed set: an answer carrying the real public signing key with someone else's recipient changes
nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from client.core.machine import MachineIdentity, MachineKeys, PinnedKeyMismatch
from client.core.sync.server_keys import (
    ServerKeySource,
    ServerKeysRefused,
    apply_key_set,
    fetch_verified_key_set,
)
from shared.exit_codes import OFFLINE, REFUSED
from shared.sync import EnrolResponse

if TYPE_CHECKING:
    from client.core.authentication import AuthenticationService


class EnrolmentPending(RuntimeError):
    """The server has not approved this machine yet."""

    exit_code = OFFLINE


class EnrolmentRejected(RuntimeError):
    exit_code = REFUSED


class ReenrolmentRefused(PermissionError):
    """The kiosk is already enrolled; enrolling it again needs a supervisor's approval."""


@dataclass(frozen=True)
class SupervisorCredentials:
    """What a supervisor types at the kiosk to approve re-enrolment (checked offline, with lockout)."""

    user_id: str
    password: str
    totp: str | None = None


class EnrolmentServer(ServerKeySource, Protocol):
    def enrol(self, *, public_key: str, center_id: str, name: str) -> EnrolResponse:
        """Ask to be enrolled (POST /machines/enrol); idempotent for the same key."""
        ...


class EnrolmentService:
    def __init__(
        self,
        *,
        machine: MachineKeys,
        server: EnrolmentServer,
        authentication: AuthenticationService | None = None,
        allow_insecure_http: bool = False,
        ca_pem: bytes | None = None,
    ) -> None:
        self._machine, self._server, self._auth = machine, server, authentication
        self._allow_http, self._ca_pem = allow_insecure_http, ca_pem

    def enrol(
        self, *, center_id: str, name: str = "kiosk", supervisor: SupervisorCredentials | None = None
    ) -> MachineIdentity:
        """Ask (again) to be enrolled; idempotent for the same key. A kiosk that already pinned a server
        key needs ``supervisor`` (raises :class:`ReenrolmentRefused` without, AuthError if wrong)."""
        return self._enrol_once(center_id=center_id, name=name, approved_by=self._approval(supervisor))

    def _approval(self, supervisor: SupervisorCredentials | None) -> str | None:
        if not self._machine.identity().pinned:
            return None
        if supervisor is None or self._auth is None:
            raise ReenrolmentRefused(
                "this kiosk is already enrolled; enrolling it again needs a supervisor's approval"
            )
        return self._auth.supervisor_approval(
            user_id=supervisor.user_id,
            password=supervisor.password,
            totp=supervisor.totp,
            purpose="machine.re_enrolment",
        )

    def _enrol_once(self, *, center_id: str, name: str, approved_by: str | None) -> MachineIdentity:
        identity = self._machine.identity()
        answer = self._server.enrol(public_key=identity.public_key, center_id=center_id, name=name)
        status = str(answer.status)
        signing_key = answer.server_signing_key
        if status == "approved" and not (signing_key and answer.packet_recipients):
            raise EnrolmentRejected("the server approved the machine but sent no keys to pin")
        if identity.pinned and signing_key and signing_key != identity.server_signing_key:
            raise PinnedKeyMismatch("the server presented a different signing key than the one pinned")
        if status == "approved":
            key_set = fetch_verified_key_set(self._server, signing_key=signing_key)
            if list(answer.packet_recipients) != key_set.packet_recipients:
                raise ServerKeysRefused(
                    "the enrolment answer names packet recipients the server's signed key set does not; "
                    "nothing changed"
                )
        if identity.pinned:
            if status == "approved":  # the server proved it holds the pinned key, at this address
                apply_key_set(
                    self._machine,
                    key_set,
                    allow_insecure_http=self._allow_http,
                    server_url=self._server.base_url,
                    actor=approved_by,
                )
            self._machine.record_enrolment(
                status=status,
                machine_id=answer.machine_id,
                center_id=answer.center_id,
            )
        else:
            self._machine.record_enrolment(
                status=status,
                machine_id=answer.machine_id,
                center_id=answer.center_id,
                signing_key=signing_key,
                recipients=key_set.packet_recipients if status == "approved" else None,
                recipient_key_id=key_set.recipient_key_id if status == "approved" else None,
                keys_issued_at=key_set.issued_at.isoformat() if status == "approved" else None,
                server_url=self._server.base_url,
            )
        if status == "approved" and self._ca_pem:
            self._machine.pin_server_ca(self._ca_pem)
        details = {"status": status, "center_id": center_id, "approved_by": approved_by}
        self._machine.audit(
            action="machine.re_enrolment" if identity.pinned else "machine.enrolment", details=details
        )
        if status == "rejected":
            raise EnrolmentRejected("the server rejected this machine's enrolment")
        return self._machine.identity()

    def wait_for_approval(
        self,
        *,
        center_id: str,
        timeout_s: float = 60.0,
        poll_s: float = 1.0,
        on_wait: Callable[[float], None] | None = None,
        supervisor: SupervisorCredentials | None = None,
    ) -> MachineIdentity:
        """Poll enrolment until approved (demo servers approve at once); raise EnrolmentPending on timeout.
        The supervisor (needed when the kiosk is already enrolled) is checked once, before the first call."""
        approved_by = self._approval(supervisor)
        deadline = time.monotonic() + timeout_s
        while True:
            identity = self._enrol_once(center_id=center_id, name="kiosk", approved_by=approved_by)
            if identity.enrolled:
                return identity
            if time.monotonic() >= deadline:
                raise EnrolmentPending("still waiting for an administrator to approve this machine")
            if on_wait:
                on_wait(deadline - time.monotonic())
            time.sleep(poll_s)

"""First start: enrol this kiosk with the server for a center, wait for approval, pin the server keys."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from client.core.machine import MachineIdentity, MachineKeys


class EnrolmentPending(RuntimeError):
    """The server has not approved this machine yet."""


class EnrolmentRejected(RuntimeError):
    pass


class EnrolmentServer(Protocol):
    base_url: str

    def enrol(self, *, public_key: str, center_id: str, name: str) -> dict[str, Any]:
        """Return {"machine_id", "status", "server_signing_key", "packet_recipients", "recipient_key_id"}."""
        ...


class EnrolmentService:
    def __init__(self, *, machine: MachineKeys, server: EnrolmentServer) -> None:
        self._machine, self._server = machine, server

    def enrol(self, *, center_id: str, name: str = "kiosk") -> MachineIdentity:
        """Ask (again) to be enrolled; idempotent for the same key. Records whatever the server says."""
        identity = self._machine.identity()
        answer = self._server.enrol(public_key=identity.public_key, center_id=center_id, name=name)
        status = answer.get("status", "pending")
        if status == "approved" and not (
            answer.get("server_signing_key") and answer.get("packet_recipients")
        ):
            raise EnrolmentRejected("the server approved the machine but sent no keys to pin")
        self._machine.record_enrolment(
            status=status,
            machine_id=answer.get("machine_id"),
            center_id=answer.get("center_id", center_id),
            signing_key=answer.get("server_signing_key"),
            recipients=answer.get("packet_recipients"),
            recipient_key_id=answer.get("recipient_key_id"),
            server_url=self._server.base_url,
        )
        self._machine.audit(action="machine.enrolment", details={"status": status, "center_id": center_id})
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
    ) -> MachineIdentity:
        """Poll enrolment until approved (demo servers approve at once); raise EnrolmentPending on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            identity = self.enrol(center_id=center_id)
            if identity.enrolled:
                return identity
            if time.monotonic() >= deadline:
                raise EnrolmentPending("still waiting for an administrator to approve this machine")
            if on_wait:
                on_wait(deadline - time.monotonic())
            time.sleep(poll_s)

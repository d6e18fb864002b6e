"""The port the sync and upload agents speak through; :mod:`client.core.sync.http` implements it over
the sync protocol (docs/sync-protocol.md, models in shared.sync)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from shared.exit_codes import OFFLINE, REFUSED
from shared.sync import ErrorCode, PacketStatus

if TYPE_CHECKING:
    from client.core.settings import ClientSettings


class TransportError(RuntimeError):
    """Network failure, timeout or a 5xx/429 answer: worth retrying later."""

    exit_code = OFFLINE


class SyncStopped(RuntimeError):
    """The officer paused; the round stopped between chunks or phases (raised from a progress callback,
    so it passes through the agents: they must let it through, not count it as a packet's failure)."""


class ServerRefused(RuntimeError):
    """The server answered with a definite refusal (4xx): retrying the same request will not help.

    ``code`` is the answer's :class:`shared.sync.ErrorCode` (a plain string if this build does not know
    it, None if the body was not an ErrorBody): callers match ``exc.code``, never the message text.
    ``current_offset`` is the server's offset on ``offset_mismatch`` / ``hash_mismatch``."""

    exit_code = REFUSED

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | str | None = None,
        status: int | None = None,
        current_offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.status, self.current_offset = code, status, current_offset


def reason_text(code: str | None, reason: str | None) -> str:
    """A server outcome as an officer reads it: ``[duplicate] duplicate of UIN …``."""
    return f"[{code}] {reason or ''}".rstrip() if code else reason or ""


def retrying(settings: ClientSettings) -> Retrying:
    """The retry policy of every upload-side call: TransportError only, random exponential backoff,
    ``upload_max_attempts`` tries, then tenacity's RetryError (not the last TransportError)."""
    return Retrying(
        retry=retry_if_exception_type(TransportError),
        wait=wait_random_exponential(multiplier=settings.backoff_initial_s, max=settings.backoff_max_s),
        stop=stop_after_attempt(settings.upload_max_attempts),
        reraise=False,
    )


class StatusTransport(Protocol):
    def packet_statuses(self, *, rids: list[str]) -> list[PacketStatus]:
        """The server's state of each RID (``unknown`` for RIDs it never saw)."""
        ...


class UploadTransport(StatusTransport, Protocol):
    def register_packet(self, *, rid: str, sha256: str, size: int, meta: dict[str, Any]) -> int:
        """Announce a packet, i.e. create its upload (tus creation; idempotent by RID + hash); return the
        server's current byte offset, where the upload resumes."""
        ...

    def upload_offset(self, *, rid: str) -> int:
        """Bytes of ``rid`` the server already holds (HEAD)."""
        ...

    def upload_chunk(self, *, rid: str, offset: int, data: bytes) -> int:
        """Append ``data`` at ``offset`` (PATCH); return the new offset. Refusals the agent acts on:
        ``offset_mismatch`` (resume at ``current_offset``), ``checksum_mismatch`` (the chunk broke on
        the way: send it again), ``hash_mismatch`` (the whole file did not match: from 0)."""
        ...

    def report_rejected(self, *, rid: str, sha256: str, size: int, reason: str, meta: dict[str, Any]) -> None:
        """Tell the server a supervisor rejected this packet at the kiosk (no content is sent)."""
        ...

    def report_damaged(self, *, rid: str, sha256: str, size: int, problem: str, detail: str) -> PacketStatus:
        """Tell the server this packet's sealed file is damaged here and will not be uploaded; the answer
        is the server's state (``damaged``, or ``received`` and later if it already holds the packet)."""
        ...

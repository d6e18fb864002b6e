"""Ports between the server's backend packages: what ``processing`` and ``reports`` need from the ID
store, and what ``reports`` reads of processing, as Protocols and plain value types.

``processing``, ``reports`` and ``idstore`` never import each other (an import-linter independence
contract checks it); each depends on this module instead, and the composition root
(``sync_server.backend``) hands each the implementation: ``idstore.store.IdStore`` for
the identity ports, ``processing.job_queries.JobQueries`` for ``ProcessingJobs``. Tests may pass
fakes implementing the same Protocols.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# Why an identity is read: kept in the audit log, so bounded like every input.
MAX_PURPOSE_CHARS = 500


class DuplicateIdentity(Exception):
    """Another registration already holds this person's dedupe key (under UIN ``uin``)."""

    def __init__(self, uin: str) -> None:
        super().__init__(f"duplicate of UIN {uin}")
        self.uin = uin


class IdentityNotFound(LookupError):
    """No identity with that UIN or RID."""


@dataclass(frozen=True)
class BlobIn:
    """One document or biometric of an identity, in plaintext."""

    kind: str  # "document" | "biometric"
    name: str
    content_type: str
    data: bytes
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Identity:
    """One stored identity as an audited admin read returns it (decrypted)."""

    uin: str
    rid: str
    version: int
    demographics: dict[str, Any]
    center_id: str | None
    blobs: list[BlobIn]


class IdentityWriter(Protocol):
    """What the processing stages need from the ID store. Every call is idempotent by RID, and safe
    from several worker threads and processes at once."""

    def find_by_dedupe_key(self, dedupe_key: str) -> tuple[str, str] | None:
        """(uin, rid) of the identity with this dedupe key, if any."""
        ...

    def issue_uin(self, *, rid: str) -> str:
        """The packet's UIN: the one already issued for ``rid``, or a fresh unused one."""
        ...

    def write_identity(
        self,
        *,
        uin: str,
        rid: str,
        demographics: dict[str, Any],
        dedupe_key: str,
        center_id: str | None,
        blobs_in: Sequence[BlobIn],
        blocking_text: str | None = None,
    ) -> None:
        """Store the identity once; raises ``DuplicateIdentity`` if another RID holds ``dedupe_key``."""
        ...


class IdentityReader(Protocol):
    """Audited admin reads. Raise ``IdentityNotFound``, or ``ValueError`` for a purpose that is blank
    or longer than ``MAX_PURPOSE_CHARS``."""

    def get_by_uin(self, uin: str, *, actor: str, purpose: str) -> Identity: ...

    def get_by_rid(self, rid: str, *, actor: str, purpose: str) -> Identity: ...


class ProcessingJobs(Protocol):
    """Read-only counts over the processing queue, for reports. Times are timezone-aware UTC."""

    def received_since(self, since: dt.datetime) -> list[tuple[str | None, dt.datetime, str]]:
        """(center_id, enqueued_at, status) of every packet queued at or after ``since``."""
        ...

    def count_per_operator(self, since: dt.datetime) -> list[tuple[str | None, str | None, int]]:
        """(center_id, operator_id, packets) queued since ``since``, ordered by center and operator."""
        ...

    def count_rejections(self, since: dt.datetime) -> list[tuple[str | None, int]]:
        """(reason_code, packets) rejected among those queued since ``since``, most frequent first."""
        ...

    def count_unfinished(self, before: dt.datetime) -> list[tuple[str, str | None, int, dt.datetime]]:
        """(status, last stage, packets, oldest enqueued_at) of unfinished packets queued before ``before``."""
        ...

    def last_enqueued_per_machine(self) -> list[tuple[str | None, dt.datetime]]:
        """(machine_id, latest enqueued_at) per machine seen in the queue."""
        ...

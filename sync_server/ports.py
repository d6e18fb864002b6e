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
from collections.abc import Mapping, Sequence
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
    sha256: str = ""  # hex SHA-256 of ``data`` when the caller computed it already; else the store does


@dataclass(frozen=True)
class IdentityVersion:
    """One version in an identity's history: the packet that made it and what it changed
    (field -> (before, after)); the first version's ``changes`` are empty."""

    version: int
    rid: str
    flow: str
    created_at: Any
    changes: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class Identity:
    """One stored identity as an audited admin read returns it (decrypted)."""

    uin: str
    rid: str
    version: int
    demographics: dict[str, Any]
    center_id: str | None
    blobs: list[BlobIn]
    status: str = "active"
    status_reason: str | None = None
    history: list[IdentityVersion] = field(default_factory=list)


class IdentityInactive(Exception):
    """The identity is deactivated or revoked: it cannot be updated or found by the lost flow."""


class VersionConflict(Exception):
    """The identity changed since it was read (another update won); read again and retry."""


@dataclass(frozen=True)
class StoredIdentity:
    """What processing reads of an identity (not an admin read: not audited): current version."""

    uin: str
    rid: str
    version: int
    status: str  # active | deactivated | revoked
    demographics: dict[str, Any]


@dataclass(frozen=True)
class CandidateIdentity:
    """An identity filed under one of the blocking keys asked for, decrypted for fuzzy matching."""

    uin: str
    rid: str
    demographics: dict[str, Any]


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
        distinct: bool = False,
    ) -> None:
        """Store the identity once; raises ``DuplicateIdentity`` if another RID holds ``dedupe_key``.
        ``distinct``: an adjudicator decided this is not the person holding the same dedupe key."""
        ...

    def candidates(self, *, blocking_texts: Sequence[str], limit: int = 200) -> list[CandidateIdentity]:
        """Active identities filed under any of ``blocking_texts``, for fuzzy matching."""
        ...

    def current(self, uin: str) -> StoredIdentity | None:
        """The current version of ``uin``, or None if no such identity."""
        ...

    def update_identity(
        self,
        *,
        uin: str,
        rid: str,
        flow: str,
        expected_version: int,
        demographics: dict[str, Any],
        changed_fields: Sequence[str],
        dedupe_key: str,
        blocking_text: str | None,
        blobs_in: Sequence[BlobIn],
    ) -> int:
        """Make ``demographics`` (whole, already merged) the next version, replacing blobs of the
        same kind and name; returns the version. Idempotent by ``rid`` (a repeat returns the version
        it made). ``VersionConflict`` if the current version is not ``expected_version``;
        ``IdentityInactive`` if the identity is not active."""
        ...


class IdentityReader(Protocol):
    """Audited admin reads. Raise ``IdentityNotFound``, or ``ValueError`` for a purpose that is blank
    or longer than ``MAX_PURPOSE_CHARS``."""

    def get_by_uin(self, uin: str, *, actor: str, purpose: str) -> Identity: ...

    def get_by_rid(self, rid: str, *, actor: str, purpose: str) -> Identity: ...

    def set_status(self, uin: str, *, status: str, reason: str, actor: str) -> str:
        """Activate, deactivate or revoke ``uin`` (audited); returns the former status. ``ValueError``
        for a bad status or reason, or a revoked UIN; ``IdentityNotFound``."""
        ...


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


class Notifier(Protocol):
    """Queues a resident's notifications (``sync_server.notifications.OutboxNotifier``) on the
    caller's connection, so they commit with the outcome they tell of. Unusable contacts are
    dropped, never an error."""

    def notify(
        self,
        conn: Any,
        *,
        rid: str,
        event: str,
        language: str | None,
        email: Any = None,
        phone: Any = None,
        values: Mapping[str, Any] | None = None,
    ) -> int: ...

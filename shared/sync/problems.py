"""Wire models of master-data problem reports: a kiosk that meets a change it cannot apply records it,
skips it and reports it here, so head office sees which kiosk refused what (docs/sync-protocol.md)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

MAX_PROBLEMS_PER_REPORT = 100
MAX_REASON_CHARS = 2000
_NO_NUL = r"^[^\x00]+$"  # PostgreSQL text cannot hold NUL


class MasterDataProblem(BaseModel):
    """One change (``seq`` in the change log; for a snapshot row, the snapshot cursor) the kiosk skipped."""

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=0, le=2**62)
    entity: str = Field(min_length=1, max_length=64, pattern=_NO_NUL)
    id: str = Field(min_length=1, max_length=200, pattern=_NO_NUL)
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS, pattern=_NO_NUL)
    seen_at: dt.datetime


class MasterDataProblemReport(BaseModel):
    """Body of POST /api/v1/masterdata/problems (machine token)."""

    model_config = ConfigDict(extra="forbid")

    problems: list[MasterDataProblem] = Field(min_length=1, max_length=MAX_PROBLEMS_PER_REPORT)


class MasterDataProblemsStored(BaseModel):
    """``stored``: new reports kept; ``duplicates``: already held (a retried report); ``dropped``: over
    the per-machine limit, not kept."""

    stored: int
    duplicates: int
    dropped: int


class MasterDataProblemPublic(BaseModel):
    """A stored report, as admins read it (GET /api/v1/admin/masterdata/problems)."""

    machine_id: str
    center_id: str | None
    seq: int
    entity: str
    id: str
    reason: str
    seen_at: dt.datetime
    received_at: dt.datetime

"""Master-data problem reports: kiosks post what they skipped; admins list them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shared.sync import ErrorBody
from shared.sync.problems import MasterDataProblemPublic, MasterDataProblemReport, MasterDataProblemsStored
from sync_server.api.deps import AdminDep, MachineDep, SessionDep
from sync_server.services import masterdata_problems

router = APIRouter(prefix="/api/v1", tags=["masterdata"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 422)}


@router.post("/masterdata/problems", responses=_ERRORS)
def report_problems(
    report: MasterDataProblemReport, machine: MachineDep, session: SessionDep
) -> MasterDataProblemsStored:
    """Record master-data changes this kiosk could not apply and skipped (idempotent per change)."""
    return masterdata_problems.record_problems(
        session, machine_id=machine.subject, center_id=machine.center_id, problems=report.problems
    )


@router.get("/admin/masterdata/problems", responses=_ERRORS)
def list_problems(
    _admin: AdminDep,
    session: SessionDep,
    machine_id: Annotated[str | None, Query(pattern=r"^[0-9]{5}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[MasterDataProblemPublic]:
    """Problems kiosks reported, newest first."""
    return masterdata_problems.list_problems(session, machine_id=machine_id, limit=limit)

import datetime as dt

from fastapi import APIRouter, Request

from shared.sync import EnrolRequest, EnrolResponse, ErrorBody, MachineStatus
from sync_server.api.deps import StateDep, UnitOfWorkDep, check_rate, client_address
from sync_server.services.machines import EnrolmentLimits, enrol_machine

router = APIRouter(prefix="/api/v1/machines", tags=["machines"])


@router.post("/enrol", responses={code: {"model": ErrorBody} for code in (409, 422, 429, 503)})
def enrol(request: EnrolRequest, http: Request, state: StateDep, session: UnitOfWorkDep) -> EnrolResponse:
    """Ask to be enrolled for a center (idempotent per key). Keys to pin come once approved. New
    enrolments are rate-limited per address and capped while pending (429)."""
    settings, address = state.settings, client_address(http)

    row = enrol_machine(
        session,
        request=request,
        auto_approve=settings.demo,
        address=address,
        limits=EnrolmentLimits(
            per_address=settings.max_pending_enrolments_per_address,
            total=settings.max_pending_enrolments,
            pending_ttl=dt.timedelta(seconds=settings.pending_enrolment_ttl_s),
        ),
        admit_new=lambda: check_rate(state, kind="enrol", address=address),
    )
    approved = row.status == MachineStatus.approved.value
    return EnrolResponse(
        machine_id=row.machine_id,
        center_id=row.center_id,
        name=row.name,
        status=MachineStatus(row.status),
        server_signing_key=state.keys.signing_public if approved else None,
        packet_recipients=state.keys.recipients if approved else [],
        recipient_key_id=state.keys.recipient_key_id if approved else None,
    )

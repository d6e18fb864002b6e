from fastapi import APIRouter

from shared.sync import EnrolRequest, EnrolResponse, ErrorBody, MachineStatus
from sync_server.api.deps import SessionDep, StateDep
from sync_server.services.machines import enrol_machine

router = APIRouter(prefix="/api/v1/machines", tags=["machines"])


@router.post("/enrol", responses={409: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def enrol(request: EnrolRequest, session: SessionDep, state: StateDep) -> EnrolResponse:
    """Ask to be enrolled for a center (idempotent per key). Keys to pin come once approved."""
    row = enrol_machine(session, request=request, auto_approve=state.settings.demo)
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

from fastapi import APIRouter

from shared.sync import HealthResponse
from sync_server import __version__
from sync_server.api.deps import StateDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(state: StateDep) -> HealthResponse:
    return HealthResponse(
        version=__version__, signing_key=state.keys.signing_public, packet_recipients=state.keys.recipients
    )

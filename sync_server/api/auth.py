from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from shared.sync import (
    ChallengeRequest,
    ChallengeResponse,
    ErrorBody,
    ErrorCode,
    LoginRequest,
    MachineTokenRequest,
    TokenResponse,
)
from sync_server.api.deps import SessionDep, StateDep
from sync_server.errors import ApiError
from sync_server.services import auth

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_ERRORS = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}}


def _no_store(response: Response) -> None:
    # A bearer token must not stay in any cache (proxy, browser, disk) after it was handed out.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


@router.post("/challenge", responses=_ERRORS)
def challenge(request: ChallengeRequest, session: SessionDep, state: StateDep) -> ChallengeResponse:
    row = auth.issue_challenge(session, machine_id=request.machine_id, ttl_s=state.settings.challenge_ttl_s)
    return ChallengeResponse(challenge=row.challenge, expires_at=row.expires_at)


@router.post("/machine-token", responses=_ERRORS)
def machine_token(request: MachineTokenRequest, state: StateDep, response: Response) -> TokenResponse:
    """Trade a signed challenge for a short-lived machine token. Each challenge works once."""
    _no_store(response)
    with Session(state.engine) as session:
        with session.begin():
            expired = auth.consume_challenge(
                session, machine_id=request.machine_id, challenge=request.challenge
            )
        if expired:
            raise ApiError(401, ErrorCode.challenge_invalid, "the challenge has expired; ask for a new one")
        with session.begin():
            return auth.machine_token(
                session,
                machine_id=request.machine_id,
                challenge=request.challenge,
                signature=request.signature,
                ttl_s=state.settings.machine_token_ttl_s,
            )


@router.post("/login", responses=_ERRORS)
def login(request: LoginRequest, session: SessionDep, state: StateDep, response: Response) -> TokenResponse:
    """Trade an admin user's name and password for a short-lived user token."""
    _no_store(response)
    return auth.login(
        session, username=request.username, password=request.password, ttl_s=state.settings.user_token_ttl_s
    )

from fastapi import APIRouter, Response

from shared.sync import (
    ChallengeRequest,
    ChallengeResponse,
    ErrorBody,
    ErrorCode,
    LoginRequest,
    MachineTokenRequest,
    TokenResponse,
)
from sync_server.api.deps import (
    ChallengeRateLimit,
    LoginRateLimit,
    SessionDep,
    StateDep,
    UnitOfWorkDep,
    lockout_policy,
)
from sync_server.services import auth, console_accounts
from sync_server.services.errors import NotAuthenticated

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 429)}


def _no_store(response: Response) -> None:
    # A bearer token must not stay in any cache (proxy, browser, disk) after it was handed out.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


@router.post("/challenge", responses=_ERRORS, dependencies=[ChallengeRateLimit])
def challenge(request: ChallengeRequest, session: SessionDep, state: StateDep) -> ChallengeResponse:
    row = auth.issue_challenge(
        session,
        machine_id=request.machine_id,
        ttl_s=state.settings.challenge_ttl_s,
        keep=state.settings.max_challenges_per_machine,
    )
    return ChallengeResponse(challenge=row.challenge, expires_at=row.expires_at)


@router.post("/machine-token", responses=_ERRORS)
def machine_token(
    request: MachineTokenRequest, state: StateDep, session: UnitOfWorkDep, response: Response
) -> TokenResponse:
    """Trade a signed challenge for a short-lived machine token. Each challenge works once."""
    _no_store(response)
    return auth.machine_token(
        session,
        machine_id=request.machine_id,
        challenge=request.challenge,
        signature=request.signature,
        ttl_s=state.settings.machine_token_ttl_s,
    )


@router.post("/login", responses=_ERRORS, dependencies=[LoginRateLimit])
def login(
    request: LoginRequest, state: StateDep, session: UnitOfWorkDep, response: Response
) -> TokenResponse:
    """A user token for a user name and password, and ``totp_code`` once the user enrolled a second
    factor in the web console. Rate-limited per address; a name is locked for ``login_lockout_s`` after
    ``login_max_failures`` wrong passwords or codes (403 account_locked)."""
    _no_store(response)
    settings = state.settings
    policy = lockout_policy(state)

    def second_factor(user: auth.CheckedUser) -> None:
        with session.begin():
            needed = console_accounts.has_second_factor(session, username=user.username)
        if needed and not (
            request.totp_code
            and console_accounts.guarded_check(
                session,
                username=user.username,
                code=request.totp_code,
                policy=policy,
                check=console_accounts.verify_code,
            )
        ):
            raise NotAuthenticated(
                ErrorCode.bad_credentials, "this account also needs its current TOTP code (totp_code)"
            )

    return auth.login(
        session,
        username=request.username,
        password=request.password,
        ttl_s=settings.user_token_ttl_s,
        guards=state.guards,
        policy=policy,
        second_factor=second_factor,
    )

"""The public status route for residents: ``POST /api/v1/resident/status`` with a RID and a date of
birth answers the registration's state in plain words, and nothing else (``services.resident_status``).

No token: anyone may ask, so every request spends a token of its client address (checked before the
body is even validated) and a well-formed one a token of its RID (429 with Retry-After). An unknown
RID and a wrong date of birth get the same 404 body. ``resident_guard`` and ``resident_keys`` are the
dependencies the public page (``console.resident_page``) shares with this route.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from shared.sync import ErrorBody, ErrorCode
from sync_server.api.deps import StateDep, client_address, get_backend
from sync_server.console.resident_text import (
    answer_for,
    answer_language,
    busy_message,
    full_message,
    not_found_message,
)
from sync_server.errors import ApiError
from sync_server.services import resident_status
from sync_server.services.errors import RateLimited
from sync_server.services.resident_status import ResidentKeys, ResidentState, ResidentStatusGuard
from sync_server.services.throttle import retry_after

router = APIRouter(prefix="/api/v1/resident", tags=["resident"])
NO_STORE = {"Cache-Control": "no-store"}
_GUARD_LOCK = threading.Lock()


def resident_guard(request: Request) -> ResidentStatusGuard:
    """The app's one status guard (made on first use), shared by this route and the public page."""
    app_state = request.app.state
    guard = getattr(app_state, "resident_status_guard", None)
    if guard is None:
        with _GUARD_LOCK:
            guard = getattr(app_state, "resident_status_guard", None)
            if guard is None:
                guard = app_state.resident_status_guard = ResidentStatusGuard()
    return guard


GuardDep = Annotated[ResidentStatusGuard, Depends(resident_guard)]


def resident_keys(state: StateDep) -> ResidentKeys:
    """The data keys the validate stage hashed dates of birth under (503 without a backend)."""
    return get_backend(state).id_store.keyring


def _rate_limited(exc: RateLimited, lang: str) -> ApiError:
    wait = exc.retry_after or 60.0
    return ApiError(
        429, ErrorCode.rate_limited, busy_message(lang, wait), headers=retry_after(wait) | NO_STORE
    )


def _address_limit(request: Request, guard: GuardDep) -> None:
    try:
        guard.admit_address(client_address(request))
    except RateLimited as exc:
        raise _rate_limited(
            exc, answer_language(chosen=None, recorded=None, accept=_accept(request))
        ) from exc


def _accept(request: Request) -> str | None:
    return request.headers.get("accept-language")


class StatusQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rid: str = Field(min_length=29, max_length=29, pattern=r"^[0-9]{29}$", description="the 29-digit RID")
    date_of_birth: str = Field(
        min_length=8,
        max_length=resident_status.MAX_DATE_INPUT,
        description="YYYY-MM-DD (also YYYY/MM/DD or DD/MM/YYYY)",
    )
    language: Literal["eng", "fra", "ara"] | None = Field(
        default=None, description="the answer's language; default: the resident's, else Accept-Language"
    )


class ResidentStatusAnswer(BaseModel):
    """``message`` is the whole answer in words; ``reason_code`` is set for ``rejected`` (a stable
    code, ``other`` when it has no words of its own) and ``more_information``; ``request`` is what a
    more-information hold asks the resident to bring."""

    state: Literal[tuple(s.value for s in ResidentState)]  # type: ignore[valid-type]
    reason_code: str | None = None
    message: str
    request: str | None = None
    language: Literal["eng", "fra", "ara"]


_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorBody} for code in (404, 422, 429, 503)}


@router.post("/status", responses=_ERRORS, dependencies=[Depends(_address_limit)])
def resident_status_route(
    query: StatusQuery,
    request: Request,
    response: Response,
    state: StateDep,
    guard: GuardDep,
    keys: Annotated[ResidentKeys, Depends(resident_keys)],
) -> ResidentStatusAnswer:
    """A registration's state for its resident, who proves it is theirs with the date of birth.
    Rate-limited per client address and per RID (429 with Retry-After); the same 404 for an unknown
    RID, a wrong date or a registration not read yet."""
    rid = resident_status.read_rid(query.rid)  # BadInput (422) for a bad timestamp part
    date_of_birth = resident_status.read_birth_date(query.date_of_birth)
    fallback = answer_language(chosen=query.language, recorded=None, accept=_accept(request))
    try:
        guard.admit_rid(rid)
    except RateLimited as exc:
        raise _rate_limited(exc, fallback) from exc
    status = resident_status.look_up_status(state.engine, keys=keys, rid=rid, date_of_birth=date_of_birth)
    if status is None:
        raise ApiError(404, ErrorCode.not_found, not_found_message(fallback), headers=NO_STORE)
    lang = answer_language(chosen=query.language, recorded=status.language, accept=_accept(request))
    answer = answer_for(status, lang)
    response.headers.update(NO_STORE)
    return ResidentStatusAnswer(
        state=answer.state,
        reason_code=answer.reason_code,
        message=full_message(answer, lang),
        request=answer.request,
        language=lang,
    )

import datetime as dt
import logging
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from shared.signing import key_id
from shared.sync import (
    KEY_ID_HEADER,
    KIOSK_AGENT_PATTERN,
    SIGNATURE_HEADER,
    ErrorBody,
    SignedChangesPage,
    sign_changes_page,
)
from sync_server.api.deps import MachineDep, StateDep
from sync_server.services import machines, masterdata, masterdata_snapshot
from sync_server.services.clock import utcnow

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/masterdata", tags=["masterdata"])
_ERRORS = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}}


def kiosk_version(agent: str | None) -> str | None:
    """The version in a kiosk's ``User-Agent: OpenReg-kiosk/<version>``; None for anything else."""
    found = re.match(KIOSK_AGENT_PATTERN, agent or "")
    return found.group(1) if found else None


@router.get("/changes", responses=_ERRORS)
def changes(
    request: Request,
    machine: MachineDep,
    state: StateDep,
    since: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> SignedChangesPage:
    """Changes after ``since`` for this machine's center, signed over canonical_json(payload).
    A complete page is the machine catching up: it is recorded as its last master-data sync. That
    bookkeeping is best effort: a failed write (busy SQLite writer, database error) is logged and the
    page is returned anyway; the next complete page retries it."""
    with Session(state.engine) as session:
        page = masterdata.changes_page(
            session,
            center_id=machine.center_id,
            since=since,
            limit=min(limit, state.settings.changes_page_max),
        )
    if page.complete:
        try:
            machines.record_masterdata_sync(
                state.engine,
                machine_id=machine.subject,
                at=utcnow(),
                marks=state.masterdata_sync_marks,
                interval=dt.timedelta(seconds=state.settings.masterdata_sync_mark_interval_s),
                software_version=kiosk_version(request.headers.get("user-agent")),
            )
        except Exception:
            log.warning("could not record the master-data sync of machine %s", machine.subject, exc_info=True)
    return sign_changes_page(state.keys.signing_key, page)


@router.get(
    "/snapshot",
    responses={**_ERRORS, 200: {"content": {"application/gzip": {}}, "description": "gzip of Snapshot JSON"}},
    response_class=Response,
)
def snapshot(machine: MachineDep, state: StateDep) -> Response:
    """All live rows for this machine's center at a cursor (gzip JSON; signature in X-Signature)."""
    engine = state.engine
    if engine.dialect.name == "postgresql":  # one consistent view of log head and rows
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with Session(engine) as session:
        cursor = masterdata.latest_seq(session)
        cache_key = (machine.center_id, cursor)
        cached = state.snapshot_cache.get(cache_key)
        if cached is None:
            with state.snapshot_lock:
                cached = state.snapshot_cache.get(cache_key)
                if cached is None:
                    snap_cursor, cached = masterdata_snapshot.signed_snapshot(
                        session, center_id=machine.center_id, key=state.keys.signing_key
                    )
                    if len(state.snapshot_cache) > 16:
                        state.snapshot_cache.clear()
                    state.snapshot_cache[(machine.center_id, snap_cursor)] = cached
    body, signature = cached
    return Response(
        content=body,
        media_type="application/gzip",
        headers={SIGNATURE_HEADER: signature, KEY_ID_HEADER: key_id(state.keys.signing_key)},
    )

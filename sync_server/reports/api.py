"""Admin HTTP routes for reports and identity lookup, mounted by the sync server under /api/v1/admin.

The server passes its own dependencies: ``backend`` returns the process's backend (its
``report_parts``, see ``sync_server.report_parts``, and ``reports_changed``), ``id_store`` the ID store (an
``IdentityReader``); ``report_user`` and ``identity_reader`` authenticate a user token with a role that
may use reports, or read identities, and return the user's id (the audit actor). Routes translate
HTTP to service calls and nothing else.

No ``from __future__ import annotations`` here: FastAPI must see the real ``Annotated`` objects of
the dependency aliases, which are local to the router factory.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi import Path as PathParam

from shared.sync.models import PRINTABLE_PATTERN
from sync_server.ports import MAX_PURPOSE_CHARS, IdentityNotFound, IdentityReader
from sync_server.reports.connector_api import build_connector_router
from sync_server.reports.definition_api import build_definition_router
from sync_server.reports.destination_api import build_destination_router
from sync_server.reports.mapping_api import build_mapping_router
from sync_server.reports.run_api import build_run_router

# UINs and RIDs are digits in production; a plain-id alphabet keeps lookups of test or imported ids.
IdentityKey = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
# Why an identity is read: kept in the audit log, so bounded like every input.
Purpose = Annotated[str, Query(min_length=3, max_length=MAX_PURPOSE_CHARS, pattern=PRINTABLE_PATTERN)]


def build_admin_backend_router(
    *,
    backend: Callable[..., Any],
    id_store: Callable[[], IdentityReader],
    report_user: Callable[..., str],
    identity_reader: Callable[..., str],
) -> APIRouter:
    """The report routes (runs, connectors, destinations, mappings, definitions — in that order, so
    ``/reports/{id}`` never shadows the others) and GET identities/by-uin/{uin}, by-rid/{rid}."""
    router = APIRouter(tags=["admin"])

    # Each route names the caller before the service: a refused role gets 403 even where this server
    # process runs no backend (which would answer 503).
    def part(name: str) -> Callable[..., Any]:
        return lambda b=Depends(backend): getattr(b.report_parts, name)

    router.include_router(build_run_router(report_service=part("reports"), report_user=report_user))
    router.include_router(
        build_connector_router(connectors=part("report_connectors"), report_user=report_user)
    )
    router.include_router(
        build_destination_router(destinations=part("report_destinations"), report_user=report_user)
    )
    router.include_router(build_mapping_router(mappings=part("report_mappings"), report_user=report_user))
    router.include_router(
        build_definition_router(
            report_service=part("reports"),
            report_user=report_user,
            watcher=part("report_triggers"),
            on_change=lambda b=Depends(backend): b.reports_changed,
        )
    )
    Store = Annotated[IdentityReader, Depends(id_store)]
    Reader = Annotated[str, Depends(identity_reader)]

    @router.get("/identities/by-uin/{uin}")
    def identity_by_uin(uin: IdentityKey, actor: Reader, store: Store, purpose: Purpose) -> dict:
        return _identity(lambda: store.get_by_uin(uin, actor=actor, purpose=purpose))

    @router.get("/identities/by-rid/{rid}")
    def identity_by_rid(rid: IdentityKey, actor: Reader, store: Store, purpose: Purpose) -> dict:
        return _identity(lambda: store.get_by_rid(rid, actor=actor, purpose=purpose))

    return router


def _identity(read: Callable[[], Any]) -> dict[str, Any]:
    try:
        found = read()
    except IdentityNotFound:
        raise HTTPException(404, "no such identity") from None
    except ValueError as exc:  # a blank purpose
        raise HTTPException(422, str(exc)) from None
    return {
        "uin": found.uin,
        "rid": found.rid,
        "version": found.version,
        "center_id": found.center_id,
        "demographics": found.demographics,
        "blobs": [
            {
                "kind": b.kind,
                "name": b.name,
                "content_type": b.content_type,
                "bytes": len(b.data),
                "attributes": b.attributes,
            }
            for b in found.blobs
        ],
    }

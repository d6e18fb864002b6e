"""Admin HTTP routes for mapping sets (cross-reference tables used by reports), mounted by the server.

The server passes ``mappings`` (returns the ``MappingSets`` service) and ``report_user`` (authenticates
a user who may administer reports and returns the user id, the audit actor). Routes translate HTTP to
service calls: unknown set or entry → 404, an overlapping range → 409, a broken rule → 422, an import
with bad rows → 422 with every row error.

No ``from __future__ import annotations`` here: FastAPI must see the real ``Annotated`` objects of
the dependency aliases, which are local to the router factory.
"""

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from shared.sync.models import PRINTABLE_PATTERN
from sync_server.reports.mapping_csv import MAX_IMPORT_BYTES, MAX_KEY, MAX_VALUE
from sync_server.reports.mapping_rules import OnMissing
from sync_server.reports.mappings import (
    MAX_FALLBACK,
    MAX_PAGE,
    MAX_TITLE,
    SET_ID_PATTERN,
    MappingError,
    MappingSets,
    OverlappingEntry,
    UnknownMappingEntry,
    UnknownMappingSet,
)

# Path parts reach SQL and a download's file name: a strict shape (PostgreSQL refuses NUL outright).
SetId = Annotated[str, PathParam(pattern=SET_ID_PATTERN)]
EntryId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
_CSV_TYPES = ("text/csv", "text/plain")


class MappingSetIn(BaseModel):
    """A set's editable fields (PUT creates or updates)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=MAX_TITLE, pattern=PRINTABLE_PATTERN)
    on_missing: OnMissing = "fail"
    fallback: str | None = Field(default=None, max_length=MAX_FALLBACK)


class MappingEntryIn(BaseModel):
    """One entry; a missing date is an open bound, and ``effective_to`` is inclusive."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=MAX_KEY)
    value: str = Field(max_length=MAX_VALUE)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


@contextmanager
def _http_errors() -> Iterator[None]:
    try:
        yield
    except (UnknownMappingSet, UnknownMappingEntry) as exc:
        raise HTTPException(404, str(exc)) from None
    except OverlappingEntry as exc:
        raise HTTPException(409, str(exc)) from None
    except MappingError as exc:
        raise HTTPException(422, str(exc)) from None


async def _csv_body(request: Request) -> bytes:
    """The request body, refused (415) unless CSV and (413) beyond ``MAX_IMPORT_BYTES`` without
    reading more than that."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _CSV_TYPES:
        raise HTTPException(415, "send the file with Content-Type: text/csv")
    too_big = HTTPException(413, f"an import file is at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
        raise too_big
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_IMPORT_BYTES:
            raise too_big
    return bytes(body)


def build_mapping_router(
    *, mappings: Callable[[], MappingSets], report_user: Callable[..., str]
) -> APIRouter:
    """Routes under /reports/mappings: GET (list), GET|PUT|DELETE /{set}, GET|POST /{set}/entries,
    PUT|DELETE /{set}/entries/{entry}, POST /{set}/import?replace=, GET /{set}/export."""
    router = APIRouter(tags=["admin"])
    # The caller is named before the service: a refused role gets 403 whatever else is wrong.
    Admin = Annotated[str, Depends(report_user)]
    Mappings = Annotated[MappingSets, Depends(mappings)]

    @router.get("/reports/mappings")
    def list_sets(_admin: Admin, service: Mappings) -> list[dict[str, Any]]:
        return [_plain(s) for s in service.sets()]

    @router.get("/reports/mappings/{set_id}")
    def get_set(set_id: SetId, _admin: Admin, service: Mappings) -> dict[str, Any]:
        found = service.get_set(set_id)
        if found is None:
            raise HTTPException(404, f"no mapping set {set_id!r}")
        return _plain(found)

    @router.put("/reports/mappings/{set_id}")
    def save_set(set_id: SetId, body: MappingSetIn, actor: Admin, service: Mappings) -> dict[str, Any]:
        with _http_errors():
            return _plain(service.save_set(set_id, **body.model_dump(), actor=actor))

    @router.delete("/reports/mappings/{set_id}")
    def delete_set(set_id: SetId, actor: Admin, service: Mappings) -> dict[str, Any]:
        with _http_errors():
            return {"deleted": set_id, "entries": service.delete_set(set_id, actor=actor)}

    @router.get("/reports/mappings/{set_id}/entries")
    def list_entries(
        set_id: SetId,
        _admin: Admin,
        service: Mappings,
        key: Annotated[str | None, Query(max_length=MAX_KEY)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    ) -> list[dict[str, Any]]:
        if service.get_set(set_id) is None:
            raise HTTPException(404, f"no mapping set {set_id!r}")
        return [_plain(e) for e in service.entries(set_id, key=key, limit=limit, offset=offset)]

    @router.post("/reports/mappings/{set_id}/entries", status_code=201)
    def add_entry(set_id: SetId, body: MappingEntryIn, actor: Admin, service: Mappings) -> dict[str, Any]:
        with _http_errors():
            return _plain(service.put_entry(set_id, **body.model_dump(), actor=actor))

    @router.put("/reports/mappings/{set_id}/entries/{entry_id}")
    def change_entry(
        set_id: SetId, entry_id: EntryId, body: MappingEntryIn, actor: Admin, service: Mappings
    ) -> dict[str, Any]:
        with _http_errors():
            return _plain(service.put_entry(set_id, **body.model_dump(), actor=actor, entry_id=entry_id))

    @router.delete("/reports/mappings/{set_id}/entries/{entry_id}", status_code=204)
    def delete_entry(set_id: SetId, entry_id: EntryId, actor: Admin, service: Mappings) -> None:
        with _http_errors():
            service.delete_entry(entry_id, actor=actor, set_id=set_id)

    @router.post("/reports/mappings/{set_id}/import")
    async def import_entries(
        set_id: SetId, request: Request, actor: Admin, service: Mappings, replace: bool = False
    ) -> dict[str, Any]:
        data = await _csv_body(request)
        with _http_errors():
            result = await run_in_threadpool(service.import_csv, set_id, data, replace=replace, actor=actor)
        if not result.ok:
            raise HTTPException(
                422,
                {
                    "message": f"{result.error_count} bad row(s): nothing was imported",
                    "error_count": result.error_count,
                    "errors": [{"line": e.line, "reason": e.reason} for e in result.errors],
                },
            )
        return {"imported": result.imported, "deleted": result.deleted}

    @router.get("/reports/mappings/{set_id}/export")
    def export_entries(set_id: SetId, _admin: Admin, service: Mappings) -> Response:
        with _http_errors():
            data = service.export_csv(set_id)
        return Response(
            data,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{set_id}.csv"'},
        )

    return router

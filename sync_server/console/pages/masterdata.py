"""The master data page (admins and center admins): upload an import file, read its validation report
or its preview (what would be added, changed, deleted), then apply or discard it; the change log; the
ID schema as a table and the UI spec as a read-only preview of the kiosk's form.

The uploaded file stays on the server (services.masterdata_staging), never in the page. The apply
form carries the log position its preview was computed at, so an apply after someone else's change
is refused and shows the fresh preview instead.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from sync_server.api.deps import StateDep, UnitOfWorkDep
from sync_server.console.guard import PostedForm, page
from sync_server.console.web import View, redirect, render
from sync_server.http_limits import json_too_deep
from sync_server.services import masterdata_browse, masterdata_staging
from sync_server.services.masterdata_preview import PreviewStale, apply_import, preview_import
from sync_server.services.masterdata_rules import ENTITIES, MasterDataInvalid
from sync_server.services.masterdata_staging import UploadGone
from sync_server.state import ServerState

router = APIRouter(prefix="/console", include_in_schema=False)
BASE = "/console/masterdata"
PAGE_SIZE = 50
_FILENAME = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")

MasterDataView = Annotated[View, page("masterdata")]


def uploads_dir(state: ServerState) -> Path:
    return state.settings.data_dir / "console-uploads"


def _render_upload(view: View, *, status: int = 200, flashes=(), errors=None, filename: str = ""):
    template = "masterdata_report.html" if errors is not None else "masterdata.html"
    return render(view, template, status=status, flashes=list(flashes), errors=errors, filename=filename)


@router.get("/masterdata")
def upload_page(view: MasterDataView, done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    flashes = [("ok", view.t("md.discarded"))] if done == "discarded" else []
    return _render_upload(view, flashes=flashes)


@router.post("/masterdata/upload")
async def upload(view: MasterDataView, form: PostedForm, state: StateDep, session: UnitOfWorkDep) -> Response:
    file = form.get("file")
    name = Path(file.filename or "").name if isinstance(file, UploadFile) else ""
    if not name:
        return _render_upload(view, status=422, flashes=[("error", view.t("md.no_file"))])
    if not _FILENAME.match(name):
        return _render_upload(view, status=422, flashes=[("error", view.t("md.bad_name"))])
    limit = state.settings.max_json_body_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        flash = view.t("md.too_big", mib=limit // (1024 * 1024))
        return _render_upload(view, status=413, flashes=[("error", flash)])
    if json_too_deep(content, state.settings.max_json_depth):
        flash = view.t("md.too_deep", depth=state.settings.max_json_depth)
        return _render_upload(view, status=422, flashes=[("error", flash)])
    centers = view.user.centers
    try:
        preview = await run_in_threadpool(preview_import, session, [(name, content)], centers=centers)
    except MasterDataInvalid as exc:
        return _render_upload(view, status=422, errors=exc.errors, filename=name)
    upload_id = masterdata_staging.stage_upload(
        uploads_dir(state),
        username=view.user.username,
        filename=name,
        content=content,
        base_seq=preview.base_seq,
    )
    return redirect(view, f"{BASE}/preview/{upload_id}")


def _gone(view: View) -> Response:
    return render(view, "message.html", status=404, title_key="md.gone", text_key="md.gone_text")


def _show_preview(view: View, staged, session, *, status: int = 200, flashes=()) -> Response:
    try:
        preview = preview_import(session, [(staged.filename, staged.content)], centers=view.user.centers)
    except MasterDataInvalid as exc:
        return _render_upload(view, status=422, flashes=flashes, errors=exc.errors, filename=staged.filename)
    return render(
        view,
        "masterdata_preview.html",
        status=status,
        flashes=list(flashes),
        staged=staged,
        preview=preview,
    )


@router.get("/masterdata/preview/{upload_id}")
def preview_page(upload_id: str, view: MasterDataView, state: StateDep, session: UnitOfWorkDep) -> Response:
    try:
        staged = masterdata_staging.load_upload(uploads_dir(state), upload_id, username=view.user.username)
    except UploadGone:
        return _gone(view)
    return _show_preview(view, staged, session)


@router.post("/masterdata/preview/{upload_id}/apply")
def apply(
    upload_id: str, view: MasterDataView, form: PostedForm, state: StateDep, session: UnitOfWorkDep
) -> Response:
    root = uploads_dir(state)
    try:
        staged = masterdata_staging.load_upload(root, upload_id, username=view.user.username)
    except UploadGone:
        return _gone(view)
    seen = str(form.get("base_seq") or "")
    if not seen.isdigit():
        return _show_preview(view, staged, session, status=409, flashes=[("error", view.t("md.stale"))])
    try:
        result = apply_import(
            session,
            [(staged.filename, staged.content)],
            centers=view.user.centers,
            actor=view.user.username,
            base_seq=int(seen),
        )
    except PreviewStale:
        return _show_preview(view, staged, session, status=409, flashes=[("error", view.t("md.stale"))])
    except MasterDataInvalid as exc:
        return _render_upload(view, status=422, errors=exc.errors, filename=staged.filename)
    with contextlib.suppress(UploadGone):  # applied: an upload that expired meanwhile is gone anyway
        masterdata_staging.discard_upload(root, upload_id, username=view.user.username)
    return redirect(view, f"{BASE}/changes?applied={result.applied}")


@router.post("/masterdata/preview/{upload_id}/discard")
def discard(upload_id: str, view: MasterDataView, form: PostedForm, state: StateDep) -> Response:
    try:
        masterdata_staging.discard_upload(uploads_dir(state), upload_id, username=view.user.username)
    except UploadGone:
        return _gone(view)
    return redirect(view, f"{BASE}?done=discarded")


@router.get("/masterdata/changes")
def changes(
    view: MasterDataView,
    session: UnitOfWorkDep,
    entity: Annotated[str | None, Query(max_length=64)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    applied: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    entity = entity if entity in ENTITIES else None
    with session.begin():
        log = masterdata_browse.change_log(
            session,
            entity=entity,
            centers=view.user.centers,
            offset=(page_number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    flashes = [("ok", view.t("md.applied", count=applied))] if applied is not None else []
    pages = max(1, -(-log.total // PAGE_SIZE))
    return render(
        view,
        "masterdata_changes.html",
        flashes=flashes,
        log=log,
        entity=entity,
        entities=sorted(ENTITIES),
        page_number=page_number,
        pages=pages,
    )


def _label(labels: Any, lang: str, fallback: str) -> str:
    if not isinstance(labels, dict) or not labels:
        return fallback
    return str(labels.get(lang) or labels.get("eng") or next(iter(labels.values())))


def _validator_text(validator: dict[str, Any]) -> str:
    details = [f"{k} {v}" for k, v in validator.items() if k not in ("type", "message")]
    return " ".join([str(validator.get("type", "?")), *details])


def _schema_fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    fields = []
    for field in schema.get("fields") or []:
        if not isinstance(field, dict):
            continue
        extra = [f"{k}: {field[k]}" for k in ("source", "level", "parent", "category") if k in field]
        if "modalities" in field:
            extra.append(", ".join(map(str, field["modalities"])))
        fields.append(
            {
                "id": field.get("id", ""),
                "type": field.get("type", ""),
                "extra": "; ".join(extra),
                "required": bool(field.get("required")),
                "required_on": field.get("required_on"),
                "validators": [
                    _validator_text(v) for v in field.get("validators") or [] if isinstance(v, dict)
                ],
            }
        )
    return fields


@router.get("/masterdata/schema")
def schema_page(view: MasterDataView, session: UnitOfWorkDep) -> Response:
    with session.begin():
        rows = masterdata_browse.current_rows(session, "id_schema")
    schemas = [
        {"id": r.get("id"), "version": r.get("version"), "fields": _schema_fields(r.get("schema") or {})}
        for r in rows
    ]
    return render(view, "masterdata_schema.html", schemas=schemas)


def _spec_view(row: dict[str, Any], schemas: dict[str, dict[str, Any]], lang: str) -> dict[str, Any]:
    spec = row.get("spec") or {}
    schema = {
        f.get("id"): f
        for f in (schemas.get(spec.get("schema_id")) or {}).get("fields") or []
        if isinstance(f, dict)
    }
    screens = []
    for screen in spec.get("screens") or []:
        fields = []
        for field in screen.get("fields") or []:
            declared = schema.get(field.get("id"), {})
            fields.append(
                {
                    "id": field.get("id", ""),
                    "label": _label(field.get("labels"), lang, field.get("id", "")),
                    "control": field.get("control") or declared.get("type", "text"),
                    "required": bool(field.get("required") or declared.get("required")),
                    "required_on": declared.get("required_on"),
                    "visible_on": field.get("visible_on"),
                    "modalities": declared.get("modalities") or [],
                }
            )
        screens.append(
            {
                "id": screen.get("id", ""),
                "label": _label(screen.get("labels"), lang, screen.get("id", "")),
                "fields": fields,
            }
        )
    return {
        "id": row.get("id"),
        "version": row.get("version"),
        "schema_id": spec.get("schema_id"),
        "flow": spec.get("flow"),
        "screens": screens,
    }


@router.get("/masterdata/ui-spec")
def ui_spec_page(view: MasterDataView, session: UnitOfWorkDep) -> Response:
    with session.begin():
        specs = masterdata_browse.current_rows(session, "ui_spec")
        schemas = {
            r.get("id"): r.get("schema") or {} for r in masterdata_browse.current_rows(session, "id_schema")
        }
    forms = [_spec_view(r, schemas, view.lang) for r in specs]
    return render(view, "masterdata_ui_spec.html", forms=forms)

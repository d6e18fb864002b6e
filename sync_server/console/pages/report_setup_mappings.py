"""The mapping sets page of the reports portal: cross-reference tables (key -> value, with effective
dates) that reports translate codes through. List the sets, create one; a set's page shows its entries
(paged, found by key), edits its title and missing-key rule, imports a CSV file (all rows or none, every
bad row named by its line), exports one, deletes the set. Entries: ``report_setup_mapping_entries``.

The import posts to the fixed path ``/console/reports/mapping-import`` (the set id in the form), one of
the server's bulk body paths, so a file may be as large as the CSV rules allow (``MAX_IMPORT_BYTES``).
"""

from __future__ import annotations

from typing import Annotated, Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from sync_server.console.guard import PostedForm
from sync_server.console.pages.report_setup import (
    RESERVED_IDS,
    ReportsView,
    SetupId,
    done_flashes,
    not_found,
    refusal,
    text,
    utc,
    valid_id,
)
from sync_server.console.pages.reports_common import MappingsDep
from sync_server.console.web import View, redirect, render
from sync_server.reports.mapping_csv import MAX_IMPORT_BYTES, MAX_KEY, MAX_VALUE, RowError
from sync_server.reports.mapping_rules import OnMissing
from sync_server.reports.mappings import (
    MAX_FALLBACK,
    MAX_TITLE,
    MappingError,
    MappingSets,
    UnknownMappingSet,
)

router = APIRouter(prefix="/console/reports", include_in_schema=False)
BASE = "/console/reports/mappings"
IMPORT_PATH = "/console/reports/mapping-import"
RULES = get_args(OnMissing)
PER_PAGE = 50
DONE = ("created", "saved", "deleted", "imported", "entry_added", "entry_saved", "entry_deleted")
_ERRORS = (
    ("a mapping set id is", "setup.error.id"),
    ("a title is", "setup.error.title"),
    ("a fallback is", "setup.map.error.fallback"),
)
NO_ENTRY = {"key": "", "value": "", "effective_from": "", "effective_to": ""}


def _set_row(found: dict[str, Any]) -> dict[str, Any]:
    return found | {"updated_at": utc(found.get("updated_at"))}


def _set_values(found: dict[str, Any] | None) -> dict[str, str]:
    if found is None:
        return {"id": "", "title": "", "on_missing": "fail", "fallback": ""}
    fallback = found["fallback"]
    return {
        "id": found["id"],
        "title": found["title"],
        "on_missing": found["on_missing"],
        "fallback": fallback or "",
    }


def _posted_set(form: FormData) -> dict[str, str]:
    return {
        "id": text(form, "id", 100),
        "title": text(form, "title", MAX_TITLE + 1),
        "on_missing": text(form, "on_missing", 20),
        "fallback": text(form, "fallback", MAX_FALLBACK + 1),
    }


def _save_set(view: View, service: MappingSets, set_id: str, values: dict[str, str]) -> str | None:
    """Save the set; None, or the refusal in the page's language."""
    try:
        service.save_set(
            set_id,
            title=values["title"],
            on_missing=values["on_missing"],  # type: ignore[arg-type]  (the service checks it)
            fallback=values["fallback"] or None,
            actor=view.user.username,
        )
    except MappingError as exc:
        return refusal(view, str(exc), _ERRORS)
    return None


def set_page(
    view: View,
    service: MappingSets,
    found: dict[str, Any],
    *,
    key: str = "",
    page_no: int = 1,
    set_values: dict | None = None,
    entry_values: dict | None = None,
    import_errors: tuple[list[RowError], int] | None = None,
    flashes: list | None = None,
    status: int = 200,
) -> Response:
    """A set's page: its settings form, a page of its entries (all, or one key's), the add, import,
    export and delete actions; with the values and refusal of a form that was just sent."""
    set_id = found["id"]
    rows = service.entries(set_id, key=key or None, limit=PER_PAGE + 1, offset=(page_no - 1) * PER_PAGE)
    kept = {"key": key} if key else {}

    def page_url(n: int) -> str:
        return f"{BASE}/{set_id}?{urlencode({**kept, 'page': n})}"

    return render(
        view,
        "report_setup_mapping_set.html",
        status=status,
        mset=_set_row(found),
        set_values=set_values or _set_values(found),
        entry_values=entry_values or NO_ENTRY,
        entries=rows[:PER_PAGE],
        key=key,
        page=page_no,
        prev_url=page_url(page_no - 1) if page_no > 1 else None,
        next_url=page_url(page_no + 1) if len(rows) > PER_PAGE else None,
        rules=RULES,
        import_errors=import_errors[0] if import_errors else None,
        error_count=import_errors[1] if import_errors else 0,
        max_import_mb=MAX_IMPORT_BYTES // (1024 * 1024),
        limits={"title": MAX_TITLE, "fallback": MAX_FALLBACK, "key": MAX_KEY, "value": MAX_VALUE},
        import_path=IMPORT_PATH,
        flashes=flashes or [],
    )


@router.get("/mappings")
def mappings_page(
    view: ReportsView, service: MappingsDep, done: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    rows = [_set_row(s) for s in service.sets()]
    flashes = done_flashes(view, done, "setup.map.done.", DONE)
    return render(view, "report_setup_mappings.html", sets=rows, flashes=flashes)


def _new_form(view: View, values: dict, error: str | None = None, status: int = 200) -> Response:
    return render(
        view,
        "report_setup_mapping_new.html",
        status=status,
        set_values=values,
        rules=RULES,
        limits={"title": MAX_TITLE, "fallback": MAX_FALLBACK},
        flashes=[("error", error)] if error else [],
    )


@router.get("/mappings/new")
def new_set_page(view: ReportsView, _service: MappingsDep) -> Response:
    return _new_form(view, _set_values(None))


@router.post("/mappings/new")
def create_set(view: ReportsView, form: PostedForm, service: MappingsDep) -> Response:
    values = _posted_set(form)
    set_id = values["id"]
    if set_id in RESERVED_IDS:
        error = view.t("setup.error.reserved", id=set_id)
    elif valid_id(set_id) and service.get_set(set_id) is not None:
        error = view.t("setup.error.taken")
    else:
        error = _save_set(view, service, set_id, values)
    if error is not None:
        return _new_form(view, values, error, status=422)
    return redirect(view, f"{BASE}/{set_id}?done=created")


@router.get("/mappings/{set_id}")
def mapping_set_page(
    set_id: SetupId,
    view: ReportsView,
    service: MappingsDep,
    key: Annotated[str, Query(max_length=MAX_KEY)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    done: Annotated[str, Query(max_length=20)] = "",
    n: Annotated[int, Query(ge=0, le=10**7)] = 0,
    d: Annotated[int, Query(ge=0, le=10**7)] = 0,
) -> Response:
    found = service.get_set(set_id)
    if found is None:
        return not_found(view)
    flashes = done_flashes(view, done, "setup.map.done.", DONE, imported=n, deleted=d)
    return set_page(view, service, found, key=key, page_no=page_no, flashes=flashes)


@router.post("/mappings/{set_id}")
def save_set(set_id: SetupId, view: ReportsView, form: PostedForm, service: MappingsDep) -> Response:
    found = service.get_set(set_id)
    if found is None:
        return not_found(view)
    values = _posted_set(form) | {"id": set_id}
    error = _save_set(view, service, set_id, values)
    if error is not None:
        return set_page(view, service, found, set_values=values, flashes=[("error", error)], status=422)
    return redirect(view, f"{BASE}/{set_id}?done=saved")


@router.post("/mappings/{set_id}/delete")
def delete_set(set_id: SetupId, view: ReportsView, _form: PostedForm, service: MappingsDep) -> Response:
    try:
        service.delete_set(set_id, actor=view.user.username)
    except UnknownMappingSet:
        return not_found(view)
    return redirect(view, f"{BASE}?done=deleted")


@router.get("/mappings/{set_id}/export")
def export_set(set_id: SetupId, view: ReportsView, service: MappingsDep) -> Response:
    """The set's entries as a CSV file in the import format."""
    try:
        data = service.export_csv(set_id)
    except UnknownMappingSet:
        return not_found(view)
    headers = {
        "Content-Disposition": f'attachment; filename="{set_id}.csv"',  # the id's pattern keeps this safe
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/mapping-import")
def import_set(view: ReportsView, form: PostedForm, service: MappingsDep) -> Response:
    """Load an uploaded CSV file into a set (``mode`` merge: add rows; replace: swap the entries)."""
    set_id = text(form, "set_id", 100)
    found = service.get_set(set_id) if valid_id(set_id) else None
    if found is None:
        return not_found(view)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return set_page(
            view, service, found, flashes=[("error", view.t("setup.map.error.no_file"))], status=422
        )
    file.file.seek(0)
    data = file.file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        flash = view.t("setup.map.error.too_big", mb=MAX_IMPORT_BYTES // (1024 * 1024))
        return set_page(view, service, found, flashes=[("error", flash)], status=413)
    replace = text(form, "mode", 10) == "replace"
    try:
        result = service.import_csv(set_id, data, replace=replace, actor=view.user.username)
    except UnknownMappingSet:
        return not_found(view)
    if not result.ok:
        flash = view.t("setup.map.import_failed", count=result.error_count)
        errors = (result.errors, result.error_count)
        return set_page(view, service, found, import_errors=errors, flashes=[("error", flash)], status=422)
    return redirect(view, f"{BASE}/{set_id}?done=imported&n={result.imported}&d={result.deleted}")

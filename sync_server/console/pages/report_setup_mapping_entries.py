"""A mapping set's entries in the reports portal: add one (from the set's page), edit one on its own
page, delete one. An entry is a key, a value and an optional effective range (both ends inclusive,
an empty end is open); the service refuses a range that overlaps another entry of the same key.

The edit link carries the entry's key (``?key=``): the service finds entries by key, and a key has
few entries, so the page reads those instead of the whole set.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.datastructures import FormData

from sync_server.console.guard import PostedForm
from sync_server.console.pages.report_setup import ReportsView, SetupId, not_found, refusal, text
from sync_server.console.pages.report_setup_mappings import BASE, set_page
from sync_server.console.pages.reports_common import MappingsDep
from sync_server.console.web import View, redirect, render
from sync_server.reports.mapping_csv import MAX_KEY, MAX_VALUE
from sync_server.reports.mappings import (
    MAX_PAGE,
    MappingError,
    MappingSets,
    OverlappingEntry,
    UnknownMappingEntry,
    UnknownMappingSet,
)

router = APIRouter(prefix="/console/reports/mappings", include_in_schema=False)
EntryId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_ERRORS = (
    ("the key is empty", "setup.map.error.key_empty"),
    ("the key is longer", "setup.map.error.key_long"),
    ("the key contains", "setup.map.error.key_control"),
    ("the value is longer", "setup.map.error.value_long"),
    ("effective_from", "setup.map.error.range"),
)


def _posted(form: FormData) -> dict[str, str]:
    return {
        "key": text(form, "key", MAX_KEY + 1),
        "value": text(form, "value", MAX_VALUE + 1),
        "effective_from": text(form, "effective_from", 20),
        "effective_to": text(form, "effective_to", 20),
    }


def _shown(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as the edit form shows it (dates as YYYY-MM-DD, an open end empty)."""
    return entry | {
        name: entry[name].isoformat() if entry[name] else "" for name in ("effective_from", "effective_to")
    }


def _put(
    view: View, service: MappingSets, set_id: str, values: dict[str, str], entry_id: int | None = None
) -> str | None:
    """Store the entry; None, or the refusal in the page's language."""
    try:
        start, end = (
            dt.date.fromisoformat(values[name]) if values[name] else None
            for name in ("effective_from", "effective_to")
        )
    except ValueError:
        return view.t("setup.map.error.date")
    try:
        service.put_entry(
            set_id,
            values["key"],
            values["value"],
            effective_from=start,
            effective_to=end,
            actor=view.user.username,
            entry_id=entry_id,
        )
    except OverlappingEntry as exc:
        return view.t("setup.map.error.overlap", detail=str(exc))
    except MappingError as exc:
        return refusal(view, str(exc), _ERRORS)
    return None


@router.post("/{set_id}/entries")
def add_entry(set_id: SetupId, view: ReportsView, form: PostedForm, service: MappingsDep) -> Response:
    found = service.get_set(set_id)
    if found is None:
        return not_found(view)
    values = _posted(form)
    try:
        error = _put(view, service, set_id, values)
    except UnknownMappingSet:  # deleted meanwhile
        return not_found(view)
    if error is not None:
        return set_page(view, service, found, entry_values=values, flashes=[("error", error)], status=422)
    return redirect(view, f"{BASE}/{set_id}?done=entry_added")


def _entry(service: MappingSets, set_id: str, entry_id: int, key: str) -> dict[str, Any] | None:
    rows = service.entries(set_id, key=key, limit=MAX_PAGE)
    return next((_shown(e) for e in rows if e["id"] == entry_id), None)


def _entry_page(
    view: View, found: dict, entry: dict, values: dict, *, error: str | None = None, status: int = 200
) -> Response:
    return render(
        view,
        "report_setup_mapping_entry.html",
        status=status,
        mset=found,
        entry=entry,
        entry_values=values,
        limits={"key": MAX_KEY, "value": MAX_VALUE},
        flashes=[("error", error)] if error else [],
    )


@router.get("/{set_id}/entries/{entry_id}")
def entry_page(
    set_id: SetupId,
    entry_id: EntryId,
    view: ReportsView,
    service: MappingsDep,
    key: Annotated[str, Query(max_length=MAX_KEY)] = "",
) -> Response:
    found = service.get_set(set_id)
    entry = _entry(service, set_id, entry_id, key) if found and key else None
    if entry is None:
        return not_found(view)
    return _entry_page(view, found, entry, entry)


@router.post("/{set_id}/entries/{entry_id}")
def save_entry(
    set_id: SetupId, entry_id: EntryId, view: ReportsView, form: PostedForm, service: MappingsDep
) -> Response:
    found = service.get_set(set_id)
    original = _entry(service, set_id, entry_id, text(form, "original_key", MAX_KEY)) if found else None
    if original is None:
        return not_found(view)
    values = _posted(form)
    try:
        error = _put(view, service, set_id, values, entry_id)
    except (UnknownMappingSet, UnknownMappingEntry):
        return not_found(view)
    if error is not None:
        return _entry_page(view, found, original, values, error=error, status=422)
    return redirect(view, f"{BASE}/{set_id}?done=entry_saved")


@router.post("/{set_id}/entries/{entry_id}/delete")
def delete_entry(
    set_id: SetupId, entry_id: EntryId, view: ReportsView, _form: PostedForm, service: MappingsDep
) -> Response:
    try:
        service.delete_entry(entry_id, actor=view.user.username, set_id=set_id)
    except (UnknownMappingEntry, UnknownMappingSet):
        return not_found(view)
    return redirect(view, f"{BASE}/{set_id}?done=entry_deleted")

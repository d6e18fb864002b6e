"""The report editor: a new report (``/reports/new``) or a new version of one (``/reports/{id}/edit``),
as a form (``reports_form`` turns it into a spec) or as the whole spec in JSON (``?as=json``); and a
new webhook key, shown once.

A save builds the spec, checks it (``parse_spec``) and stores it (``ReportDefinitions.save``, which
checks what it refers to and audits). The editor posts the version it started from: when someone
saved in between, the save is refused and the page says how to reload. A refused save shows the
problems above the form with everything the user typed. After a save the scheduler re-reads its jobs.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from sync_server.api.deps import SessionDep, StateDep
from sync_server.console.guard import PostedForm, checked_form, session_user
from sync_server.console.pages import reports_form as form_data
from sync_server.console.pages.reports_common import (
    NOT_DEFINITIONS,
    ReportsDep,
    ReportsView,
    not_found,
    part_of,
    service_of,
)
from sync_server.console.web import View, redirect, render
from sync_server.reports.builtin import REPORTS
from sync_server.reports.definitions import DefinitionNotFound, InvalidDefinition, VersionConflict, parse_spec
from sync_server.reports.run_api import DefinitionId
from sync_server.reports.spec import SERVER_CONNECTOR
from sync_server.services.console_sessions import ConsoleUser
from sync_server.state import ServerState

router = APIRouter(include_in_schema=False)
DEFINITION = "/reports/{definition_id:report_definition}"
ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
EDITOR_FIELDS = 1000  # every row of every list at its most, with room to spare
Mode = Annotated[str, Query(alias="as", pattern="^(form|json)$")]


async def _editor_form(
    request: Request, user: Annotated[ConsoleUser | None, Depends(session_user)]
) -> FormData:
    """The posted editor, CSRF checked: its rows take more fields than the guard's usual bound, so
    the form is read here first with a larger one (the guard's check then reads the same form)."""
    await request.form(max_files=0, max_fields=EDITOR_FIELDS)
    return await checked_form(request, user.csrf_token if user else "")


EditorForm = Annotated[FormData, Depends(_editor_form)]


def _choices(view: View, state: ServerState, definition_id: str | None) -> dict[str, Any]:
    """What the form's selects offer: functions, connectors, mapping sets, destinations, reports."""
    connectors = [
        (c["id"], view.t("reports.edit.server_connector") if c["id"] == SERVER_CONNECTOR else c["title"])
        for c in part_of(state, "report_connectors").list()
    ]
    return {
        "functions": sorted(REPORTS),
        "connectors": connectors,
        "mapping_sets": [(s["id"], s["title"]) for s in part_of(state, "report_mappings").sets()],
        "destinations": [(d["id"], d["title"]) for d in part_of(state, "report_destinations").list()],
        "reports": [(d.id, d.title) for d in service_of(state).definitions.list() if d.id != definition_id],
        "parameter_types": form_data.PARAMETER_TYPES,
        "severities": form_data.SEVERITIES,
        "expects": form_data.EXPECTS,
        "run_statuses": form_data.RUN_STATUSES,
        "formats": form_data.FORMATS,
        "business_days": form_data.BUSINESS_DAYS,
        "source_kinds": form_data.SOURCE_KINDS,
        "limits": form_data.LIMITS,
    }


def _editor(
    view: View,
    state: ServerState,
    *,
    definition_id: str | None,
    expected_version: int,
    mode: str,
    values: dict[str, Any] | None = None,
    spec_json: str = "",
    new_id: str = "",
    problems: list[str] | None = None,
    conflict: bool = False,
    keep_empty: bool = False,
    status: int = 200,
) -> Response:
    values = values if values is not None else form_data.blank_values()
    if mode == "json" and not spec_json:
        spec_json = json.dumps(form_data.spec_from_values(values), indent=2, ensure_ascii=False)
    return render(
        view,
        "reports_edit.html",
        status=status,
        definition_id=definition_id,
        new_id=new_id,
        expected_version=expected_version,
        mode=mode,
        values=form_data.with_spare_rows(values, keep_empty=keep_empty),
        spec_json=spec_json,
        problems=problems or [],
        conflict=conflict,
        hook_url=f"{str(view.request.base_url).rstrip('/')}/api/v1/reports/hooks/{definition_id}",
        **_choices(view, state, definition_id),
    )


@router.get("/reports/new")
def new_report(view: ReportsView, state: StateDep, _service: ReportsDep, mode: Mode = "form") -> Response:
    return _editor(view, state, definition_id=None, expected_version=0, mode=mode)


@router.get(DEFINITION + "/edit")
def edit_report(
    view: ReportsView, state: StateDep, service: ReportsDep, definition_id: DefinitionId, mode: Mode = "form"
) -> Response:
    try:
        definition = service.definitions.get(definition_id)
    except DefinitionNotFound:
        return not_found(view)
    spec = definition.spec.model_dump(mode="json")
    return _editor(
        view,
        state,
        definition_id=definition_id,
        expected_version=definition.version,
        mode=mode,
        values=form_data.values_from_spec(spec),
        spec_json=json.dumps(spec, indent=2, ensure_ascii=False) if mode == "json" else "",
    )


@router.post("/reports/new")
def create_report(view: ReportsView, state: StateDep, form: EditorForm, _service: ReportsDep) -> Response:
    return _save(view, state, form, None)


@router.post(DEFINITION + "/edit")
def save_report(
    view: ReportsView, state: StateDep, definition_id: DefinitionId, form: EditorForm, service: ReportsDep
) -> Response:
    try:
        service.definitions.get(definition_id)
    except DefinitionNotFound:
        return not_found(view)
    return _save(view, state, form, definition_id)


def _save(view: View, state: ServerState, form: FormData, definition_id: str | None) -> Response:
    """Check and store the posted spec; the editor again with the problems when it is refused."""
    mode = "json" if form.get("mode") == "json" else "form"
    try:
        # a new report saves "at version 0": if the id exists by now, that is a conflict, never an overwrite
        expected = int(str(form.get("expected_version") or 0)) if definition_id else 0
    except ValueError:
        expected = -1
    new_id = str(form.get("id") or "").strip()[:200] if definition_id is None else ""
    spec_json = str(form.get("spec_json") or "")[: form_data.FIELD_LIMIT] if mode == "json" else ""
    values = form_data.values_from_form(form) if mode == "form" else None
    again = dict(
        definition_id=definition_id, expected_version=expected, mode=mode, values=values,
        spec_json=spec_json, new_id=new_id,
    )  # fmt: skip
    if mode == "form" and form.get("action") == "more":
        return _editor(view, state, **again, keep_empty=True)
    problems = []
    target = definition_id or new_id
    if definition_id is None and (not ID.match(new_id) or new_id in NOT_DEFINITIONS):
        problems.append(view.t("reports.edit.problem_id", names=", ".join(sorted(NOT_DEFINITIONS))))
    try:
        data = json.loads(spec_json) if mode == "json" else form_data.spec_from_values(values)
        spec = parse_spec(data)
    except form_data.FormProblem as exc:
        return _editor(
            view, state, **again, problems=[*problems, view.t(exc.key, where=exc.where)], status=422
        )
    except json.JSONDecodeError as exc:
        problem = view.t("reports.edit.problem_json", line=exc.lineno, column=exc.colno, detail=exc.msg)
        return _editor(view, state, **again, problems=[*problems, problem], status=422)
    except InvalidDefinition as exc:
        return _editor(view, state, **again, problems=[*problems, *str(exc).split("; ")], status=422)
    if problems:
        return _editor(view, state, **again, problems=problems, status=422)
    try:
        version = service_of(state).definitions.save(
            target, spec, actor=view.user.username, expected_version=expected
        )
    except InvalidDefinition as exc:
        return _editor(view, state, **again, problems=str(exc).split("; "), status=422)
    except VersionConflict:
        if definition_id is None:
            return _editor(view, state, **again, problems=[view.t("reports.edit.problem_exists")], status=409)
        return _editor(view, state, **again, conflict=True, status=409)
    state.backend.reports_changed()
    unchanged = "&unchanged=1" if version == expected else ""
    return redirect(view, f"/console/reports/{target}?saved={version}{unchanged}")


@router.post(DEFINITION + "/webhook-key")
def new_webhook_key(
    view: ReportsView,
    state: StateDep,
    session: SessionDep,
    definition_id: DefinitionId,
    _form: PostedForm,
    service: ReportsDep,
) -> Response:
    """A new key for the report's webhook (the old one stops working), shown on this page only."""
    try:
        definition = service.definitions.get(definition_id)
    except DefinitionNotFound:
        return not_found(view)
    key = part_of(state, "report_triggers").new_webhook_key(definition_id, actor=view.user.username)
    return render(
        view,
        "reports_webhook_key.html",
        definition={
            "id": definition_id,
            "title": definition.title,
            "webhook": definition.spec.triggers.webhook,
        },
        key=key,
        hook_url=f"{str(view.request.base_url).rstrip('/')}/api/v1/reports/hooks/{definition_id}",
    )

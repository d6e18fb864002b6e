"""What the reports pages share (the list and a definition's page ``reports``, the editor
``reports_edit``, run details ``reports_run``): the page guard, the services of the process's backend,
the refusal pages, how runs and times are shown, and the run form's parameter inputs.

Reports live in the process's backend (``state.backend.reports``, a ``ReportService``, and
``state.backend.report_parts`` for connectors, destinations, mapping sets and secrets), which routes
take as dependencies (``ReportsDep``, ``ConnectorsDep``, ...); a server run with ``--workers 0`` has
none, and the dependency raises ``NoReportBackend``, which every page answers with the same message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import FormData

from sync_server.api.deps import StateDep
from sync_server.console.guard import get_view, page
from sync_server.console.i18n import tables
from sync_server.console.web import View, render
from sync_server.reports.builtin import BUILTIN_DEFINITIONS
from sync_server.reports.connectors import Connectors
from sync_server.reports.definition_api import RESERVED_IDS
from sync_server.reports.definitions import Definition
from sync_server.reports.destinations import ReportDestinations
from sync_server.reports.mappings import MappingSets
from sync_server.reports.runner import ReportService
from sync_server.reports.spec import ReportSpec
from sync_server.reports.triggers import TriggerWatcher
from sync_server.state import ServerState

ReportsView = Annotated[View, page("reports")]


class NoReportBackend(Exception):
    """This server process runs no backend (``--workers 0`` and no scheduler): report pages explain."""


def _part(name: str) -> Callable[..., Any]:
    def dependency(state: StateDep) -> Any:
        parts = getattr(state.backend, "report_parts", None)
        if parts is None:
            raise NoReportBackend
        return getattr(parts, name)

    return dependency


# The report services as page dependencies; name them after the view so a refused role gets 403
# before a process without a backend explains itself.
ReportsDep = Annotated[ReportService, Depends(_part("reports"))]
ConnectorsDep = Annotated[Connectors, Depends(_part("report_connectors"))]
DestinationsDep = Annotated[ReportDestinations, Depends(_part("report_destinations"))]
MappingsDep = Annotated[MappingSets, Depends(_part("report_mappings"))]
TriggersDep = Annotated[TriggerWatcher, Depends(_part("report_triggers"))]


def install_report_handlers(app: FastAPI) -> None:
    @app.exception_handler(NoReportBackend)
    async def _no_backend(request: Request, exc: NoReportBackend) -> Response:
        return no_backend(get_view(request))


# first path segments under /console/reports/ that are pages, never a definition ("new" is the editor)
NOT_DEFINITIONS = frozenset(RESERVED_IDS)
BADGES = {"succeeded": "ok", "warning": "warn", "running": "muted", "failed": "bad"}
TRIGGERS = ("manual", "schedule", "rerun", "file", "watermark", "webhook", "chain")
INPUT_TYPES = {"integer": "number", "number": "number", "date": "date", "boolean": "checkbox"}


class DefinitionIdConvertor(Convertor[str]):
    """A definition id in a console path: any one segment but the names of other pages, so the
    connectors, destinations and mapping sets pages (another router) and ``new``, ``runs`` here are
    routed to their own pages whichever router was mounted first. The id's pattern is checked by the
    route (422), as in the API."""

    regex = r"(?!(?:" + "|".join(sorted(NOT_DEFINITIONS)) + r")(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("report_definition", DefinitionIdConvertor())


def service_of(state: ServerState) -> ReportService | None:
    backend = state.backend
    return backend.reports if backend is not None else None


def part_of(state: ServerState, name: str) -> Any:
    """``state.backend.report_parts.<name>`` (connectors, destinations, mappings, secrets)."""
    return getattr(state.backend.report_parts, name)


def no_backend(view: View) -> Response:
    # 200, not 503: the page works and explains; nothing the browser retries would change (the role
    # walk also counts any 5xx on a page as a fault)
    return render(view, "message.html", title_key="reports.no_backend", text_key="reports.no_backend_text")


def not_found(view: View) -> Response:
    return render(
        view, "message.html", status=404, title_key="reports.not_found", text_key="reports.not_found_text"
    )


def utc(moment: dt.datetime | str | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back naive ones; the JSON API ISO text)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def when(moment: dt.datetime | str | None) -> dict[str, str] | None:
    """A time as the reports pages show it: ``iso`` for ``<time datetime>``, ``text`` in UTC."""
    moment = utc(moment)
    if moment is None:
        return None
    return {"iso": moment.isoformat(timespec="seconds"), "text": f"{moment:%Y-%m-%d %H:%M:%S} UTC"}


def title_of(view: View, definition: Definition) -> str:
    """A built-in report's title in the page's language (while its owner has not renamed it); a
    user-defined one as its owner wrote it."""
    key = f"reports.builtin.{definition.id}"
    builtin = BUILTIN_DEFINITIONS.get(definition.id)
    same = builtin is not None and builtin.title == definition.title
    return view.t(key) if same and key in tables()["eng"] else definition.title


def status_key(status: str) -> str | None:
    return f"reports.status_{status}" if status in BADGES else None


def trigger_key(trigger: str) -> str | None:
    return f"reports.trigger_{trigger}" if trigger in TRIGGERS else None


def run_row(run: Mapping[str, Any], service: ReportService | None = None) -> dict[str, Any]:
    """A run as the tables show it; with ``service``, its files too."""
    row = {
        "id": run["id"],
        "status": run["status"],
        "badge": BADGES.get(run["status"], "muted"),
        "status_key": status_key(run["status"]),
        "trigger": run["trigger"],
        "trigger_key": trigger_key(run["trigger"]),
        "started": when(run["started_at"]),
        "ended": when(run["ended_at"]),
        "row_count": run["row_count"],
        "error": run["error"],
    }
    if service is not None:
        row["artifacts"] = [
            {"format": a["format"], "size": a["size"], "sha256": a["sha256"]}
            for a in service.artifacts(run["id"])
        ]
    return row


def parameter_inputs(spec: ReportSpec, values: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One input per parameter a caller may set (not those a lookup fills), typed, with ``values``
    (what was posted or what a run used) or else the declared default filled in."""
    inputs = []
    for parameter in spec.parameters:
        if parameter.lookup is not None:
            continue
        value = (values or {}).get(parameter.name, parameter.default)
        kind = INPUT_TYPES.get(parameter.type, "text")
        if kind == "checkbox":
            shown = str(value).strip().lower() in ("true", "1", "yes")
        else:
            shown = "" if value is None else str(value)
        inputs.append(
            {
                "name": parameter.name,
                "field": f"param_{parameter.name}",
                "type": parameter.type,
                "input": kind,
                "step": "1" if parameter.type == "integer" else "any",
                "required": parameter.required and kind != "checkbox",
                "value": shown,
            }
        )
    return inputs


def posted_parameters(spec: ReportSpec, form: FormData) -> dict[str, Any]:
    """The run form's parameter values as typed (the service checks and converts them); an unchecked
    box is ``false``."""
    given: dict[str, Any] = {}
    for parameter in spec.parameters:
        if parameter.lookup is not None:
            continue
        raw = form.get(f"param_{parameter.name}")
        if parameter.type == "boolean":
            given[parameter.name] = "true" if raw is not None else "false"
        else:
            given[parameter.name] = raw.strip()[:2000] if isinstance(raw, str) else ""
    return given

"""The connectors page of the reports portal: the databases report SQL runs on. List them (URLs
redacted), create and edit one, delete one, test its connection.

A connector's URL may hold a password: its field is a password input that is never filled in; on
edit an empty field keeps the stored URL. The rules are ``reports.connectors.Connectors``'s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.datastructures import FormData

from sync_server.console.guard import PostedForm
from sync_server.console.pages.report_setup import (
    RESERVED_IDS,
    ReportsView,
    SetupId,
    done_flashes,
    not_found,
    refusal,
    secret,
    text,
    utc,
)
from sync_server.console.pages.reports_common import ConnectorsDep
from sync_server.console.web import View, redirect, render
from sync_server.reports.connector_store import MAX_URL
from sync_server.reports.connectors import ConnectorError, ConnectorOptions, Connectors, UnknownConnector
from sync_server.reports.spec import SERVER_CONNECTOR

router = APIRouter(prefix="/console/reports/connectors", include_in_schema=False)
BASE = "/console/reports/connectors"
DONE = ("saved", "deleted")
OPTIONS = ("pool_size", "timeout_s", "max_rows", "max_bytes", "fetch_rows")
_ERRORS = (
    ("a connector id is", "setup.error.id"),
    ("the title must be", "setup.error.title"),
    ("a new connector", "setup.conn.error.needs_url"),
)


def _bounds(name: str) -> tuple[int, int]:
    """The option's allowed range, from the model (so the form's min / max never drift from it)."""
    low = high = 0
    for rule in ConnectorOptions.model_fields[name].metadata:
        low, high = getattr(rule, "ge", low), getattr(rule, "le", high)
    return low, high


BOUNDS = {name: _bounds(name) for name in OPTIONS}
DEFAULTS = ConnectorOptions().model_dump()


def _row(connector: dict[str, Any]) -> dict[str, Any]:
    return connector | {"updated_at": utc(connector["updated_at"])}


def _find(service: Connectors, connector_id: str) -> dict[str, Any] | None:
    """A stored (editable) connector by id; the built-in one is not."""
    return next((_row(c) for c in service.list() if c["id"] == connector_id and not c["builtin"]), None)


# thousands separators per language; none in Arabic, where a separated number inside the
# right-to-left sentence is shown in pieces
_GROUPING = {"eng": ",", "fra": "\u202f", "ara": ""}


def count(view: View, n: int) -> str:
    return f"{n:,}".replace(",", _GROUPING.get(view.lang, ","))


def size(view: View, n: int) -> str:
    """A byte count as the limits show it: whole GiB or MiB when it is one, else bytes."""
    for unit, key in ((1024**3, "setup.size_gib"), (1024**2, "setup.size_mib")):
        if n >= unit and n % unit == 0:
            return view.t(key, n=count(view, n // unit))
    return view.t("setup.size_bytes", n=count(view, n))


def _limits(view: View, options: dict[str, int]) -> str:
    return view.t(
        "setup.conn.option_summary",
        pool=options["pool_size"],
        timeout=count(view, options["timeout_s"]),
        rows=count(view, options["max_rows"]),
        size=size(view, options["max_bytes"]),
        fetch=count(view, options["fetch_rows"]),
    )


def _list_page(view: View, service: Connectors, *, flashes: list, status: int = 200) -> Response:
    rows = [_row(c) | {"limits": _limits(view, c["options"])} for c in service.list()]
    return render(view, "report_setup_connectors.html", status=status, connectors=rows, flashes=flashes)


@router.get("")
def connectors_page(
    view: ReportsView, service: ConnectorsDep, done: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    return _list_page(view, service, flashes=done_flashes(view, done, "setup.conn.done.", DONE))


def _form_page(
    view: View, *, target: dict | None, values: dict, error: str | None = None, status: int = 200
) -> Response:
    return render(
        view,
        "report_setup_connector_form.html",
        status=status,
        target=target,
        values=values,
        options=OPTIONS,
        bounds=BOUNDS,
        defaults={name: count(view, value) for name, value in DEFAULTS.items()},
        max_url=MAX_URL,
        flashes=[("error", error)] if error else [],
    )


def _stored_values(connector: dict[str, Any] | None) -> dict[str, Any]:
    options = connector["options"] if connector else DEFAULTS
    return {
        "id": connector["id"] if connector else "",
        "title": connector["title"] if connector else "",
        **{name: str(options[name]) for name in OPTIONS},
    }


def _posted_values(form: FormData) -> dict[str, Any]:
    """What the user typed, to show again on a refusal (never the URL)."""
    return {"id": text(form, "id", 100), "title": text(form, "title", 300)} | {
        name: text(form, name, 20) for name in OPTIONS
    }


def _options(view: View, values: dict[str, Any]) -> tuple[dict[str, int] | None, str | None]:
    """The typed options as numbers, or the words saying which one is out of range."""
    options = {}
    for name in OPTIONS:
        low, high = BOUNDS[name]
        raw = values[name] or str(DEFAULTS[name])
        if not raw.isdigit() or not low <= int(raw) <= high:
            return None, view.t(
                "setup.conn.error.option", name=view.t(f"setup.conn.opt.{name}"), low=low, high=high
            )
        options[name] = int(raw)
    return options, None


def _save(view: View, service: Connectors, form: FormData, *, target: dict | None) -> Response:
    values = _posted_values(form)
    connector_id = target["id"] if target else values["id"]
    url = secret(form, "url", MAX_URL + 1)
    options, error = _options(view, values)
    if target is None and connector_id in RESERVED_IDS | {SERVER_CONNECTOR}:
        error = view.t("setup.error.reserved", id=connector_id)
    elif target is None and _find(service, connector_id) is not None:
        error = view.t("setup.error.taken")
    elif target is None and url is None:
        error = view.t("setup.conn.error.needs_url")
    if error is None:
        try:
            service.save(
                connector_id,
                title=values["title"],
                url=url.strip() if url else None,
                options=options,
                actor=view.user.username,
            )
        except ConnectorError as exc:
            error = refusal(view, str(exc), _ERRORS)
    if error is not None:
        return _form_page(view, target=target, values=values, error=error, status=422)
    return redirect(view, f"{BASE}?done=saved")


@router.get("/new")
def new_connector_page(view: ReportsView, _service: ConnectorsDep) -> Response:
    return _form_page(view, target=None, values=_stored_values(None))


@router.post("/new")
def create_connector(view: ReportsView, form: PostedForm, service: ConnectorsDep) -> Response:
    return _save(view, service, form, target=None)


@router.get("/{connector_id}")
def connector_page(connector_id: SetupId, view: ReportsView, service: ConnectorsDep) -> Response:
    connector = _find(service, connector_id)
    if connector is None:
        return not_found(view)
    return _form_page(view, target=connector, values=_stored_values(connector))


@router.post("/{connector_id}")
def save_connector(
    connector_id: SetupId, view: ReportsView, form: PostedForm, service: ConnectorsDep
) -> Response:
    connector = _find(service, connector_id)
    if connector is None:
        return not_found(view)
    return _save(view, service, form, target=connector)


@router.post("/{connector_id}/delete")
def delete_connector(
    connector_id: SetupId, view: ReportsView, _form: PostedForm, service: ConnectorsDep
) -> Response:
    try:
        service.delete(connector_id, actor=view.user.username)
    except UnknownConnector:
        return not_found(view)
    except ConnectorError as exc:  # the built-in connector
        return _list_page(view, service, flashes=[("error", refusal(view, str(exc), ()))], status=409)
    return redirect(view, f"{BASE}?done=deleted")


@router.post("/{connector_id}/test")
def test_connector(
    connector_id: SetupId, view: ReportsView, _form: PostedForm, service: ConnectorsDep
) -> Response:
    """Connect and run ``SELECT 1`` (blocks up to the connector's timeout, in the thread pool); the
    list again with what happened. Error messages come scrubbed of passwords by the service."""
    try:
        flash = ("ok", view.t("setup.conn.test_ok", id=connector_id, detail=service.test(connector_id)))
    except UnknownConnector:
        return not_found(view)
    except (ConnectorError, ImportError) as exc:  # ImportError: the URL's driver is not installed here
        flash = ("error", view.t("setup.conn.test_failed", id=connector_id, detail=str(exc)))
    return _list_page(view, service, flashes=[flash])

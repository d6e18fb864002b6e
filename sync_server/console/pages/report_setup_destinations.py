"""The destinations page of the reports portal: where report runs deliver their files (a folder on the
server, SFTP, FTP or FTPS). List them, create and edit one, delete one, test it.

The form works without script: one kind select and a fieldset per kind (FTP and FTPS share one); only
the chosen kind's fields are read. Secrets (password, private key) are write-only inputs that are never
filled in; on edit an empty one keeps the stored secret. The rules are ``ReportDestinations``'s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic_core import PydanticUndefined
from starlette.datastructures import FormData

from sync_server.console.guard import PostedForm
from sync_server.console.pages.report_setup import (
    RESERVED_IDS,
    ReportsView,
    SetupId,
    done_flashes,
    multiline,
    not_found,
    refusal,
    secret,
    text,
    utc,
)
from sync_server.console.pages.reports_common import DestinationsDep
from sync_server.console.web import View, redirect, render
from sync_server.reports.delivery import KINDS, FolderConfig, FtpConfig, SftpConfig
from sync_server.reports.destinations import (
    MAX_SECRET,
    DestinationError,
    DestinationInUse,
    ReportDestinations,
    UnknownDestination,
    secret_label,
)

router = APIRouter(prefix="/console/reports/destinations", include_in_schema=False)
BASE = "/console/reports/destinations"
DONE = ("saved", "deleted")
# the fieldset of each kind, and the config fields it holds
GROUPS = {"folder": "folder", "sftp": "sftp", "ftp": "ftp", "ftps": "ftp"}
MODELS = {"folder": FolderConfig, "sftp": SftpConfig, "ftp": FtpConfig}
FIELDS = {group: tuple(model.model_fields) for group, model in MODELS.items()}
MULTILINE = frozenset({"host_key", "ca_pem"})
SECRET_FIELDS = {"private key": "sftp_key", "password": "password"}
SECRET_WORDS = {"private key": "setup.dest.secret_key", "password": "setup.dest.secret_password"}
_ERRORS = (
    ("a destination id is", "setup.error.id"),
    ("a title is", "setup.error.title"),
)


def _shown(value: Any) -> Any:
    """A config value as a form shows it (300.0 -> "300"; booleans stay booleans)."""
    if value is None or isinstance(value, bool):
        return value if value is not None else ""
    return f"{value:g}" if isinstance(value, float) else str(value)


DEFAULTS: dict[str, Any] = {
    f"{group}_{name}": _shown(field.default)
    for group, model in MODELS.items()
    for name, field in model.model_fields.items()
    if field.default is not PydanticUndefined
}


def _target(row: dict[str, Any]) -> str:
    """Where a destination's files go, in one line."""
    config = row["config"] or {}
    if row["kind"] == "folder":
        return str(config.get("folder", ""))
    where = f"{row['kind']}://{config.get('username', '')}@{config.get('host', '')}:{config.get('port', '')}"
    remote = config.get("remote_dir") or "."
    return where if remote == "." else f"{where} {remote}"


def _row(row: dict[str, Any]) -> dict[str, Any]:
    label = row["secret_label"]
    return row | {
        "target": _target(row),
        "secret_words": SECRET_WORDS.get(label),
        "updated_at": utc(row.get("updated_at")),
    }


def _find(service: ReportDestinations, destination_id: str) -> dict[str, Any] | None:
    try:
        return _row(service.get(destination_id))
    except UnknownDestination:
        return None


def _list_page(view: View, service: ReportDestinations, *, flashes: list) -> Response:
    rows = [_row(r) for r in service.list()]
    return render(view, "report_setup_destinations.html", destinations=rows, flashes=flashes)


@router.get("")
def destinations_page(
    view: ReportsView, service: DestinationsDep, done: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    return _list_page(view, service, flashes=done_flashes(view, done, "setup.dest.done.", DONE))


def _form_page(
    view: View, *, target: dict | None, values: dict, error: str | None = None, status: int = 200
) -> Response:
    return render(
        view,
        "report_setup_destination_form.html",
        status=status,
        target=target,
        values=values,
        kinds=KINDS,
        max_secret=MAX_SECRET,
        flashes=[("error", error)] if error else [],
    )


def _stored_values(row: dict[str, Any] | None) -> dict[str, Any]:
    values = {"id": "", "title": "", "kind": "folder", **DEFAULTS}
    if row is not None:
        group = GROUPS[row["kind"]]
        values |= {"id": row["id"], "title": row["title"], "kind": row["kind"]}
        values |= {f"{group}_{k}": _shown(v) for k, v in (row["config"] or {}).items()}
    return values


def _posted_values(form: FormData) -> dict[str, Any]:
    """What the user typed in every fieldset, to show again on a refusal (never a secret)."""
    values: dict[str, Any] = {"id": text(form, "id", 100), "title": text(form, "title", 300)}
    values["kind"] = text(form, "kind", 10)
    for group, names in FIELDS.items():
        for name in names:
            field = f"{group}_{name}"
            if name == "passive":
                values[field] = form.get(field) == "on"
            else:
                values[field] = multiline(form, field) if name in MULTILINE else text(form, field)
    return values


def _config(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """The chosen kind's fields (the other fieldsets are ignored); empty ones take their defaults."""
    group = GROUPS.get(kind)
    if group is None:
        return {}
    config = {name: values[f"{group}_{name}"] for name in FIELDS[group]}
    if kind != "ftps":
        config.pop("ca_pem", None)  # a plain FTP destination has no TLS to pin
    return {k: v for k, v in config.items() if v != ""}


def _secret_field(kind: str, config: dict[str, Any]) -> str | None:
    label = secret_label(kind, config) if kind in GROUPS else None
    if label is None:
        return None
    field = SECRET_FIELDS[label]
    return field if field == "sftp_key" else f"{GROUPS[kind]}_{field}"


def _save(view: View, service: ReportDestinations, form: FormData, *, target: dict | None) -> Response:
    values = _posted_values(form)
    destination_id = target["id"] if target else values["id"]
    kind, config = values["kind"], _config(values["kind"], values)
    field = _secret_field(kind, config)
    given = secret(form, field, MAX_SECRET + 1) if field else None
    error = None
    if target is None and destination_id in RESERVED_IDS:
        error = view.t("setup.error.reserved", id=destination_id)
    elif target is None and _find(service, destination_id) is not None:
        error = view.t("setup.error.taken")
    else:
        try:
            service.save(
                destination_id,
                title=values["title"],
                kind=kind,
                config=config,
                secret=given,
                actor=view.user.username,
            )
        except DestinationError as exc:
            detail = str(exc)
            if " needs its " in detail and field:
                label = secret_label(kind, config)
                error = view.t("setup.dest.error.needs_secret", secret=view.t(SECRET_WORDS[label]))
            else:
                error = refusal(view, detail, _ERRORS)
    if error is not None:
        return _form_page(view, target=target, values=values, error=error, status=422)
    return redirect(view, f"{BASE}?done=saved")


@router.get("/new")
def new_destination_page(view: ReportsView, _service: DestinationsDep) -> Response:
    return _form_page(view, target=None, values=_stored_values(None))


@router.post("/new")
def create_destination(view: ReportsView, form: PostedForm, service: DestinationsDep) -> Response:
    return _save(view, service, form, target=None)


@router.get("/{destination_id}")
def destination_page(destination_id: SetupId, view: ReportsView, service: DestinationsDep) -> Response:
    row = _find(service, destination_id)
    if row is None:
        return not_found(view)
    return _form_page(view, target=row, values=_stored_values(row))


@router.post("/{destination_id}")
def save_destination(
    destination_id: SetupId, view: ReportsView, form: PostedForm, service: DestinationsDep
) -> Response:
    row = _find(service, destination_id)
    if row is None:
        return not_found(view)
    return _save(view, service, form, target=row)


@router.post("/{destination_id}/delete")
def delete_destination(
    destination_id: SetupId, view: ReportsView, _form: PostedForm, service: DestinationsDep
) -> Response:
    try:
        service.delete(destination_id, actor=view.user.username)
    except UnknownDestination:
        return not_found(view)
    except DestinationInUse as exc:
        row = _find(service, destination_id)
        if row is None:
            return not_found(view)
        error = view.t("setup.dest.error.in_use", detail=str(exc))
        return _form_page(view, target=row, values=_stored_values(row), error=error, status=409)
    return redirect(view, f"{BASE}?done=deleted")


@router.post("/{destination_id}/test")
def test_destination(
    destination_id: SetupId, view: ReportsView, _form: PostedForm, service: DestinationsDep
) -> Response:
    """Connect and list the target folder (blocks up to the destination's timeout, in the thread
    pool); the list again with what happened. The service's messages never hold a secret."""
    try:
        outcome = service.test(destination_id)
    except UnknownDestination:
        return not_found(view)
    ok = outcome.startswith("ok:")
    detail = outcome.partition(":")[2].strip()
    key = "setup.dest.test_ok" if ok else "setup.dest.test_failed"
    return _list_page(
        view, service, flashes=[("ok" if ok else "error", view.t(key, id=destination_id, detail=detail))]
    )

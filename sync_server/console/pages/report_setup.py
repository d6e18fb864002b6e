"""What the report setup pages share (connectors ``report_setup_connectors``, destinations
``report_setup_destinations``, mapping sets ``report_setup_mappings``): the page guard, form readers,
the refusal pages and flashes.

The services come as page dependencies (``reports_common.ConnectorsDep`` and the like); a server run
with ``--workers 0`` has no backend and these pages say so, as the reports page does. They are reached
by the roles of the reports page.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import Path
from fastapi.responses import Response
from starlette.datastructures import FormData

from sync_server.console.guard import page
from sync_server.console.web import View, render

ReportsView = Annotated[View, page("reports")]
ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"  # connectors, destinations and mapping sets alike
SetupId = Annotated[str, Path(pattern=ID_PATTERN)]
# "new" names the create form of each list: an object with that id could not be opened
RESERVED_IDS = frozenset({"new"})
FIELD_LIMIT = 70_000  # longer than any field a service accepts: those refuse it, never cut silently


def valid_id(value: str) -> bool:
    return re.fullmatch(ID_PATTERN, value) is not None


def not_found(view: View) -> Response:
    return render(view, "message.html", status=404, title_key="setup.missing", text_key="setup.missing_text")


def text(form: FormData, name: str, limit: int = FIELD_LIMIT) -> str:
    """A posted text field, stripped and bounded ("" when absent or a file)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def multiline(form: FormData, name: str, limit: int = FIELD_LIMIT) -> str:
    """A posted textarea with the browser's CRLF line ends made LF (PEM keys, certificates)."""
    return text(form, name, limit).replace("\r\n", "\n")


def secret(form: FormData, name: str, limit: int) -> str | None:
    """A posted secret as typed (not stripped), or None when left empty (keep the stored one).
    ``limit`` is one past the service's bound, so the service refuses it without quoting it."""
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    return value[:limit].replace("\r\n", "\n")


def utc(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def done_flashes(view: View, done: str, prefix: str, known: tuple[str, ...], **values: object) -> list:
    """The "it worked" flash of a redirect's ``?done=`` (only the known words, never the raw value)."""
    return [("ok", view.t(f"{prefix}{done}", **values))] if done in known else []


def refusal(view: View, detail: str, known: tuple[tuple[str, str], ...]) -> str:
    """A service refusal in the page's language: the words of the first ``known`` prefix the
    message starts with, else the general sentence with the service's own (secret-free) detail."""
    key = next((k for prefix, k in known if detail.startswith(prefix)), None)
    return view.t(key) if key else view.t("setup.error.other", detail=detail)

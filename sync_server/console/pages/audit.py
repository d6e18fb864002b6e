"""The audit log page (admins, auditors): newest first, filters, paging back by seq, readable details
and a chain check. Queries in services.console_audit."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from sync_server.api.deps import StateDep
from sync_server.console.guard import PostedForm, page
from sync_server.console.web import View, render
from sync_server.services import console_audit
from sync_server.services.console_audit import AuditFilters

router = APIRouter(prefix="/console", include_in_schema=False)
Audit = Annotated[View, page("audit")]
_MAX_FIELD = 200


def _filters(query) -> tuple[AuditFilters, int | None, bool]:
    """The filters, ``before`` and whether any value was malformed (then ignored)."""
    bad = False

    def text(key: str, size: int) -> str:
        nonlocal bad
        value = (query.get(key) or "").strip()
        if len(value) > size:
            bad = True
            return ""
        return value

    def day(key: str) -> dt.date | None:
        nonlocal bad
        value = query.get(key) or ""
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            bad = True
            return None

    before = query.get("before") or ""
    if before and not (before.isdigit() and len(before) <= 18):
        bad, before = True, ""
    filters = AuditFilters(
        actor=text("actor", 128),
        action=text("action", 64),
        target=text("target", _MAX_FIELD),
        date_from=day("from"),
        date_to=day("to"),
    )
    return filters, int(before) if before else None, bad


def _items(filters: AuditFilters) -> dict[str, str]:
    items = {
        "actor": filters.actor,
        "action": filters.action,
        "target": filters.target,
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
    }
    return {k: v for k, v in items.items() if v}


def _page(view: View, state, *, verdict=None) -> Response:
    filters, before, bad = _filters(view.request.query_params)
    result = console_audit.list_filtered(state.engine, filters=filters, before_seq=before)
    items = _items(filters)
    flashes = [("error", view.t("audit.bad_filter"))] if bad else []
    if verdict is not None:
        flashes.append(
            ("ok", view.t("audit.chain_ok", n=verdict.entries))
            if verdict.ok
            else (
                "error",
                view.t("audit.chain_broken", seq=verdict.first_broken_seq, why=verdict.reason or ""),
            )
        )
    return render(
        view,
        "audit.html",
        flashes=flashes,
        filters=filters,
        entries=[
            (e, json.dumps(e.details, indent=2, ensure_ascii=False, sort_keys=True)) for e in result.entries
        ],
        next_url="/console/audit?" + urlencode(items | {"before": result.next_before})
        if result.next_before
        else None,
        first_url="/console/audit?" + urlencode(items) if before else None,
        verify_query=urlencode(items | ({"before": before} if before else {})),
    )


@router.get("/audit")
def audit_log(view: Audit, state: StateDep) -> Response:
    return _page(view, state)


@router.post("/audit/verify")
def verify(view: Audit, form: PostedForm, state: StateDep) -> Response:
    """Walks the whole chain (a read, but a heavy one: a CSRF-checked POST, not a link to crawl)."""
    return _page(view, state, verdict=console_audit.check_chain(state.engine))

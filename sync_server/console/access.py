"""Which console roles reach which page. One table, read by the navigation, the page guards and the
test that walks every route with every role; the API's role checks use the same sets."""

from __future__ import annotations

from dataclasses import dataclass

from sync_server.services.roles import (
    ADJUDICATOR,
    ADMIN,
    AUDITOR,
    CENTER_ADMIN,
    CONSOLE_ROLES,
    REPORT_MANAGER,
)


@dataclass(frozen=True)
class Page:
    key: str  # words key of its title: nav.<key>
    path: str
    roles: frozenset[str]


PAGES = (
    Page("dashboard", "/console/", CONSOLE_ROLES),
    Page("machines", "/console/machines", frozenset({ADMIN, CENTER_ADMIN})),
    Page("users", "/console/users", frozenset({ADMIN, CENTER_ADMIN})),
    Page("masterdata", "/console/masterdata", frozenset({ADMIN, CENTER_ADMIN})),
    Page("packets", "/console/packets", frozenset({ADMIN, CENTER_ADMIN, AUDITOR})),
    Page("identities", "/console/identities", frozenset({ADMIN, AUDITOR})),
    Page("audit", "/console/audit", frozenset({ADMIN, AUDITOR})),
    Page("adjudication", "/console/adjudication", frozenset({ADMIN, ADJUDICATOR})),
    Page("reports", "/console/reports", frozenset({ADMIN, REPORT_MANAGER})),
)
BY_KEY = {p.key: p for p in PAGES}


def allowed(page: str, roles: frozenset[str]) -> bool:
    return not BY_KEY[page].roles.isdisjoint(roles)


def visible_pages(roles: frozenset[str]) -> list[Page]:
    return [p for p in PAGES if not p.roles.isdisjoint(roles)]

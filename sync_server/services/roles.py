"""Who may do what: the roles a user row may hold, which of them reach the web console, and the
centers a principal's work is limited to. One table for the API and the console alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ADMIN = "admin"
CENTER_ADMIN = "center_admin"
ADJUDICATOR = "adjudicator"
AUDITOR = "auditor"
REPORT_MANAGER = "report_manager"
OPERATOR = "operator"
SUPERVISOR = "supervisor"

KIOSK_ROLES = frozenset({OPERATOR, SUPERVISOR})
CONSOLE_ROLES = frozenset({ADMIN, CENTER_ADMIN, ADJUDICATOR, AUDITOR, REPORT_MANAGER})
ALL_ROLES = KIOSK_ROLES | CONSOLE_ROLES


def console_roles(roles: Iterable[str]) -> frozenset[str]:
    """The console roles among ``roles`` (kiosk roles give no console access)."""
    return frozenset(roles) & CONSOLE_ROLES


def center_scope(
    roles: Iterable[str], center_id: str | None, data: Mapping[str, Any]
) -> frozenset[str] | None:
    """The centers a user's work is limited to: None (every center) unless the user is a center admin
    and not an admin; then their ``center_ids`` (or their one ``center_id``). A center admin with no
    center gets the empty set: nothing, never everything. The narrower scope wins for a user who is
    also an auditor, say: a role never widens another's reach."""
    roles = frozenset(roles)
    if ADMIN in roles or CENTER_ADMIN not in roles:
        return None
    listed = data.get("center_ids")
    if isinstance(listed, list):
        return frozenset(c for c in listed if isinstance(c, str))
    return frozenset({center_id}) if center_id else frozenset()

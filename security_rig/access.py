"""Who may call what, as documented (docs/sync-protocol.md, docs/console.md "Roles"): the operations
that are public on purpose, the machine-only sync routes, and the roles of each admin area.

The rig keeps its own copy on purpose: a route that drops its security requirement from the OpenAPI
document, or an area whose roles widen, shows up as a finding until this table (and the docs) say so.
"""

from __future__ import annotations

import re

ADMIN = "admin"
CENTER_ADMIN = "center_admin"
ADJUDICATOR = "adjudicator"
AUDITOR = "auditor"
REPORT_MANAGER = "report_manager"
CONSOLE_ROLES = frozenset({ADMIN, CENTER_ADMIN, ADJUDICATOR, AUDITOR, REPORT_MANAGER})
MACHINE = "machine"  # the role a machine token holds

# (method, path template) -> why it answers without a bearer token
PUBLIC_OPERATIONS: dict[tuple[str, str], str] = {
    ("GET", "/health"): "liveness/readiness for load balancers; says up or not, nothing else",
    ("GET", "/health/live"): "liveness probe",
    ("GET", "/health/ready"): "readiness probe",
    (
        "POST",
        "/api/v1/machines/enrol",
    ): "a new kiosk has no credential yet (rate-limited, capped, approved by an admin)",
    ("POST", "/api/v1/auth/challenge"): "how a machine starts to authenticate (rate-limited)",
    ("POST", "/api/v1/auth/machine-token"): "a signed challenge is the credential",
    ("POST", "/api/v1/auth/login"): "a password (and TOTP) is the credential (rate-limited, lockout)",
    ("GET", "/api/v1/keys"): "the server's public keys, signed, for kiosks to pin",
    (
        "OPTIONS",
        "/api/v1/packets/uploads",
    ): "tus capability discovery answers without credentials by protocol",
    (
        "POST",
        "/api/v1/resident/status",
    ): "residents check a RID with their date of birth (rate-limited, same 404 for both misses)",
    (
        "GET",
        "/updates/{area}/{name}",
    ): "the signed TUF update repository: kiosks fetch it before any trust, files are signed",
    ("HEAD", "/updates/{area}/{name}"): "as GET /updates/{area}/{name}",
    (
        "POST",
        "/api/v1/reports/hooks/{definition_id}",
    ): "report triggers authenticate with an HMAC signature header, not a bearer token",
}

# Pages outside the OpenAPI document that answer anyone on purpose.
PUBLIC_PAGES: dict[str, str] = {
    "/console/sign-in": "the console's sign-in form",
    "/resident/status": "the residents' status page",
}

# Console pages (docs/console.md "Roles"): without a session each must send the browser to sign in.
CONSOLE_PAGES = (
    "/console/",
    "/console/machines",
    "/console/users",
    "/console/masterdata",
    "/console/packets",
    "/console/identities",
    "/console/audit",
    "/console/adjudication",
    "/console/reports",
)
SIGN_IN_PAGE = "/console/sign-in"

# Routes of the sync protocol that only machine tokens may use.
MACHINE_ONLY = re.compile(r"^/api/v1/(packets(/|$)|masterdata/(changes|snapshot|problems)$)")
ADMIN_PREFIX = "/api/v1/admin/"

# Admin API areas and the roles that may reach them (the console's table; the widest set of an area).
# Read-only roles get no write method of an area where the table says "read only".
_AREAS: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    # (path prefix, roles for reads, roles for writes)
    ("/api/v1/admin/dashboard", CONSOLE_ROLES, CONSOLE_ROLES),
    ("/api/v1/admin/machines", frozenset({ADMIN, CENTER_ADMIN}), frozenset({ADMIN, CENTER_ADMIN})),
    ("/api/v1/admin/users", frozenset({ADMIN, CENTER_ADMIN}), frozenset({ADMIN, CENTER_ADMIN})),
    ("/api/v1/admin/masterdata", frozenset({ADMIN, CENTER_ADMIN}), frozenset({ADMIN, CENTER_ADMIN})),
    ("/api/v1/admin/packets", frozenset({ADMIN, CENTER_ADMIN, AUDITOR}), frozenset({ADMIN, CENTER_ADMIN})),
    ("/api/v1/admin/identities", frozenset({ADMIN, AUDITOR}), frozenset({ADMIN, AUDITOR})),
    ("/api/v1/admin/audit", frozenset({ADMIN, AUDITOR}), frozenset({ADMIN, AUDITOR})),
    ("/api/v1/admin/adjudication", frozenset({ADMIN, ADJUDICATOR}), frozenset({ADMIN, ADJUDICATOR})),
    ("/api/v1/admin/reports", frozenset({ADMIN, REPORT_MANAGER}), frozenset({ADMIN, REPORT_MANAGER})),
)
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def public_reason(method: str, path: str) -> str | None:
    return PUBLIC_OPERATIONS.get((method, path))


def allowed_roles(method: str, path: str) -> frozenset[str] | None:
    """The roles that may call this operation; None when the rig's table does not know it (then only
    kiosk roles and machines are checked: they never reach an admin operation)."""
    if MACHINE_ONLY.match(path):
        return frozenset({MACHINE})
    for prefix, reads, writes in _AREAS:
        if path == prefix or path.startswith(prefix + "/"):
            return reads if method in _READS else writes
    return None


def must_refuse(roles: frozenset[str], method: str, path: str) -> bool:
    """True when a token holding exactly ``roles`` must get 403 from this operation."""
    allowed = allowed_roles(method, path)
    if allowed is not None:
        return roles.isdisjoint(allowed)
    # an admin operation the table does not list: at least kiosk roles and machines stay out
    return path.startswith(ADMIN_PREFIX) and roles.isdisjoint(CONSOLE_ROLES)

"""Managing user accounts from the console and the admin API: list, create, edit, disable / enable,
reset a password, re-enrol the console's second factor.

Users are master data (entity ``users``): every change goes through ``masterdata.append_changes``, so
kiosks of the user's center receive it on their next sync, and is audited with the actor. Passwords are
one-time temporary ones the server makes up: the console makes its users change theirs at the next
sign-in; kiosks have no change-password step, so a kiosk user keeps the temporary password until an
admin resets it again. Supervisors also get a kiosk TOTP secret (``totp_secret``, sent to their
center's kiosks for approvals), shown once like the password.

Scope: an admin manages everyone; a center admin (without admin) sees the users of their centers and
manages those among them holding neither ``admin`` nor ``center_admin``, and grants neither. Nobody
disables themself or takes away their own admin role.

Hash passwords (``temporary_password`` then ``console_accounts.new_password_hash``) before opening the
transaction that stores them: hashing is slow and the change log is locked while it is open.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.sync import ErrorCode
from sync_server.db.tables import ConsoleAccountRow, CurrentRow
from sync_server.services import console_accounts, console_sessions
from sync_server.services.audit import append_audit
from sync_server.services.errors import BadInput, Conflict, Forbidden, NotFound
from sync_server.services.masterdata import append_changes, lock_log
from sync_server.services.masterdata_rules import validate_rows
from sync_server.services.roles import ADMIN, ALL_ROLES, CENTER_ADMIN, KIOSK_ROLES, SUPERVISOR, center_scope

USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
NAME_PATTERN = r"^[^\x00-\x1f\x7f]{1,100}$"
CENTER_ID_PATTERN = r"^[0-9]{5}$"
MAX_CENTERS = 1000
# no 0/o, 1/l/i: read off a screen and typed on a kiosk
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class Actor:
    """Who acts: a console user or an API principal, with the centers they are limited to (None: all)."""

    username: str
    roles: frozenset[str]
    centers: frozenset[str] | None


@dataclass(frozen=True)
class UserSummary:
    id: str
    name: str
    roles: list[str]
    center_id: str | None
    center_ids: list[str]
    active: bool
    manageable: bool  # by the actor who listed it


@dataclass(frozen=True)
class UserChanges:
    """What an edit sets; None leaves a field as it is ("" as center_id: no center, head office)."""

    name: str | None = None
    roles: list[str] | None = None
    center_id: str | None = None
    center_ids: list[str] | None = None


@dataclass(frozen=True)
class Issued:
    """What the server made up for a user and shows once: a temporary password, a kiosk TOTP secret."""

    user_id: str
    password: str | None = None
    kiosk_totp_secret: str | None = None
    changed: list[str] = field(default_factory=list)


def temporary_password() -> str:
    """Four groups of four letters and digits (about 79 bits), e.g. ``k7pm-2xqa-9rtd-hw4c``."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))


def _bad(detail: str) -> BadInput:
    return BadInput(ErrorCode.validation_error, detail)


def actor_of(session: Session, *, username: str) -> Actor:
    """The actor for a signed-in user or token subject, their center scope read from master data."""
    row = session.get(CurrentRow, ("users", username))
    data = row.data if row is not None else {}
    roles = frozenset(r for r in data.get("roles", []) if isinstance(r, str))
    return Actor(
        username=username,
        roles=roles,
        centers=center_scope(roles, row.center_id if row is not None else None, data),
    )


def summary(actor: Actor, data: dict[str, Any], center_id: str | None) -> UserSummary:
    roles = [r for r in data.get("roles", []) if isinstance(r, str)]
    listed = data.get("center_ids")
    return UserSummary(
        id=str(data.get("id")),
        name=str(data.get("name", "")),
        roles=roles,
        center_id=center_id,
        center_ids=[c for c in listed if isinstance(c, str)] if isinstance(listed, list) else [],
        active=data.get("active", True) is not False,
        manageable=_may_manage(actor, roles, center_id),
    )


def _may_manage(actor: Actor, roles: list[str], center_id: str | None) -> bool:
    if actor.centers is None:
        return True
    # a center admin manages their centers' kiosk users only: any other role reaches every center
    return center_id in actor.centers and set(roles) <= KIOSK_ROLES


def get_user(session: Session, *, actor: Actor, user_id: str) -> UserSummary:
    """A user the actor may see (NotFound otherwise: users outside a center admin's scope do not exist
    for them)."""
    row = session.get(CurrentRow, ("users", user_id))
    if row is None or (actor.centers is not None and row.center_id not in actor.centers):
        raise NotFound(ErrorCode.not_found, f"no user {user_id!r}")
    return summary(actor, row.data, row.center_id)


def list_centers(session: Session, *, actor: Actor) -> list[tuple[str, str]]:
    """(id, name) of the centers in master data the actor may assign users to."""
    rows = session.execute(
        select(CurrentRow.entity_id, CurrentRow.data)
        .where(CurrentRow.entity == "centers")
        .order_by(CurrentRow.entity_id)
    )
    return [
        (cid, str(data.get("name", cid)))
        for cid, data in rows
        if actor.centers is None or cid in actor.centers
    ]


def _managed_row(session: Session, actor: Actor, user_id: str, *, to_change: bool = True) -> CurrentRow:
    """The user row the actor may change. ``to_change``: read under the change-log lock, so two admins
    editing one user at once take turns and neither writes back what the other just changed."""
    if to_change:
        lock_log(session)
    row = session.get(CurrentRow, ("users", user_id))
    if row is None or (actor.centers is not None and row.center_id not in actor.centers):
        raise NotFound(ErrorCode.not_found, f"no user {user_id!r}")
    if not _may_manage(actor, row.data.get("roles", []), row.center_id):
        raise Forbidden(ErrorCode.forbidden, f"a center admin cannot change {user_id!r} (an administrator)")
    return row


def _check_fields(session: Session, actor: Actor, row: dict[str, Any]) -> None:
    """The rules of a user row as the actor would leave it (BadInput / Forbidden naming the problem)."""
    if not re.match(NAME_PATTERN, row.get("name") or "") or not row["name"].strip():
        raise _bad("name: 1 to 100 characters, no control characters")
    roles = row.get("roles") or []
    if not roles or not set(roles) <= ALL_ROLES:
        raise _bad(f"roles: choose at least one of {sorted(ALL_ROLES)}")
    if actor.centers is not None and not set(roles) <= KIOSK_ROLES:
        raise Forbidden(
            ErrorCode.forbidden, "a center admin cannot grant roles beyond operator and supervisor"
        )
    centers = list(row.get("center_ids") or [])
    center = row.get("center_id")
    if CENTER_ADMIN in roles and not centers:
        raise _bad("center_ids: a center admin needs at least one center")
    if center is None and (CENTER_ADMIN in roles or not {"operator", SUPERVISOR}.isdisjoint(roles)):
        raise _bad("center_id: kiosk users and center admins belong to a center")
    wanted = set(centers) | ({center} if center else set())
    if len(centers) > MAX_CENTERS or any(not re.match(CENTER_ID_PATTERN, c) for c in wanted):
        raise _bad("center_ids: 5-digit center ids")
    known = set(
        session.scalars(
            select(CurrentRow.entity_id).where(
                CurrentRow.entity == "centers", CurrentRow.entity_id.in_(wanted)
            )
        )
    )
    if wanted - known:
        raise BadInput(ErrorCode.center_unknown, f"unknown center(s): {', '.join(sorted(wanted - known))}")
    if actor.centers is not None and not wanted <= actor.centers:
        raise Forbidden(ErrorCode.forbidden, "a center admin assigns users to their own centers only")
    problems = validate_rows("console", "users", [row])
    if problems:
        raise _bad("; ".join(f"{p.field}: {p.message}" for p in problems))


def _normalise(row: dict[str, Any]) -> dict[str, Any]:
    """center_ids only for center admins (their first center is their center_id when none is given)."""
    row = dict(row)
    if CENTER_ADMIN in row["roles"]:
        row["center_ids"] = sorted(set(row.get("center_ids") or []))
        if not row.get("center_id") and row["center_ids"]:
            row["center_id"] = row["center_ids"][0]
    else:
        row.pop("center_ids", None)
    if not row.get("center_id"):
        row.pop("center_id", None)
    return row


def create_user(
    session: Session,
    *,
    actor: Actor,
    user_id: str,
    name: str,
    roles: list[str],
    center_id: str | None,
    center_ids: list[str],
    password: str,
    password_hash: str,
) -> Issued:
    """Add a user with a temporary password (``password``, its hash made beforehand), who must change it
    at their next console sign-in. Conflict when the id is taken."""
    if not re.match(USER_ID_PATTERN, user_id):
        raise _bad("id: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit")
    lock_log(session)  # two creates of one id: the second sees the first
    if session.get(CurrentRow, ("users", user_id)) is not None:
        raise Conflict(ErrorCode.validation_error, f"id: a user {user_id!r} already exists")
    row = _normalise(
        {
            "id": user_id,
            "name": name.strip(),
            "roles": sorted(set(roles)),
            "center_id": center_id,
            "center_ids": center_ids,
            "password_hash": password_hash,
            "active": True,
        }
    )
    secret = None
    if SUPERVISOR in row["roles"]:
        row["totp_secret"] = secret = pyotp.random_base32()
    _check_fields(session, actor, row)
    append_changes(session, upserts=[("users", row)], deletes=[])
    account = session.get(ConsoleAccountRow, user_id)
    if account is None:
        account = ConsoleAccountRow(username=user_id)
        session.add(account)
    account.must_change_password = True
    account.totp_secret = account.pending_totp_secret = None
    details = {"roles": row["roles"], "center_id": row.get("center_id"), "center_ids": row.get("center_ids")}
    append_audit(session, actor=actor.username, action="users.created", target=user_id, details=details)
    return Issued(user_id=user_id, password=password, kiosk_totp_secret=secret)


def update_user(session: Session, *, actor: Actor, user_id: str, changes: UserChanges) -> Issued:
    """Change a user's name, roles or centers. A new supervisor gets a kiosk TOTP secret (returned)."""
    current = _managed_row(session, actor, user_id)
    row = dict(current.data)
    if changes.name is not None:
        row["name"] = changes.name.strip()
    if changes.roles is not None:
        row["roles"] = sorted(set(changes.roles))
    if changes.center_id is not None:
        row["center_id"] = changes.center_id or None
    if changes.center_ids is not None:
        row["center_ids"] = sorted(set(changes.center_ids))
    row = _normalise(row)
    if user_id == actor.username and ADMIN in current.data.get("roles", []) and ADMIN not in row["roles"]:
        raise Forbidden(ErrorCode.forbidden, "you cannot remove your own admin role")
    secret = None
    if SUPERVISOR in row["roles"] and not row.get("totp_secret"):
        row["totp_secret"] = secret = pyotp.random_base32()
    _check_fields(session, actor, row)
    changed = sorted(k for k in set(row) | set(current.data) if row.get(k) != current.data.get(k))
    if changed:
        append_changes(session, upserts=[("users", row)], deletes=[])
        shown = [k for k in changed if k != "totp_secret"]
        details = {"changed": shown, **{k: row.get(k) for k in shown}}
        append_audit(session, actor=actor.username, action="users.updated", target=user_id, details=details)
    return Issued(user_id=user_id, kiosk_totp_secret=secret, changed=changed)


def set_active(session: Session, *, actor: Actor, user_id: str, active: bool) -> None:
    """Enable or disable a user. Disabling ends their console sessions; their API tokens stop at once
    (auth.authenticate) and kiosks drop the user's sign-in on their next sync."""
    current = _managed_row(session, actor, user_id)
    if not active and user_id == actor.username:
        raise Forbidden(ErrorCode.forbidden, "you cannot disable yourself")
    if (current.data.get("active", True) is not False) != active:
        append_changes(session, upserts=[("users", {**current.data, "active": active})], deletes=[])
        action = "users.enabled" if active else "users.disabled"
        append_audit(session, actor=actor.username, action=action, target=user_id, details={})
    if not active:
        console_sessions.close_all(session, username=user_id)


def check_may_manage(session: Session, *, actor: Actor, user_id: str) -> None:
    """NotFound / Forbidden unless the actor may change ``user_id`` (before hashing a new password)."""
    _managed_row(session, actor, user_id, to_change=False)


def reset_password(
    session: Session, *, actor: Actor, user_id: str, password: str, password_hash: str
) -> Issued:
    """Give a user a new temporary password (hashed beforehand); their console sessions end."""
    _managed_row(session, actor, user_id)
    console_accounts.set_password(
        session, username=user_id, password_hash=password_hash, actor=actor.username, temporary=True
    )
    console_sessions.close_all(session, username=user_id)
    return Issued(user_id=user_id, password=password)


def reset_totp(session: Session, *, actor: Actor, user_id: str) -> None:
    """Forget the user's console second factor (they enrol again at next sign-in); sessions end. A
    supervisor's kiosk secret is master data and stays."""
    _managed_row(session, actor, user_id)
    console_accounts.reset_totp(session, username=user_id, actor=actor.username)
    console_sessions.close_all(session, username=user_id)

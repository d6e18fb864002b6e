"""Reading the user directory: the console's filtered, paged list (one page per query, LIMIT/OFFSET
in the database; JSON filters written for SQLite and PostgreSQL alike) and the admin API's list.
Changes to users live in ``console_users``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from shared.sync import UserPublic
from sync_server.db.tables import CurrentRow
from sync_server.services.console_users import Actor, UserSummary, summary

PAGE_SIZE = 50
MAX_SEARCH = 100


@dataclass(frozen=True)
class UserFilter:
    role: str | None = None
    center_id: str | None = None
    active: bool | None = None
    text: str = ""


@dataclass(frozen=True)
class UserPage:
    users: list[UserSummary]
    page: int
    has_next: bool


def _json_text(session: Session, key: str):
    """A users row's ``data[key]`` as JSON text (SQLite's json_extract gives arrays as text)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.json_extract(CurrentRow.data, f"$.{key}")
    return cast(CurrentRow.data[key], Text)


def _disabled(session: Session):
    """Rows whose ``active`` is the JSON value false (a missing flag means active)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.coalesce(func.json_type(CurrentRow.data, "$.active"), "") == "false"
    return func.coalesce(cast(CurrentRow.data["active"], Text), "") == "false"


def list_users(session: Session, *, actor: Actor, where: UserFilter, page: int = 1) -> UserPage:
    """One page (``PAGE_SIZE``) of the users the actor may see, by id; LIMIT/OFFSET in the database."""
    page = max(1, min(page, 10**6))
    query = select(CurrentRow).where(CurrentRow.entity == "users")
    if actor.centers is not None:
        query = query.where(CurrentRow.center_id.in_(sorted(actor.centers)))
    if where.center_id:
        query = query.where(CurrentRow.center_id == where.center_id)
    if where.role:
        query = query.where(_json_text(session, "roles").like(f'%"{where.role}"%'))
    if where.active is True:
        query = query.where(~_disabled(session))
    elif where.active is False:
        query = query.where(_disabled(session))
    text = where.text.strip().lower()[:MAX_SEARCH]
    if text:
        query = query.where(
            or_(
                func.lower(CurrentRow.entity_id).contains(text, autoescape=True),
                func.lower(CurrentRow.data["name"].as_string()).contains(text, autoescape=True),
            )
        )
    rows = list(
        session.scalars(
            query.order_by(CurrentRow.entity_id).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
        )
    )
    users = [summary(actor, r.data, r.center_id) for r in rows[:PAGE_SIZE]]
    return UserPage(users=users, page=page, has_next=len(rows) > PAGE_SIZE)


def public_users(session: Session, *, centers: frozenset[str] | None) -> list[UserPublic]:
    """Every user as the admin API lists them, by id; with ``centers``, only users of those centers."""
    query = select(CurrentRow).where(CurrentRow.entity == "users").order_by(CurrentRow.entity_id)
    if centers is not None:
        query = query.where(CurrentRow.center_id.in_(sorted(centers)))
    return [
        UserPublic(
            id=r.entity_id,
            name=str(r.data.get("name", "")),
            roles=list(r.data.get("roles", [])),
            center_id=r.center_id,
            active=r.data.get("active", True) is not False,
        )
        for r in session.scalars(query)
    ]

"""Sync server tables (SQLAlchemy 2 declarative). Alembic (db/migrations) owns the schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class MachineRow(Base):
    __tablename__ = "machines"
    machine_id: Mapped[str] = mapped_column(String(5), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    center_id: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # When the machine last finished a master-data sync (see services.machines.record_masterdata_sync).
    last_masterdata_sync_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the kiosk software version its User-Agent named at that sync (migration 0009)
    software_version: Mapped[str | None] = mapped_column(String(40))
    # Client address that asked for the enrolment: caps pending enrolments per address (0007).
    enrol_address: Mapped[str | None] = mapped_column(String(64))


class ChallengeRow(Base):
    __tablename__ = "auth_challenges"
    challenge: Mapped[str] = mapped_column(String(64), primary_key=True)
    machine_id: Mapped[str] = mapped_column(String(5))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TokenRow(Base):
    __tablename__ = "auth_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # machine | user
    subject: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(JSON)
    center_id: Mapped[str | None] = mapped_column(String(5))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class ChangeRow(Base):
    """Append-only master-data change log; ``seq`` is monotonic."""

    __tablename__ = "masterdata_changes"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    op: Mapped[str] = mapped_column(String(8))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    center_id: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index("ix_masterdata_changes_center_seq", "center_id", "seq"),
        # an entity as it was at a time (processing's checks of a packet against its capture date)
        Index("ix_masterdata_changes_entity_id_seq", "entity", "entity_id", "seq"),
    )


class CurrentRow(Base):
    """Live master-data rows (the log folded), for snapshots, logins and lookups."""

    __tablename__ = "masterdata_current"
    entity: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    center_id: Mapped[str | None] = mapped_column(String(5))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    seq: Mapped[int] = mapped_column(BigInteger)


class PacketRow(Base):
    __tablename__ = "packets"
    rid: Mapped[str] = mapped_column(String(29), primary_key=True)
    machine_id: Mapped[str] = mapped_column(String(5), index=True)
    center_id: Mapped[str] = mapped_column(String(5))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)
    operator_id: Mapped[str | None] = mapped_column(String(100))
    supervisor_id: Mapped[str | None] = mapped_column(String(100))
    client_created_at: Mapped[str | None] = mapped_column(String(64))
    uin: Mapped[str | None] = mapped_column(String(32))
    reason_code: Mapped[str | None] = mapped_column(String(64))  # machine-readable, e.g. "duplicate"
    reason: Mapped[str | None] = mapped_column(Text)  # for people, e.g. "duplicate of UIN 4825139076"
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the console's packet search: newest first, overall and per center (migration 0009)
    __table_args__ = (
        Index("ix_packets_registered", "registered_at", "rid"),
        Index("ix_packets_center_registered", "center_id", "registered_at"),
    )


class AuditEntryRow(Base):
    """One admin action in the server audit log, hash-chained to the entry before it (services.audit).

    ``at`` and ``details`` are stored as the exact text that was hashed (ISO time, canonical JSON),
    so verifying never depends on how a database round-trips timestamps or JSON.
    """

    __tablename__ = "server_audit_log"
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The one row (id 1) naming the last audit entry: appenders lock it, so the chain cannot fork."""

    __tablename__ = "server_audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class MasterDataProblemRow(Base):
    """A master-data change a kiosk could not apply and skipped (reported by the kiosk)."""

    __tablename__ = "masterdata_problems"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    machine_id: Mapped[str] = mapped_column(String(5), index=True)
    center_id: Mapped[str | None] = mapped_column(String(5))
    seq: Mapped[int] = mapped_column(BigInteger)
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    __table_args__ = (
        UniqueConstraint("machine_id", "seq", "entity", "entity_id", name="uq_masterdata_problems_change"),
    )


class LoginAttemptRow(Base):
    """Failed logins per user name (known or not, so a lockout reveals nothing), in the database so a
    lockout holds across restarts and server processes. Deleted on a successful login."""

    __tablename__ = "login_attempts"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_failure_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ConsoleSessionRow(Base):
    """A web-console sign-in (services.console_sessions): the cookie's hash, never the cookie itself."""

    __tablename__ = "console_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    # password checked, second factor not yet: the session may only reach the TOTP step
    stage: Mapped[str] = mapped_column(String(16))  # totp | enrol | change_password | ready
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class ConsoleAccountRow(Base):
    """What the console keeps of a user beyond master data: the TOTP secret (server only, never sent to
    kiosks) and whether the password is a temporary one the user must change at next sign-in."""

    __tablename__ = "console_accounts"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    pending_totp_secret: Mapped[str | None] = mapped_column(String(64))
    # the last time step a code was accepted for: a code works once, even within its 30 s
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    must_change_password: Mapped[bool] = mapped_column(default=False)

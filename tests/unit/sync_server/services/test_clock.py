"""The one server clock: tests set it, and server code that stamps times reads it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine

from sync_server.db.tables import Base
from sync_server.keys import load_or_create_keys, rotate_packet_key
from sync_server.services.audit import append_audit, list_entries
from sync_server.services.clock import use_clock, utcnow

AT = dt.datetime(2031, 5, 4, 3, 2, 1, tzinfo=dt.UTC)


def test_use_clock_sets_and_restores_the_time():
    with use_clock(lambda: AT):
        assert utcnow() == AT
    assert abs(utcnow() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_audit_entries_and_key_rotation_read_the_server_clock(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    Base.metadata.create_all(engine)
    load_or_create_keys(tmp_path)
    with use_clock(lambda: AT):
        with engine.begin() as conn:
            append_audit(conn, actor="cli:test", action="test.clock", target=None, details={})
        keys = rotate_packet_key(tmp_path)
    with engine.connect() as conn:
        (entry,) = list_entries(conn, limit=1)
    assert dt.datetime.fromisoformat(str(entry.at)) == AT
    assert keys.issued_at == AT
    engine.dispose()

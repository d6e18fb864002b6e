"""The server audit chain on a real SQLite database: appends link up, any edit, gap or cut-off end
is named by seq, and the kiosk and the server hash entries by the same rule."""

import json

import pytest
from sqlalchemy import create_engine, delete, update
from sqlalchemy.orm import Session

from shared.audit_chain import GENESIS, chain_hash
from sync_server.db.backend_schema import create_backend_tables
from sync_server.db.tables import AuditEntryRow, AuditHeadRow, Base
from sync_server.services.audit import append_audit, list_entries, verify_chain
from sync_server.services.masterdata import import_documents

LOG = AuditEntryRow.__table__


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    create_backend_tables(engine)
    with engine.begin() as conn:
        for n in range(1, 6):
            append_audit(
                conn, actor=f"admin{n}", action="machine.approve", target=f"1000{n}", details={"n": n}
            )
    return engine


def test_appends_chain_and_verify(engine):
    with engine.connect() as conn:
        assert verify_chain(conn).ok and verify_chain(conn).entries == 5
        entries = list_entries(conn, limit=2)
    assert [e.seq for e in entries] == [5, 4] and entries[0].actor == "admin5"
    assert entries[0].details == {"n": 5} and entries[0].prev_hash == entries[1].hash
    assert [e.seq for e in list_entries(engine.connect(), limit=2, before_seq=4)] == [3, 2]
    first = list_entries(engine.connect(), limit=10)[-1]
    fields = {k: getattr(first, k) for k in ("seq", "at", "actor", "action", "target")}
    assert first.prev_hash == GENESIS
    assert first.hash == chain_hash(GENESIS, fields | {"details": '{"n":1}'})  # the kiosk's rule


@pytest.mark.parametrize(
    "tamper, seq",
    [
        (update(LOG).where(LOG.c.seq == 3).values(actor="someone else"), 3),
        (update(LOG).where(LOG.c.seq == 2).values(details='{"n":99}'), 2),
        (delete(LOG).where(LOG.c.seq == 4), 4),
        (delete(LOG).where(LOG.c.seq == 5), 5),  # cut off the end: the head still names 5
    ],
)
def test_tampering_names_the_first_broken_seq(engine, tamper, seq):
    with engine.begin() as conn:
        conn.execute(tamper)
    with engine.connect() as conn:
        verdict = verify_chain(conn)
    assert not verdict.ok and verdict.first_broken_seq == seq and verdict.reason


def test_a_rehashed_edit_still_breaks_the_next_link(engine):
    with engine.begin() as conn:
        row = conn.execute(LOG.select().where(LOG.c.seq == 2)).one()
        fields = {"seq": 2, "at": row.at, "actor": "forger", "action": row.action, "target": row.target}
        forged = chain_hash(row.prev_hash, fields | {"details": row.details})
        conn.execute(update(LOG).where(LOG.c.seq == 2).values(actor="forger", hash=forged))
        verdict = verify_chain(conn)
    assert not verdict.ok and verdict.first_broken_seq == 3


def test_bad_entries_are_refused_and_change_nothing(engine):
    with engine.begin() as conn:
        for kwargs in (
            {"actor": "", "action": "x"},
            {"actor": "a" * 129, "action": "x"},
            {"actor": "a", "action": "x", "details": {"blob": "y" * 70000}},
        ):
            with pytest.raises(ValueError):
                append_audit(conn, **kwargs)
        assert verify_chain(conn).entries == 5
        assert conn.execute(AuditHeadRow.__table__.select()).one().seq == 5


def test_a_large_user_import_is_audited_within_bounds(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'md.db'}")
    Base.metadata.create_all(engine)
    users = [
        {"id": f"{n:03d}" + "é" * 197, "name": "U", "roles": ["operator"], "password_hash": "$argon2id$x"}
        for n in range(300)
    ]
    document = json.dumps({"format": "openreg-masterdata/1", "entities": {"users": users}}).encode()
    with Session(engine) as session, session.begin():
        import_documents(session, [("users.json", document)], actor="admin")
    with engine.connect() as conn:
        entries = {e.action: e.details for e in list_entries(conn)}
        assert verify_chain(conn).ok
    assert entries["masterdata.import"]["upserts"] == 300
    assert entries["users.change"]["count"] == 300 and len(entries["users.change"]["upserted"]) == 50

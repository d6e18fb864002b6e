"""The registrations repository: the one place that writes the table, inside the caller's transaction."""

from __future__ import annotations

import pytest

from client.core.registration.repository import Registrations
from client.core.store import Store, get_or_create_db_key


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "client.db"
    store = Store(path=db, key=get_or_create_db_key(db_path=db, keyring_file=tmp_path / "keyring"))
    yield store
    store.close()


def _seal(conn, rid: str) -> None:
    regs = Registrations(conn)
    regs.add_sealing(
        rid=rid, operator_id="op1", created_at="2026-01-02T10:00:00", supervisor_id=None, summary="{}"
    )
    regs.mark_sealed(rid=rid, packet_path=f"/p/{rid}", sha256="ab", size=1)


def test_sealed_packets_wait_for_approval_and_are_counted_by_status(store):
    with store.transaction() as conn:
        _seal(conn, "r1")
        Registrations(conn).add_sealing(
            rid="r2", operator_id="op1", created_at="2026-01-02T10:01:00", supervisor_id=None, summary="{}"
        )
    with store.transaction() as conn:
        regs = Registrations(conn)
        assert sorted(regs.count_by_status()) == [("pending_approval", 1), ("sealing", 1)]
        assert regs.count_pending_approval() == 1
        assert regs.sealing_rids() == ["r2"]


def test_a_failed_unit_of_work_leaves_no_row(store):
    with pytest.raises(RuntimeError), store.transaction() as conn:
        _seal(conn, "r1")
        raise RuntimeError("crash before commit")
    with store.transaction() as conn:
        assert Registrations(conn).count_by_status() == []

"""The audit log page in-process: newest first, filters, paging back by seq, readable details, and
the chain check naming the first broken entry."""

from __future__ import annotations

from sqlalchemy import update

from sync_server.db.tables import AuditEntryRow
from sync_server.services.audit import append_audit
from tests.support.console import csrf_of


def _entries(state, count: int) -> None:
    with state.engine.begin() as conn:
        for n in range(count):
            append_audit(
                conn,
                actor="alice" if n % 2 else "bob",
                action="packets.reprocess" if n % 3 == 0 else "machine.approve",
                target=f"T{n}",
                details={"n": n, "note": "é"},
            )


def test_filters_pages_and_details(signed_in, console_state):
    _entries(console_state, 70)
    auditor = signed_in(["auditor"])
    page = auditor.get("/console/audit")
    assert page.status_code == 200 and page.text.count("<tr>") == 51  # header + 50
    assert page.text.index(">T69<") < page.text.index(">T68<")  # newest first
    older = page.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    rest = auditor.get(older)
    assert ">T0<" in rest.text and 'rel="next"' not in rest.text
    alice = auditor.get("/console/audit", params={"actor": "alice", "action": "packets."})
    shown = [n for n in range(70) if f">T{n}<" in alice.text]
    assert shown == [n for n in range(70) if n % 2 and n % 3 == 0]
    assert all(n % 2 and n % 3 == 0 for n in shown)
    assert "&#34;note&#34;: &#34;é&#34;" in alice.text or '"note": "é"' in alice.text
    one = auditor.get("/console/audit", params={"target": "T5"})
    assert ">T5<" in one.text and ">T6<" not in one.text
    future = auditor.get("/console/audit", params={"from": "2999-01-01"})
    assert "No entry matches" in future.text
    assert auditor.get("/console/audit", params={"from": "nope"}).status_code == 200


def test_verify_chain_ok_then_broken(signed_in, console_state):
    _entries(console_state, 5)
    admin = signed_in(["admin"])
    csrf = csrf_of(admin.get("/console/audit").text)
    ok = admin.post("/console/audit/verify", data={"csrf": csrf})
    assert ok.status_code == 200 and "The chain is intact" in ok.text
    with console_state.engine.begin() as conn:
        conn.execute(update(AuditEntryRow).where(AuditEntryRow.seq == 3).values(actor="mallory"))
    broken = admin.post("/console/audit/verify", data={"csrf": csrf})
    assert "broken at entry 3" in broken.text
    assert signed_in(["center_admin"], centers=["10001"]).get("/console/audit").status_code == 403

"""The packets pages in-process: filters, keyset pages, center scope, the detail's timeline, and
Reprocess (audited; refused to auditors, who still read) plus the search and detail API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from sync_server.db.tables import AuditEntryRow, PacketRow
from sync_server.processing.tables import processing_jobs, stage_records
from tests.support.console import csrf_of

T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


def _rid(center: str, machine: str, n: int) -> str:
    return f"{center}{machine}{n:05d}20250301080000"


def _add_packets(state, count: int = 60) -> list[str]:
    rows, jobs = [], []
    for n in range(1, count + 1):
        center = "10001" if n % 2 else "10002"
        rid = _rid(center, "00001" if n % 3 else "00002", n)
        at = T0 + dt.timedelta(minutes=n)
        rows.append(
            {
                "rid": rid,
                "machine_id": "00001" if n % 3 else "00002",
                "center_id": center,
                "sha256": "0" * 64,
                "size": 1000 + n,
                "status": "processed" if n % 5 else "rejected",
                "operator_id": "op1",
                "registered_at": at,
                "received_at": at,
            }
        )
        jobs.append(
            {
                "rid": rid,
                "status": "processed" if n % 5 else "failed",
                "stage": "done",
                "attempts": 1,
                "next_attempt_at": at,
                "enqueued_at": at,
                "info": {},
            }
        )
    with state.engine.begin() as conn:
        conn.execute(insert(PacketRow.__table__), rows)
        conn.execute(insert(processing_jobs), jobs)
        conn.execute(
            insert(stage_records),
            [
                {
                    "rid": rows[0]["rid"],
                    "stage": "open",
                    "attempt": 1,
                    "started_at": T0,
                    "ended_at": T0,
                    "outcome": "failed",
                    "detail": "transient: disk busy",
                },
                {
                    "rid": rows[0]["rid"],
                    "stage": "open",
                    "attempt": 2,
                    "started_at": T0,
                    "ended_at": T0,
                    "outcome": "passed",
                    "detail": "",
                },
            ],
        )
    return [r["rid"] for r in rows]


def test_filters_and_keyset_pages(signed_in, console_state):
    rids = _add_packets(console_state)
    admin = signed_in(["admin"])
    first = admin.get("/console/packets")
    assert first.status_code == 200 and first.text.count('href="/console/packets/') == 50
    assert rids[-1] in first.text and rids[0] not in first.text  # newest first
    older = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = admin.get(older)
    assert second.text.count('href="/console/packets/') == 10 and rids[0] in second.text
    assert 'rel="next"' not in second.text
    only = admin.get("/console/packets", params={"center": "10002", "machine": "00002", "status": "rejected"})
    expected = [r for r in rids if r.startswith("1000200002")]
    shown = [r for r in rids if f'/console/packets/{r}"' in only.text]
    assert shown and set(shown) <= set(expected)
    failed = admin.get("/console/packets", params={"processing": "failed"})
    assert failed.text.count('href="/console/packets/') == 12
    prefix = admin.get("/console/packets", params={"rid": rids[0][:15]})
    assert prefix.text.count('href="/console/packets/') == 1 and rids[0] in prefix.text
    nine = next(r for r in rids if r[14] == "9")  # a prefix ending in 9 has no "next digit" bound
    assert f'/console/packets/{nine}"' in admin.get("/console/packets", params={"rid": nine[:15]}).text
    days = admin.get("/console/packets", params={"from": "2025-03-02"})
    assert "No packet matches" in days.text
    bad = admin.get("/console/packets", params={"center": "x' OR 1=1"})
    assert bad.status_code == 200 and "not valid" in bad.text


def test_center_admin_sees_only_their_centers(signed_in, console_state):
    rids = _add_packets(console_state, 10)
    local = signed_in(["center_admin"], centers=["10001"])
    page = local.get("/console/packets")
    assert all(r in page.text for r in rids if r.startswith("10001"))
    assert not any(r in page.text for r in rids if r.startswith("10002"))
    other = next(r for r in rids if r.startswith("10002"))
    assert local.get(f"/console/packets/{other}").status_code == 404
    form = local.get(f"/console/packets/{rids[0]}")
    assert form.status_code == 200 and "data-confirm" in form.text
    refused = local.post(f"/console/packets/{other}/reprocess", data={"csrf": csrf_of(form.text)})
    assert refused.status_code == 404


def test_detail_timeline_and_audited_reprocess(signed_in, console_state):
    rids = _add_packets(console_state, 3)
    admin = signed_in(["admin"])
    page = admin.get(f"/console/packets/{rids[0]}")
    assert "transient: disk busy" in page.text and page.text.count("<td>open</td>") == 2
    done = admin.post(f"/console/packets/{rids[0]}/reprocess", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 200 and "queued for processing again" in done.text
    with console_state.engine.connect() as conn:
        job = conn.execute(select(processing_jobs).where(processing_jobs.c.rid == rids[0])).mappings().one()
        entry = conn.execute(select(AuditEntryRow).where(AuditEntryRow.action == "packets.reprocess")).one()
    assert job["status"] == "queued" and entry.actor == admin.username and entry.target == rids[0]
    # a running packet is left alone, with a clear message
    with console_state.engine.begin() as conn:
        conn.execute(
            processing_jobs.update().where(processing_jobs.c.rid == rids[1]).values(status="running")
        )
    running = admin.post(f"/console/packets/{rids[1]}/reprocess", data={"csrf": csrf_of(page.text)})
    assert "being processed right now" in running.text


def test_auditor_reads_but_cannot_reprocess(signed_in, console_state):
    rids = _add_packets(console_state, 3)
    auditor = signed_in(["auditor"])
    page = auditor.get(f"/console/packets/{rids[0]}")
    assert page.status_code == 200 and "data-confirm" not in page.text
    refused = auditor.post(f"/console/packets/{rids[0]}/reprocess", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 403
    assert signed_in(["report_manager"]).get("/console/packets").status_code == 403


def test_api_search_detail_and_reprocess(console_client, console_state):
    rids = _add_packets(console_state, 5)
    token = console_client.post("/api/v1/auth/login", json={"username": "admin", "password": "admin-demo"})
    assert token.status_code == 200, token.text
    auth = {"Authorization": f"Bearer {token.json()['token']}"}
    found = console_client.get("/api/v1/admin/packets/search", params={"limit": 2}, headers=auth).json()
    assert [p["rid"] for p in found["packets"]] == [rids[4], rids[3]] and found["next_after"]
    more = console_client.get(
        "/api/v1/admin/packets/search", params={"limit": 2, "after": found["next_after"]}, headers=auth
    ).json()
    assert [p["rid"] for p in more["packets"]] == [rids[2], rids[1]]
    detail = console_client.get(f"/api/v1/admin/packets/{rids[0]}", headers=auth).json()
    assert detail["processing"]["status"] == "processed" and len(detail["timeline"]) == 2
    again = console_client.post(f"/api/v1/admin/packets/{rids[0]}/reprocess", headers=auth)
    assert again.json() == {"rid": rids[0], "result": "queued"}
    assert (
        console_client.get("/api/v1/admin/packets/search", params={"center": "bad"}, headers=auth).status_code
        == 422
    )

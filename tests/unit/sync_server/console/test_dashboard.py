"""The dashboard in-process: its numbers match a seeded database, on the page and on the admin API, a
center admin sees their centers only, and the numbers region refreshes itself."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from sync_server.app import create_app
from sync_server.db.tables import MachineRow, PacketRow
from sync_server.processing.tables import processing_jobs
from sync_server.services.clock import utcnow
from tests.support.console import PASSWORD, add_user

NOW = utcnow()
TODAY = dt.datetime.combine(NOW.date(), dt.time(), tzinfo=dt.UTC)


def _seed(state) -> None:
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    packets = [
        # (center, status, registered at)
        ("10001", "processed", NOW),
        ("10001", "processed", NOW),
        ("10001", "rejected", NOW),
        ("10002", "received", NOW),
        ("10001", "processed", monday),  # this week (today, when today is a Monday)
        ("10002", "processed", TODAY - dt.timedelta(days=10)),  # chart only
        ("10002", "processed", TODAY - dt.timedelta(days=20)),  # nowhere
    ]
    with Session(state.engine) as session, session.begin():
        for n, (center, status, at) in enumerate(packets):
            session.add(
                PacketRow(
                    rid=str(n + 1).zfill(29), machine_id="50001" if center == "10001" else "50002",
                    center_id=center, sha256="0" * 64, size=1, status=status, registered_at=at,
                    received_at=at,
                )
            )  # fmt: skip
        for machine_id, center, synced in (
            ("50001", "10001", NOW - dt.timedelta(hours=1)),
            ("50002", "10002", NOW - dt.timedelta(hours=100)),
            ("50003", "10001", None),
        ):
            session.add(
                MachineRow(
                    machine_id=machine_id, public_key=f"k{machine_id}".ljust(44, "A"), center_id=center,
                    name=f"kiosk {machine_id}", status="approved", created_at=NOW, last_masterdata_sync_at=synced,
                )
            )  # fmt: skip
        jobs = [
            ("10001", "queued", None),
            ("10001", "retry", "dedupe"),
            ("10002", "running", "decrypt"),
            ("10001", "failed", "dedupe"),
            ("10002", "failed", "decrypt"),
            ("10002", "processed", "done"),
        ]
        for n, (center, status, stage) in enumerate(jobs):
            session.execute(
                insert(processing_jobs).values(
                    rid=f"job{n}", status=status, stage=stage, attempts=1, next_attempt_at=NOW,
                    center_id=center, enqueued_at=NOW, info={},
                )
            )  # fmt: skip


def _tile(html: str, name: str) -> int:
    return int(re.search(rf'id="tile-{name}"><div class="value">(\d+)<', html).group(1))


def test_the_numbers_match_the_database(console_state, signed_in):
    _seed(console_state)
    html = signed_in(["report_manager"]).get("/console/").text
    assert _tile(html, "week") == 5
    assert _tile(html, "today") == (5 if TODAY.weekday() == 0 else 4)
    assert _tile(html, "queue") == 3 and _tile(html, "failed") == 2
    assert _tile(html, "kiosks") == 3 and _tile(html, "sync-late") == 2
    # 50003 never uploaded; 50002 uploaded today but has not synced for 100 h
    assert _tile(html, "upload-late") == 1
    stalest = re.search(r'id="stalest">(.*?)</table>', html, re.S).group(1)
    assert stalest.index("50003") < stalest.index("50002") and "50001" not in stalest
    assert 'id="numbers" data-refresh="30"' in html and "<svg" in html and "style=" not in html
    chart = re.search(r'id="chart-numbers">(.*?)</table>', html, re.S).group(1)
    today_row = re.search(rf"<th scope=\"row\">{NOW.date().isoformat()}</th>(.*?)</tr>", chart).group(1)
    assert re.findall(r">(\d+)<", today_row)[-1] == str(_tile(html, "today"))  # 5 on a Monday
    assert (TODAY - dt.timedelta(days=20)).date().isoformat() not in chart


def test_center_admins_see_their_centers_and_the_api_agrees(console_state, signed_in):
    _seed(console_state)
    html = signed_in(["center_admin"], centers=["10002"]).get("/console/").text
    assert _tile(html, "queue") == 1 and _tile(html, "failed") == 1 and _tile(html, "kiosks") == 1
    assert "Centers shown: 10002" in html and "50001" not in html
    client = TestClient(create_app(console_state), base_url="http://testserver")
    add_user(console_state, ["center_admin"], username="ca2", center_ids=["10002"])
    add_user(console_state, ["adjudicator"], username="adj")
    add_user(console_state, ["operator"], username="op")

    def get(user: str):
        answer = client.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD})
        token = answer.json()["token"]
        return client.get("/api/v1/admin/dashboard", headers={"Authorization": f"Bearer {token}"})

    scoped = get("ca2").json()
    assert scoped["centers"] == ["10002"] and scoped["queue_depth"] == 1 and scoped["kiosks"] == 1
    assert {p["status"]: p["week"] for p in scoped["packets"]} == {"received": 1}
    everything = get("adj").json()
    assert (
        everything["centers"] is None and everything["queue_depth"] == 3 and everything["failed_total"] == 2
    )
    assert {f["stage"]: f["count"] for f in everything["failed"]} == {"dedupe": 1, "decrypt": 1}
    assert sum(r["count"] for r in everything["registrations"]) == 6
    assert get("op").status_code == 403

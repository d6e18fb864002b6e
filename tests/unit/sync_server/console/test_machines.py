"""The machines page in-process: approve / reject with a reason (kept in the audit log), revoke, filters
and paging, center-admin scope on the page and the admin API, and who may open it."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sync_server.app import create_app
from sync_server.db.tables import MachineRow, PacketRow
from sync_server.services import audit
from tests.support.console import PASSWORD, add_user, csrf_of

NOW = dt.datetime.now(dt.UTC)


def _machine(state, machine_id: str, center: str = "10001", status: str = "pending", **extra) -> None:
    with Session(state.engine) as session, session.begin():
        session.add(
            MachineRow(
                machine_id=machine_id,
                public_key=f"key-{machine_id}".ljust(44, "A"),
                center_id=center,
                name=f"kiosk {machine_id}",
                status=status,
                created_at=NOW - dt.timedelta(days=3),
                **extra,
            )
        )


def _audit(state, action: str):
    with Session(state.engine) as session:
        return [e for e in audit.list_entries(session, limit=50) if e.action == action]


def _post(client: TestClient, url: str, **data):
    page = client.get("/console/machines")
    return client.post(url, data={"csrf": csrf_of(page.text), **data}, follow_redirects=False)


def test_approve_and_reject_with_a_reason_land_in_the_audit_log(console_state, signed_in):
    _machine(console_state, "20001")
    _machine(console_state, "20002")
    admin = signed_in(["admin"])
    page = admin.get("/console/machines")
    assert page.status_code == 200 and 'id="pending-20001"' in page.text and "reason-20002" in page.text
    done = _post(admin, "/console/machines/20001/approve", reason="  checked by phone  ")
    assert done.status_code == 303 and done.headers["location"] == "/console/machines?done=approve"
    assert "The machine is approved." in admin.get(done.headers["location"]).text
    done = _post(admin, "/console/machines/20002/reject", reason="unknown device")
    assert done.headers["location"] == "/console/machines?done=reject"
    (approved,) = _audit(console_state, "machine.approve")
    (rejected,) = _audit(console_state, "machine.reject")
    assert approved.details["reason"] == "checked by phone" and approved.actor == admin.username
    assert rejected.details["reason"] == "unknown device" and rejected.target == "20002"
    # a second decision on the same machine changes nothing
    assert _post(admin, "/console/machines/20002/approve").headers["location"].endswith("done=conflict")


def test_revoke_an_approved_machine_asks_first(console_state, signed_in):
    _machine(console_state, "20003", status="approved")
    admin = signed_in(["admin"])
    page = admin.get("/console/machines")
    assert 'action="/console/machines/20003/revoke"' in page.text and "data-confirm=" in page.text
    assert _post(admin, "/console/machines/20003/revoke", reason="stolen").status_code == 303
    (revoked,) = _audit(console_state, "machine.revoke")
    assert revoked.details == {"from": "approved", "to": "revoked", "center_id": "10001", "reason": "stolen"}
    assert "/console/machines/20003/revoke" not in admin.get("/console/machines").text


def test_a_post_without_the_csrf_token_is_refused(console_state, signed_in):
    _machine(console_state, "20004")
    admin = signed_in(["admin"])
    assert admin.post("/console/machines/20004/approve", data={"csrf": "forged"}).status_code == 403
    assert _audit(console_state, "machine.approve") == []


def test_filters_search_and_pages(console_state, signed_in):
    old = NOW - dt.timedelta(hours=72)
    for n in range(120):
        status = "approved" if n % 2 else "rejected"
        _machine(console_state, f"3{n:04d}", center="10002" if n < 60 else "10003", status=status)
    _machine(console_state, "40001", status="approved", last_masterdata_sync_at=old)
    _machine(console_state, "40002", status="approved", last_masterdata_sync_at=NOW)
    with Session(console_state.engine) as session, session.begin():
        session.add(
            PacketRow(
                rid="1".zfill(29), machine_id="40002", center_id="10001", sha256="0" * 64, size=1,
                status="received", registered_at=NOW, received_at=NOW - dt.timedelta(hours=1),
            )
        )  # fmt: skip
    admin = signed_in(["admin"])
    everything = admin.get("/console/machines").text
    assert "122 machines, page 1 of 3" in everything and 'id="machine-30049"' in everything
    assert 'id="machine-30050"' not in everything and "page=2" in everything
    second = admin.get("/console/machines?status=approved&center=10002&page=2").text
    assert "30 machines, page 1 of 1" in second  # a page past the end shows the last one
    found = admin.get("/console/machines?q=4000").text
    assert "2 machines" in found
    late_row = re.search(r'id="machine-40001">(.*?)</tr>', found, re.S).group(1)
    fresh_row = re.search(r'id="machine-40002">(.*?)</tr>', found, re.S).group(1)
    assert late_row.count("over 48 h ago") == 2  # sync 72 h ago, never uploaded
    assert "over 48 h ago" not in fresh_row and (NOW - dt.timedelta(hours=1)).strftime("%H:%M") in fresh_row


def test_center_admins_see_and_decide_only_their_centers(console_state, signed_in):
    _machine(console_state, "20005", center="10001")
    _machine(console_state, "20006", center="10002")
    local = signed_in(["center_admin"], centers=["10001"])
    page = local.get("/console/machines").text
    assert "pending-20005" in page and "20006" not in page
    assert local.get("/console/machines?center=10002").text.count('id="machine-2') == 0
    refused = _post(local, "/console/machines/20006/approve", reason="mine now")
    assert refused.status_code == 404 and "Unknown machine" in refused.text
    assert _post(local, "/console/machines/20005/approve").status_code == 303
    assert [e.target for e in _audit(console_state, "machine.approve")] == ["20005"]


def test_the_admin_api_takes_a_reason_and_keeps_center_admins_in_scope(console_state):
    _machine(console_state, "20007", center="10001")
    _machine(console_state, "20008", center="10002")
    _machine(console_state, "20009", center="10002")
    client = TestClient(create_app(console_state), base_url="http://testserver")
    add_user(console_state, ["center_admin"], username="ca1", center_ids=["10001"])
    add_user(console_state, ["admin"], username="boss")
    add_user(console_state, ["auditor"], username="looker")

    def token(user: str) -> dict[str, str]:
        answer = client.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    ca, boss, looker = token("ca1"), token("boss"), token("looker")
    assert [m["machine_id"] for m in client.get("/api/v1/admin/machines", headers=ca).json()] == ["20007"]
    assert client.post("/api/v1/admin/machines/20008/approve", headers=ca).status_code == 404
    assert client.post("/api/v1/admin/machines/20007/approve", headers=looker).status_code == 403
    ok = client.post("/api/v1/admin/machines/20007/approve", headers=ca, json={"reason": "site visit"})
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert (
        client.post("/api/v1/admin/machines/20008/reject?reason=duplicate", headers=boss).status_code == 200
    )
    # old clients send no body and no reason
    assert client.post("/api/v1/admin/machines/20009/approve", headers=boss).status_code == 200
    reasons = {e.target: e.details.get("reason") for e in _audit(console_state, "machine.approve")}
    assert reasons == {"20007": "site visit", "20009": None}
    assert _audit(console_state, "machine.reject")[0].details["reason"] == "duplicate"


def test_only_admins_and_center_admins_reach_the_page(signed_in):
    auditor = signed_in(["auditor"])
    assert auditor.get("/console/machines").status_code == 403
    assert auditor.post("/console/machines/20001/approve", data={"csrf": "x"}).status_code == 403

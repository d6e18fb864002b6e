"""End to end over HTTP against the real server process: enrolment, tokens, signed master data,
packet register/upload/status, admin import and machine approval."""

from __future__ import annotations

import gzip
import json

import requests

from shared.signing import SignatureError
from shared.sync import verify_changes_page, verify_snapshot
from tests.integration.sync_server.kiosk import API, Kiosk, admin_token, random_packet


def test_enrol_sync_upload_status(server):
    kiosk = Kiosk(server.url)
    answer = kiosk.enrol()
    assert answer["status"] == "approved" and answer["packet_recipients"][0].startswith("age1")
    kiosk.login()
    signing_key = answer["server_signing_key"]

    snap = kiosk.http.get(f"{server.url}{API}/masterdata/snapshot", headers=kiosk.auth)
    assert snap.status_code == 200
    snapshot = verify_snapshot(signing_key, snap.content, snap.headers["X-Signature"])
    users = {u["id"]: u for u in snapshot.entities["users"]}
    # scoped to center 10001: its kiosk users only, never the global admin or another center's users
    assert "operator1" in users and "operator2" not in users and "admin" not in users
    assert {"centers", "locations", "genders", "languages", "id_schema"} <= set(snapshot.entities)
    try:
        verify_snapshot(signing_key, gzip.compress(b'{"cursor": 1}'), snap.headers["X-Signature"])
        raise AssertionError("a tampered snapshot verified")
    except SignatureError:
        pass

    # an admin change arrives as a signed delta after the snapshot cursor; other centers' rows do not
    admin = {"Authorization": f"Bearer {admin_token(server.url)}"}
    doc = {
        "format": "openreg-masterdata/1",
        "entities": {
            "holidays": [{"id": "h1", "date": "2026-12-25", "name": "Winter"}],
            "config": [{"id": "only.10002", "value": 1, "center_id": "10002"}],
        },
        "deletes": {"genders": ["OTH"]},
    }
    imported = requests.post(f"{server.url}{API}/admin/masterdata/import", json=doc, headers=admin)
    assert imported.status_code == 200, imported.text
    page_response = kiosk.http.get(
        f"{server.url}{API}/masterdata/changes",
        params={"since": snapshot.cursor, "limit": 100},
        headers=kiosk.auth,
    )
    page = verify_changes_page(signing_key, page_response.json())
    assert [(c.entity, c.id, c.op) for c in page.changes] == [
        ("holidays", "h1", "upsert"),
        ("genders", "OTH", "delete"),
    ]
    assert page.complete and page.next_cursor == imported.json()["last_seq"]
    body = page_response.json()
    body["payload"]["changes"][0]["data"]["name"] = "Tampered"
    try:
        verify_changes_page(signing_key, body)
        raise AssertionError("a tampered page verified")
    except SignatureError:
        pass

    data = random_packet(700_000)
    rid = kiosk.new_rid()
    registered = kiosk.register(rid, data, operator_id="operator1")
    assert registered.status_code == 200 and registered.json()["offset"] == 0
    assert kiosk.status(rid)[rid]["status"] == "registered"
    kiosk.upload(rid, data, chunk=100_000)
    assert kiosk.status(rid)[rid]["status"] == "received"
    assert (server.data_dir / "packets" / f"{rid}.age").read_bytes() == data
    again = kiosk.register(rid, data)  # idempotent: same hash is a success, nothing to resend
    assert again.status_code == 200 and again.json()["offset"] == len(data)
    conflict = kiosk.register(rid, data + b"x")
    assert conflict.status_code == 409 and conflict.json()["code"] == "packet_conflict"
    assert kiosk.status("1000199999000012026010100000")["1000199999000012026010100000"]["status"] == "unknown"


def test_admin_approves_and_rejects_machines(start_sync_server, tmp_path, db_url):
    server = start_sync_server(tmp_path / "server", db_url=db_url, demo=True)
    server.stop()
    server.demo = False  # same data (users imported), now without auto-approval
    server.start()
    kiosk = Kiosk(server.url, center_id="10002")
    assert kiosk.enrol()["status"] == "pending" and kiosk.enrolment["server_signing_key"] is None
    refused = kiosk.token_response(kiosk.challenge())
    assert refused.status_code == 403 and refused.json()["code"] == "machine_pending"
    admin = {"Authorization": f"Bearer {admin_token(server.url)}"}
    listed = requests.get(
        f"{server.url}{API}/admin/machines", params={"status": "pending"}, headers=admin
    ).json()
    assert [m["machine_id"] for m in listed] == [kiosk.machine_id]
    ok = requests.post(f"{server.url}{API}/admin/machines/{kiosk.machine_id}/approve", headers=admin)
    assert ok.json()["status"] == "approved"
    assert kiosk.enrol()["server_signing_key"]
    kiosk.login()
    assert kiosk.status(kiosk.new_rid())  # the token works
    requests.post(
        f"{server.url}{API}/admin/machines/{kiosk.machine_id}/reject", headers=admin
    ).raise_for_status()
    revoked = kiosk.http.post(f"{server.url}{API}/packets/status", json={"rids": ["1"]}, headers=kiosk.auth)
    assert revoked.status_code == 403 and revoked.json()["code"] == "machine_revoked"


def test_import_refuses_bad_rows_naming_file_row_field(server):
    admin = {"Authorization": f"Bearer {admin_token(server.url)}"}
    csv_text = "id,name,rtl\neng,English,false\nxx,,maybe\n"
    response = requests.post(
        f"{server.url}{API}/admin/masterdata/import",
        params={"filename": "languages.csv"},
        data=csv_text.encode(),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "masterdata_invalid"
    assert {(e["file"], e["row"], e["field"]) for e in body["errors"]} == {
        ("languages.csv", 3, "name"),
        ("languages.csv", 3, "rtl"),
    }
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    page = kiosk.http.get(
        f"{server.url}{API}/masterdata/changes", params={"since": 0, "limit": 100000}, headers=kiosk.auth
    ).json()["payload"]
    assert not any(c["entity"] == "languages" and c["id"] == "xx" for c in page["changes"])  # nothing applied
    assert json.dumps(page)  # plain JSON

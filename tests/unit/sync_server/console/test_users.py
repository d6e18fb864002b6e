"""The users page and its admin API in-process: create with a one-time temporary password, edit, disable
and enable, password and TOTP resets, the center admin's scope, self-protection, validation that
changes nothing, filters and paging."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_server.app import create_app
from sync_server.db.tables import AuditEntryRow, ChangeRow, ConsoleAccountRow, CurrentRow
from sync_server.services.auth import hash_password
from sync_server.services.masterdata import append_changes
from tests.support.console import PASSWORD, add_user, csrf_of, sign_in

_TEMP = re.compile(r'id="temporary-password">([a-z0-9-]+)<')


def _row(state, user_id: str) -> dict | None:
    with Session(state.engine) as session:
        row = session.get(CurrentRow, ("users", user_id))
        return dict(row.data) if row else None


def _audit(state, action: str) -> list[tuple[str, str]]:
    with Session(state.engine) as session:
        return list(
            session.execute(
                select(AuditEntryRow.actor, AuditEntryRow.target).where(AuditEntryRow.action == action)
            )
        )


def _changes(state) -> int:
    with Session(state.engine) as session:
        return session.scalar(select(func.count()).select_from(ChangeRow))


def _post(client: TestClient, url: str, data: dict | None = None, page: str = "/console/users/new"):
    return client.post(url, data={"csrf": csrf_of(client.get(page).text), **(data or {})})


def _create(client, **fields):
    data = {"id": "op.new-1", "name": "New Operator", "roles": ["operator"], "center_id": "10001", **fields}
    return _post(client, "/console/users/new", data)


def _token(state, username: str, password: str = PASSWORD) -> dict[str, str]:
    client = TestClient(create_app(state))
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_admin_creates_a_user_with_a_one_time_password(console_state, signed_in):
    admin = signed_in(["admin"])
    form = admin.get("/console/users/new")
    assert form.status_code == 200 and 'name="roles" value="center_admin"' in form.text
    before = _changes(console_state)
    page = _create(admin)
    assert page.status_code == 200 and "shown only this once" in page.text
    password = _TEMP.search(page.text).group(1)
    assert re.fullmatch(r"[a-z0-9]{4}(-[a-z0-9]{4}){3}", password)
    row = _row(console_state, "op.new-1")
    assert row["roles"] == ["operator"] and row["center_id"] == "10001" and row["active"] is True
    assert row["password_hash"].startswith("$argon2id$") and PasswordHasher().verify(
        row["password_hash"], password
    )
    assert _changes(console_state) == before + 1  # kiosks get it through the change log
    assert _audit(console_state, "users.created") == [(admin.username, "op.new-1")]
    with Session(console_state.engine) as session:
        assert session.get(ConsoleAccountRow, "op.new-1").must_change_password
    # the password is never shown again
    assert password not in admin.get("/console/users/op.new-1").text
    assert "op.new-1" in admin.get("/console/users").text


def test_a_new_console_user_must_change_the_temporary_password(console_state, signed_in):
    admin = signed_in(["admin"])
    page = _create(admin, id="aud1", roles=["auditor"], center_id="")
    password = _TEMP.search(page.text).group(1)
    client = TestClient(create_app(console_state), base_url="http://testserver")
    stuck = sign_in(client, "aud1", password)
    assert str(stuck.url).endswith("/sign-in/new-password")
    done = sign_in(TestClient(create_app(console_state)), "aud1", password, new_password="a-new-password-1")
    assert str(done.url).endswith("/console/")


def test_a_supervisor_gets_a_kiosk_secret_shown_once(console_state, signed_in):
    admin = signed_in(["admin"])
    page = _create(admin, id="sup9", roles=["operator", "supervisor"])
    secret = re.search(r'id="kiosk-totp-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    assert _row(console_state, "sup9")["totp_secret"] == secret


def test_validation_errors_say_what_is_wrong_and_change_nothing(console_state, signed_in):
    admin = signed_in(["admin"])
    before = _changes(console_state)
    cases = [
        ({"id": "bad id!"}, "may hold only letters"),
        ({"id": "x" * 101}, "may hold only letters"),
        ({"roles": []}, "at least one role"),
        ({"name": ""}, "Enter a name"),
        ({"center_id": ""}, "Choose a center"),
        ({"center_id": "99999"}, "Choose a center"),
        ({"roles": ["center_admin"], "center_id": ""}, "at least one managed center"),
        ({"roles": ["root"]}, "at least one role"),
        ({"id": "admin"}, "already exists"),
    ]
    for fields, message in cases:
        page = _create(admin, **fields)
        assert page.status_code in (409, 422) and message in page.text, (fields, page.text[:2000])
    assert _changes(console_state) == before and _audit(console_state, "users.created") == []


def test_edit_disable_enable_and_resets(console_state, signed_in):
    admin = signed_in(["admin"])
    other = signed_in(["auditor"])
    target = other.username
    url = f"/console/users/{target}"
    saved = _post(admin, url, {"name": "Renamed", "roles": ["auditor", "report_manager"]}, page=url)
    assert str(saved.url).endswith("?done=saved") and "Changes saved" in saved.text
    assert _row(console_state, target)["roles"] == ["auditor", "report_manager"]
    assert _row(console_state, target)["name"] == "Renamed"
    assert _audit(console_state, "users.updated") == [(admin.username, target)]

    disabled = _post(admin, f"{url}/disable", page=url)
    assert "User disabled" in disabled.text and _row(console_state, target)["active"] is False
    # their console session has ended
    assert other.get("/console/", follow_redirects=False).headers["location"] == "/console/sign-in"
    assert "Disabled" in admin.get("/console/users?active=no").text
    enabled = _post(admin, f"{url}/enable", page=url)
    assert "User enabled" in enabled.text and _row(console_state, target)["active"] is True

    reset = _post(admin, f"{url}/reset-password", page=url)
    password = _TEMP.search(reset.text).group(1)
    assert _audit(console_state, "users.password_reset") == [(admin.username, target)]
    client = TestClient(create_app(console_state), base_url="http://testserver")
    assert sign_in(client, target, PASSWORD).status_code == 401  # the old password is gone

    totp = _post(admin, f"{url}/reset-totp", page=url)
    assert "Two-step sign-in reset" in totp.text
    again = TestClient(create_app(console_state), base_url="http://testserver")
    page = again.post(
        "/console/sign-in",
        data={"csrf": csrf_of(again.get("/console/sign-in").text), "username": target, "password": password},
    )
    assert str(page.url).endswith("/sign-in/enrol")  # a new second factor, then the new password


def test_nobody_disables_themself_or_drops_their_own_admin_role(console_state, signed_in):
    admin = signed_in(["admin"])
    url = f"/console/users/{admin.username}"
    refused = _post(admin, f"{url}/disable", page=url)
    assert refused.status_code == 403 and "cannot disable your own account" in refused.text
    refused = _post(admin, url, {"name": "Me", "roles": ["auditor"]}, page=url)
    assert refused.status_code == 403 and "own administrator role" in refused.text
    assert _row(console_state, admin.username)["roles"] == ["admin"]
    assert _row(console_state, admin.username)["active"] is True


def test_a_center_admin_manages_only_their_centers(console_state, signed_in):
    outside = add_user(console_state, ["operator"], center_ids=["10002"])
    inside = add_user(console_state, ["operator"], center_ids=["10001"])
    peer = add_user(console_state, ["center_admin"], center_ids=["10001"])
    boss = signed_in(["center_admin"], centers=["10001"])
    listing = boss.get("/console/users").text
    assert inside in listing and outside not in listing
    assert boss.get(f"/console/users/{outside}").status_code == 404
    form = boss.get("/console/users/new").text
    assert 'value="admin"' not in form and 'value="center_admin"' not in form and "10002" not in form
    refused = _create(boss, id="sneaky", roles=["admin"])
    assert (
        refused.status_code == 403
        and "kiosk roles only" in refused.text
        and _row(console_state, "sneaky") is None
    )
    # an auditor or report manager reaches every center: not a center admin's to make or manage
    for role in ("auditor", "adjudicator", "report_manager"):
        assert (
            _create(boss, id="sneaky", roles=[role]).status_code == 403
            and _row(console_state, "sneaky") is None
        )
    watcher = add_user(console_state, ["auditor"], center_ids=["10001"])
    refused = _post(boss, f"/console/users/{watcher}/reset-password", page=f"/console/users/{inside}")
    assert refused.status_code == 403
    refused = _create(boss, id="sneaky", center_id="10002")
    assert refused.status_code == 403 and _row(console_state, "sneaky") is None
    refused = _post(boss, f"/console/users/{outside}/disable", page=f"/console/users/{inside}")
    assert refused.status_code == 404 and _row(console_state, outside)["active"] is True
    refused = _post(boss, f"/console/users/{peer}/disable", page=f"/console/users/{inside}")
    assert refused.status_code == 403 and _row(console_state, peer)["active"] is True
    grant = _post(boss, f"/console/users/{inside}", {"name": "x", "roles": ["admin"], "center_id": "10001"})
    assert grant.status_code == 403 and _row(console_state, inside)["roles"] == ["operator"]
    made = _create(boss, id="op.10001")
    assert made.status_code == 200 and _row(console_state, "op.10001")["center_id"] == "10001"
    done = _post(boss, f"/console/users/{inside}/disable", page=f"/console/users/{inside}")
    assert "User disabled" in done.text


def test_other_roles_cannot_reach_the_page(signed_in):
    auditor = signed_in(["auditor"])
    assert auditor.get("/console/users").status_code == 403
    assert auditor.get("/console/users/new").status_code == 403


def test_filters_and_pages_of_fifty(console_state, signed_in):
    admin = signed_in(["admin"])
    rows = [
        {
            "id": f"bulk{n:04d}",
            "name": f"Bulk Person {n}",
            "roles": ["operator"] if n % 2 else ["auditor"],
            "center_id": "10002",
            "password_hash": hash_password("x") if n == 0 else _row(console_state, "admin")["password_hash"],
            "active": n % 3 != 0,
        }
        for n in range(120)
    ]
    with Session(console_state.engine) as session, session.begin():
        append_changes(session, upserts=[("users", r) for r in rows], deletes=[])

    def ids(query: str) -> list[str]:
        return re.findall(r'href="/console/users/(bulk\d+)"', admin.get(f"/console/users?{query}").text)

    first = admin.get("/console/users?center=10002")
    assert len(re.findall(r'href="/console/users/bulk', first.text)) == 50 and 'rel="next"' in first.text
    assert ids("center=10002&page=3") == [f"bulk{n:04d}" for n in range(100, 120)]
    assert 'rel="next"' not in admin.get("/console/users?center=10002&page=3").text
    assert all(int(i[4:]) % 2 for i in ids("center=10002&role=operator"))
    assert all(int(i[4:]) % 3 == 0 for i in ids("center=10002&active=no"))
    assert ids("q=person+11") == ["bulk0011"] + [f"bulk{n:04d}" for n in range(110, 120)]
    assert ids("q=%25") == []  # LIKE wildcards are searched for, not used


def test_api_create_edit_disable_enable_and_resets(console_state):
    add_user(console_state, ["admin"], username="apiadmin")
    auth = _token(console_state, "apiadmin")
    api = TestClient(create_app(console_state))
    made = api.post(
        "/api/v1/admin/users",
        json={"id": "op-api", "name": "Op", "roles": ["operator"], "center_id": "10001"},
        headers=auth,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["user"]["id"] == "op-api" and len(body["temporary_password"]) == 19
    assert PasswordHasher().verify(_row(console_state, "op-api")["password_hash"], body["temporary_password"])
    patched = api.patch(
        "/api/v1/admin/users/op-api", json={"roles": ["operator", "supervisor"]}, headers=auth
    )
    assert patched.status_code == 200 and patched.json()["kiosk_totp_secret"]
    assert api.post("/api/v1/admin/users/op-api/disable", headers=auth).json()["active"] is False
    assert api.post("/api/v1/admin/users/op-api/enable", headers=auth).json()["active"] is True
    reset = api.post("/api/v1/admin/users/op-api/reset-password", headers=auth)
    assert reset.status_code == 200 and reset.json()["temporary_password"] != body["temporary_password"]
    assert api.post("/api/v1/admin/users/op-api/reset-totp", headers=auth).status_code == 200
    assert api.post("/api/v1/admin/users/apiadmin/disable", headers=auth).status_code == 403
    assert (
        api.patch("/api/v1/admin/users/apiadmin", json={"roles": ["auditor"]}, headers=auth).status_code
        == 403
    )
    for bad in (
        {"id": "a b", "name": "x", "roles": ["operator"], "center_id": "10001"},
        {"id": "ok", "name": "x", "roles": ["root"], "center_id": "10001"},
        {"id": "ok", "name": "x", "roles": [], "center_id": "10001"},
        {"id": "ok", "name": "x" * 101, "roles": ["operator"], "center_id": "10001"},
        {"id": "ok", "name": "x", "roles": ["operator"], "center_id": "1"},
        {"id": "ok", "name": "x", "roles": ["operator"], "center_id": "10001", "extra": 1},
        {"id": "ok", "name": "x", "roles": ["operator"], "center_id": "99999"},
    ):
        assert api.post("/api/v1/admin/users", json=bad, headers=auth).status_code == 422, bad
    assert _row(console_state, "ok") is None
    assert api.post("/api/v1/admin/users/nobody/disable", headers=auth).status_code == 404


def test_api_scope_of_a_center_admin(console_state):
    add_user(console_state, ["center_admin"], username="capi", center_ids=["10001"])
    outside = add_user(console_state, ["operator"], center_ids=["10002"])
    auth = _token(console_state, "capi")
    api = TestClient(create_app(console_state))
    new = {"id": "x1", "name": "x", "roles": ["operator"], "center_id": "10001"}
    assert api.post("/api/v1/admin/users", json={**new, "roles": ["admin"]}, headers=auth).status_code == 403
    assert (
        api.post("/api/v1/admin/users", json={**new, "center_id": "10002"}, headers=auth).status_code == 403
    )
    assert api.post(f"/api/v1/admin/users/{outside}/disable", headers=auth).status_code == 404
    assert api.post(f"/api/v1/admin/users/{outside}/reset-password", headers=auth).status_code == 404
    assert api.post("/api/v1/admin/users", json=new, headers=auth).status_code == 201
    add_user(console_state, ["auditor"], username="audapi")
    assert (
        api.post("/api/v1/admin/users", json=new, headers=_token(console_state, "audapi")).status_code == 403
    )


def test_choosing_no_center_moves_a_user_to_head_office(console_state, signed_in):
    admin = signed_in(["admin"])
    auditor = add_user(console_state, ["auditor"], center_ids=["10001"])
    moved = _post(
        admin, f"/console/users/{auditor}", {"name": "Auditor", "roles": ["auditor"], "center_id": ""}
    )
    assert moved.status_code == 200 and "center_id" not in _row(console_state, auditor)

"""Console sign-in end to end in-process: password, TOTP enrolment from the page, codes that work once,
wrong codes toward lockout, temporary passwords, idle timeout, CSRF, sign-out, and kiosk-only users."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync_server.app import create_app
from sync_server.db.tables import ConsoleSessionRow
from sync_server.services import console_accounts
from tests.support.console import PASSWORD, SECRETS, add_user, csrf_of, next_code, sign_in


def _client(state) -> TestClient:
    return TestClient(create_app(state), base_url="http://testserver")


def test_first_sign_in_enrols_totp_and_the_next_asks_for_a_code(console_state):
    username = add_user(console_state, ["admin"])
    client = _client(console_state)
    assert client.get("/console/", follow_redirects=False).headers["location"] == "/console/sign-in"
    page = client.post(
        "/console/sign-in",
        data={
            "csrf": csrf_of(client.get("/console/sign-in").text),
            "username": username,
            "password": PASSWORD,
        },
    )
    assert (
        str(page.url).endswith("/console/sign-in/enrol")
        and "<svg" in page.text
        and "totp-secret" in page.text
    )
    # the pages stay closed until the second factor is confirmed
    assert client.get("/console/", follow_redirects=False).headers["location"] == "/console/sign-in/enrol"
    done = sign_in(_client(console_state), username)
    assert str(done.url).endswith("/console/") and "Sign out" in done.text
    again = sign_in(_client(console_state), username)
    assert str(again.url).endswith("/console/")
    headers = again.headers
    assert (
        "script-src 'self'" in headers["content-security-policy"]
        and "unsafe-inline" not in headers["content-security-policy"]
    )
    cookie = next(
        c for c in again.history[0].headers.get_list("set-cookie") if c.startswith("openreg_console=")
    )
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()


def test_a_code_works_once_and_wrong_codes_lock_the_account(console_state):
    username = add_user(console_state, ["auditor"])
    sign_in(_client(console_state), username)
    client = _client(console_state)
    page = client.post(
        "/console/sign-in",
        data={
            "csrf": csrf_of(client.get("/console/sign-in").text),
            "username": username,
            "password": PASSWORD,
        },
    )
    assert str(page.url).endswith("/code")
    with Session(console_state.engine) as session, session.begin():
        # the code accepted at enrolment is spent
        spent = console_accounts.verify_code(session, username=username, code=_spent_code(username))
    assert not spent
    # the right password between wrong codes does not reset their count (a separate counter)
    for n in range(console_state.settings.login_max_failures):
        page = client.post("/console/sign-in/code", data={"csrf": csrf_of(page.text), "code": "000000"})
        assert page.status_code == 401 and "not right" in page.text
        if n == 1:
            form = client.get("/console/sign-in").text
            page = client.post(
                "/console/sign-in", data={"csrf": csrf_of(form), "username": username, "password": PASSWORD}
            )
            assert str(page.url).endswith("/code")
    page = client.post("/console/sign-in/code", data={"csrf": csrf_of(page.text), "code": "000000"})
    assert page.status_code == 403 and "locked" in page.text
    # now even the right password and the right code get no further
    form = client.get("/console/sign-in").text
    page = client.post(
        "/console/sign-in", data={"csrf": csrf_of(form), "username": username, "password": PASSWORD}
    )
    locked = client.post(
        "/console/sign-in/code", data={"csrf": csrf_of(page.text), "code": next_code(SECRETS[username])}
    )
    assert locked.status_code == 403 and "locked" in locked.text


def _spent_code(username: str) -> str:
    import pyotp

    from tests.support.console import _LAST_STEP

    secret = SECRETS[username]
    return pyotp.TOTP(secret).at(_LAST_STEP[secret] * 30)


def test_kiosk_only_users_and_wrong_passwords_are_refused(console_state):
    operator = add_user(console_state, ["operator"])
    client = _client(console_state)
    page = sign_in(client, operator)
    assert page.status_code == 403 and "cannot use the console" in page.text
    wrong = sign_in(client, operator, "not-the-password")
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text


def test_forms_without_the_right_csrf_token_change_nothing(signed_in, console_state):
    client = signed_in(["admin"])
    forged = client.post("/console/sign-out", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert client.get("/console/").status_code == 200  # still signed in
    no_cookie = _client(console_state).post(
        "/console/sign-in", data={"csrf": "x", "username": "a", "password": "b"}
    )
    assert no_cookie.status_code == 403


def test_sign_out_and_idle_timeout_end_the_session(signed_in, console_state):
    client = signed_in(["admin"])
    home = client.get("/console/")
    client.post("/console/sign-out", data={"csrf": csrf_of(home.text)})
    assert client.get("/console/", follow_redirects=False).status_code == 303

    client = signed_in(["admin"])
    idle = dt.timedelta(minutes=console_state.settings.console_idle_minutes + 1)
    with Session(console_state.engine) as session, session.begin():
        session.execute(update(ConsoleSessionRow).values(last_seen_at=dt.datetime.now(dt.UTC) - idle))
    assert client.get("/console/", follow_redirects=False).headers["location"] == "/console/sign-in"
    with Session(console_state.engine) as session:
        assert (
            session.scalar(select(ConsoleSessionRow).where(ConsoleSessionRow.username == client.username))
            is None
        )


def test_a_temporary_password_must_be_changed_before_any_page(console_state):
    username = add_user(console_state, ["admin"])
    sign_in(_client(console_state), username)
    with Session(console_state.engine) as session, session.begin():
        console_accounts.set_password(
            session,
            username=username,
            password_hash=console_accounts.new_password_hash("temporary-pass-1"),
            actor="someone",
            temporary=True,
        )
    client = _client(console_state)
    page = sign_in(client, username, "temporary-pass-1")
    assert str(page.url).endswith("/new-password")
    assert (
        client.get("/console/", follow_redirects=False).headers["location"] == "/console/sign-in/new-password"
    )
    short = client.post(
        "/console/sign-in/new-password",
        data={"csrf": csrf_of(page.text), "password": "short", "again": "short"},
    )
    assert short.status_code == 422
    done = client.post(
        "/console/sign-in/new-password",
        data={"csrf": csrf_of(page.text), "password": "a-new-long-password", "again": "a-new-long-password"},
    )
    assert str(done.url).endswith("/console/")
    assert str(sign_in(_client(console_state), username, "a-new-long-password").url).endswith("/console/")


def test_languages_and_self_hosted_api_docs(console_client):
    page = console_client.get("/console/sign-in?lang=ara")
    assert 'dir="rtl"' in page.text and "تسجيل الدخول" in page.text
    assert 'lang="fr"' in console_client.get("/console/sign-in", headers={"Accept-Language": "fr-FR"}).text
    # the cookie set by ?lang= wins over Accept-Language
    assert 'dir="rtl"' in console_client.get("/console/sign-in", headers={"Accept-Language": "fr"}).text
    docs = console_client.get("/docs")
    assert "/console/vendor/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text.lower()
    assert console_client.get("/console/vendor/swagger-ui-bundle.js").status_code == 200
    assert "redoc.standalone.js" in console_client.get("/redoc").text


def test_an_enrolled_second_factor_is_required_by_the_api_login_too(console_state, console_client):
    username = add_user(console_state, ["admin"])
    login = {"username": username, "password": PASSWORD}
    assert console_client.post("/api/v1/auth/login", json=login).status_code == 200  # not enrolled yet
    sign_in(_client(console_state), username)
    refused = console_client.post("/api/v1/auth/login", json=login)
    assert refused.status_code == 401 and "totp_code" in refused.json()["detail"]
    wrong = console_client.post("/api/v1/auth/login", json=login | {"totp_code": "000000"})
    assert wrong.status_code == 401
    good = console_client.post("/api/v1/auth/login", json=login | {"totp_code": next_code(SECRETS[username])})
    assert good.status_code == 200 and good.json()["token"]


def test_automatic_refreshes_do_not_keep_an_idle_session_alive(signed_in, console_state):
    client = signed_in(["admin"])
    idle = dt.timedelta(minutes=console_state.settings.console_idle_minutes)
    almost = dt.datetime.now(dt.UTC) - idle + dt.timedelta(seconds=30)
    with Session(console_state.engine) as session, session.begin():
        session.execute(update(ConsoleSessionRow).values(last_seen_at=almost))
    # the dashboard refreshing itself is answered but does not count as use
    assert client.get("/console/", headers={"X-Console-Partial": "numbers"}).status_code == 200
    with Session(console_state.engine) as session:
        seen = session.scalar(select(ConsoleSessionRow.last_seen_at))
    assert abs((seen.replace(tzinfo=dt.UTC) - almost).total_seconds()) < 1
    # a click does
    assert client.get("/console/").status_code == 200
    with Session(console_state.engine) as session:
        assert session.scalar(select(ConsoleSessionRow.last_seen_at)).replace(tzinfo=dt.UTC) > almost


def test_ending_a_users_sign_ins_also_revokes_their_api_tokens(signed_in, console_state, console_client):
    operator = add_user(console_state, ["operator"], center_ids=["10001"])
    token = console_client.post("/api/v1/auth/login", json={"username": operator, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['token']}"}
    assert (
        console_client.get("/api/v1/masterdata/changes", headers=bearer).status_code == 403
    )  # alive: a user
    admin = signed_in(["admin"])
    page = admin.get(f"/console/users/{operator}").text
    admin.post(f"/console/users/{operator}/reset-password", data={"csrf": csrf_of(page)})
    assert console_client.get("/api/v1/masterdata/changes", headers=bearer).status_code == 401

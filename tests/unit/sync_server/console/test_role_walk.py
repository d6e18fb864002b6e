"""Every console route and every admin API route, walked with every role: a role outside a page's
set (console.access.PAGES) gets 403, a role inside it gets past the check; kiosk roles reach nothing.
The API's role sets must agree with the pages of the same area."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from sync_server.app import create_app
from sync_server.console.access import PAGES
from sync_server.services.roles import CONSOLE_ROLES, KIOSK_ROLES
from tests.support.console import PASSWORD, add_user, csrf_of

# public or pre-sign-in console routes: no role to check
_OPEN = ("/console/sign-in", "/console/sign-out", "/console/static", "/console/vendor")
# an API area (the path segment after /api/v1/admin/) and the page whose roles it shares
_API_AREAS = {p.key: p for p in PAGES} | {"runs": next(p for p in PAGES if p.key == "reports")}
# routes deliberately narrower than their area, and why
_NARROWER = {
    # the old unscoped list: center admins search their own centers through /packets/search
    ("GET", "/api/v1/admin/packets"): {"admin", "auditor"},
    # problems kiosks reported about master data, across every center
    ("GET", "/api/v1/admin/masterdata/problems"): {"admin"},
}
_PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")


def _page_for(path: str):
    matches = [p for p in PAGES if path == p.path.rstrip("/") or path.startswith(p.path.rstrip("/") + "/")]
    return (
        max(matches, key=lambda p: len(p.path)) if matches else next(p for p in PAGES if p.key == "dashboard")
    )


def _concrete(path: str) -> str:
    return _PARAM.sub(lambda m: "10001" if "id" in m.group(1) else "x", path)


def _flat(routes, prefix: str = ""):
    """(method, path) of every API route, looking inside included routers (FastAPI >= 0.160 keeps
    them as included-router entries rather than copying their routes)."""
    for route in routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, prefix + route.path
        elif hasattr(route, "original_router"):
            yield from _flat(route.original_router.routes, prefix + route.include_context.prefix)


def _routes(app, prefix: str):
    for method, path in _flat(app.routes):
        if path.startswith(prefix) and not path.startswith(_OPEN):
            yield method, path


@pytest.fixture
def clients(console_state, signed_in):
    return {role: signed_in([role]) for role in sorted(CONSOLE_ROLES)}


def test_every_console_route_checks_its_page_roles(clients, console_state):
    routes = list(_routes(create_app(console_state), "/console"))
    assert len(routes) >= len(PAGES), routes
    for role, client in clients.items():
        csrf = csrf_of(client.get("/console/").text)
        for method, path in routes:
            page = _page_for(path)
            url = _concrete(path)
            if method == "GET":
                response = client.get(url, follow_redirects=False)
            else:
                response = client.request(method, url, data={"csrf": csrf}, follow_redirects=False)
            if role in page.roles:
                assert response.status_code != 403 or method != "GET", (
                    role,
                    method,
                    path,
                    response.status_code,
                )
                assert response.status_code < 500, (role, method, path, response.text[:300])
            else:
                assert response.status_code == 403, (role, method, path, response.status_code)


def test_kiosk_roles_reach_no_console_page(console_state, console_client):
    for role in sorted(KIOSK_ROLES):
        username = add_user(console_state, [role])
        form = console_client.get("/console/sign-in").text
        refused = console_client.post(
            "/console/sign-in", data={"csrf": csrf_of(form), "username": username, "password": PASSWORD}
        )
        assert refused.status_code == 403
        assert console_client.get("/console/", follow_redirects=False).status_code == 303


def _token(client: TestClient, username: str) -> str:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def test_every_admin_api_route_checks_the_roles_of_its_area(console_state, console_client):
    tokens = {
        role: _token(console_client, add_user(console_state, [role]))
        for role in sorted(CONSOLE_ROLES | KIOSK_ROLES)
    }
    routes = list(_routes(create_app(console_state), "/api/v1/admin"))
    assert routes
    for method, path in routes:
        area = path.removeprefix("/api/v1/admin/").split("/")[0]
        page = _API_AREAS.get(area)
        assert page is not None, f"{path}: map its area to a console page in _API_AREAS"
        allowed = _NARROWER.get((method, path), page.roles)
        for role, token in tokens.items():
            response = console_client.request(
                method, _concrete(path), headers={"Authorization": f"Bearer {token}"}, json={}
            )
            if role in allowed:
                assert response.status_code != 403 or method != "GET", (role, method, path)
            else:
                assert response.status_code == 403, (role, method, path, response.status_code)


def test_every_console_form_refuses_a_missing_or_forged_csrf_token(clients, console_state):
    admin = clients["admin"]
    posts = [path for method, path in _routes(create_app(console_state), "/console") if method == "POST"]
    assert len(posts) >= 10, posts
    for path in posts:
        for data in ({}, {"csrf": "forged"}):
            response = admin.post(_concrete(path), data=data, follow_redirects=False)
            assert response.status_code == 403 and "expired" in response.text, (
                path,
                data,
                response.status_code,
            )

"""The security-headers middleware: HSTS only over https, a route's own CSP kept, HTML gets the framing
rule only (the API docs load scripts), everything else the strict API policy."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.testclient import TestClient

from sync_server.security_headers import API_CSP, HTML_CSP, SecurityHeaders


def _client(base_url: str) -> TestClient:
    app = FastAPI()

    @app.get("/json")
    def json() -> dict:
        return {"ok": True}

    @app.get("/page", response_class=HTMLResponse)
    def page() -> str:
        return "<p>hi</p>"

    @app.get("/own")
    def own() -> JSONResponse:
        return JSONResponse({}, headers={"Content-Security-Policy": "default-src 'self'"})

    app.add_middleware(SecurityHeaders)
    return TestClient(app, base_url=base_url)


def test_hsts_only_over_https():
    assert "strict-transport-security" not in _client("http://testserver").get("/json").headers
    hsts = _client("https://testserver").get("/json").headers["strict-transport-security"]
    assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 180 * 86400


def test_policies_by_kind_of_response():
    client = _client("http://testserver")
    assert client.get("/json").headers["content-security-policy"] == API_CSP
    assert client.get("/page").headers["content-security-policy"] == HTML_CSP
    assert client.get("/own").headers["content-security-policy"] == "default-src 'self'"
    for path in ("/json", "/page", "/own", "/missing"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"

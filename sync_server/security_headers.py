"""Security headers on every response (API, errors, update files, API docs).

The API answers JSON and files that no browser should render, frame or send referrers from, so the
defaults are strict. A route that sets one of these headers itself (say, a console page with its own
Content-Security-Policy) keeps its value. HSTS only goes out over https: sent over plain http it
would be ignored anyway, and a demo on http://127.0.0.1 must not pin a browser to https.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# FastAPI's /docs and /redoc pages load their scripts from a CDN; they only get the framing rule.
HTML_CSP = "frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"

_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class SecurityHeaders:
    """Pure ASGI middleware (no BaseHTTPMiddleware: streaming bodies and background tasks stay as they are)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _COMMON.items():
                    headers.setdefault(name, value)
                html = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("Content-Security-Policy", HTML_CSP if html else API_CSP)
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)

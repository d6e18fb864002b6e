"""Every HTTP request: an id, a timing, an access-log line and the request metrics.

The id comes from the client's ``X-Request-ID`` when it is well formed (1 to 64 letters, digits and
``._:-``), else a new one is made; it goes back in the response's ``X-Request-ID`` and into every log
line written while the request is served. The access log and the metrics name the route template
(``/api/v1/packets/{rid}/content``), never the raw path or the query: no RID, date of birth or other
value a client puts in a URL reaches them.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync_server.observability import metrics
from sync_server.observability.logs import request_id

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,64}")
UNMATCHED = "<unmatched>"
# Packet bytes travel with this type (PATCH chunks, and tus creation-with-upload) under this prefix.
UPLOAD_PREFIX = "/api/v1/packets/"
UPLOAD_TYPE = b"application/offset+octet-stream"
access_log = logging.getLogger("openreg.access")


def choose_request_id(given: bytes | None) -> str:
    """The client's id if well formed, else a fresh one (32 hex digits)."""
    if given is not None:
        text = given.decode("latin-1")
        if _WELL_FORMED.fullmatch(text):
            return text
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The template of the route that served ``scope`` (read after routing), else ``<unmatched>``.

    FastAPI keeps a route of an included router with its path relative to the router's prefix and
    puts the full template in its per-request context; a mount (static files) leaves its path as
    the root path of the app it hands over to."""
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(context, "path", None)
    if isinstance(path, str):
        return path
    route = scope.get("route")
    if route is None and "endpoint" in scope:  # a route of the app itself: find it by its endpoint
        app_routes = getattr(scope.get("app"), "routes", ())
        route = next((r for r in app_routes if _endpoint(r) is scope["endpoint"]), None)
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", ()) if key == name), None)


def _endpoint(route: object) -> object:
    return route.app if isinstance(route, Mount) else getattr(route, "endpoint", None)


class RequestObserver:
    """Pure ASGI middleware, the outermost layer of the app (``app.ObservedFastAPI``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = choose_request_id(_header(scope, b"x-request-id"))
        # Not reset afterwards: the task serves this one request, and uvicorn's own report of an
        # unhandled error, written after we return, should carry the id too.
        request_id.set(rid)
        started = time.perf_counter()
        media_type = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        upload = media_type == UPLOAD_TYPE and scope.get("path", "").startswith(UPLOAD_PREFIX)
        status, received, sent = 500, 0, 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = rid
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        metrics.HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, counting_receive, send_with_id)
        finally:
            metrics.HTTP_IN_FLIGHT.dec()
            seconds = time.perf_counter() - started
            route = route_template(scope)
            metrics.observe_request(method=scope["method"], route=route, status=status, seconds=seconds)
            if upload and received:
                metrics.count_upload_bytes(received)
            client = scope.get("client")
            access_log.info(
                "%s %s %s %.1fms",
                scope["method"],
                route,
                status,
                seconds * 1000,
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "request_bytes": received,
                    "response_bytes": sent,
                    "client": client[0] if client else None,
                },
            )

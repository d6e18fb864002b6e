"""Request bounds enforced before any route runs: header count, body size (declared or streamed,
chunked included) and JSON nesting depth. Slow clients are cut off below, in sync_server.http_protocol."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.sync import ErrorCode
from sync_server.errors import ApiError, error_response

_LOOKS_LIKE_JSON = re.compile(rb"\s*[\[{]")
_PACKET_CONTENT = re.compile(r"^/api/v1/packets/[0-9]{29}/content$")
_DEPTH_SLICE = 4 * 1024 * 1024
_QUOTE, _OPENS, _CLOSES = ord('"'), (ord("["), ord("{")), (ord("]"), ord("}"))
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


def json_too_deep(body: bytes, limit: int) -> bool:
    """True when ``body`` (JSON or not quite) nests arrays/objects deeper than ``limit``.

    Linear and vectorised, no parsing (Python's json raises RecursionError, a 500, near depth 1,000):
    escaped backslashes and quotes are dropped so that every quote left opens or closes a string, all but
    quotes and brackets are dropped, then numpy sums the depth of the brackets outside strings."""
    text = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    import numpy as np  # the server needs it only here

    depth, quoted = 0, 0
    for start in range(0, len(text), _DEPTH_SLICE):
        part = np.frombuffer(text, dtype=np.uint8, count=min(_DEPTH_SLICE, len(text) - start), offset=start)
        inside = (np.cumsum(part == _QUOTE, dtype=np.int32) + quoted) & 1
        opens = (part == _OPENS[0]) | (part == _OPENS[1])
        closes = (part == _CLOSES[0]) | (part == _CLOSES[1])
        steps = (opens.astype(np.int8) - closes.astype(np.int8)) * (inside == 0)
        running = np.cumsum(steps, dtype=np.int32) + depth
        if int(running.max()) > limit:
            return True
        depth, quoted = int(running[-1]), int(inside[-1])
    return False


class BodyLimit:
    """Bound every HTTP request before the app sees it.

    * more than ``max_header_count`` header lines or ``max_header_bytes`` of them: 431 headers_too_large;
    * packet chunks (PATCH .../content) stream to their route, which counts bytes against
      ``max_chunk_bytes``; a larger Content-Length is refused here already (413 chunk_too_large);
    * bodies of ``bulk_paths`` (master-data import, admins only) stream to their route too, which reads
      them after authentication; past ``max_bulk_bytes`` the read fails with 413 body_too_large, and the
      route checks the JSON depth itself;
    * every other body is read here up to ``max_body_bytes``, whether Content-Length says its size or it
      comes chunked. Past the limit: 413 body_too_large at once; the rest is not kept (at most a chunk's
      worth more is read and dropped, then the connection is closed: sync_server.http_protocol). A body
      that looks like JSON and nests deeper than ``max_json_depth``: 422 validation_error. The body read
      here is then handed to the app unchanged.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_json_bytes: int,
        max_chunk_bytes: int,
        max_body_bytes: int | None = None,
        bulk_paths: tuple[str, ...] = (),
        max_json_depth: int = 64,
        max_header_count: int = 100,
        max_header_bytes: int = 16 * 1024,
    ) -> None:
        self.app, self.max_bulk, self.max_chunk = app, max_json_bytes, max_chunk_bytes
        self.max_body = min(max_body_bytes or max_json_bytes, max_json_bytes)
        self.bulk_paths, self.max_depth, self.max_headers = bulk_paths, max_json_depth, max_header_count
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        # h11 bounds only a head that arrives in pieces; one that comes in a single read is complete.
        if (
            len(headers) > self.max_headers
            or sum(len(n) + len(v) for n, v in headers) > self.max_header_bytes
        ):
            detail = f"requests may carry at most {self.max_headers} headers, {self.max_header_bytes} bytes"
            await error_response(431, ErrorCode.headers_too_large, detail)(scope, receive, send)
            return
        chunk = scope["method"] == "PATCH" and _PACKET_CONTENT.match(scope["path"]) is not None
        bulk = scope["path"] in self.bulk_paths
        limit = self.max_chunk if chunk else self.max_bulk if bulk else self.max_body
        code = ErrorCode.chunk_too_large if chunk else ErrorCode.body_too_large
        detail = f"request bodies are limited to {limit} bytes"
        too_large = error_response(413, code, detail)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await too_large(scope, receive, send)
                return
        if chunk:  # the route counts a chunk's bytes itself as they stream to disk
            await self.app(scope, receive, send)
            return
        if bulk:  # read by the route after authentication, never buffered here for anonymous callers
            await self.app(scope, _counted(receive, limit, ApiError(413, code, detail)), send)
            return
        parts, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away (or was cut off for being too slow)
            size += len(message.get("body", b""))
            if size > limit:
                await too_large(scope, receive, send)
                return
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(parts)
        del parts
        if _LOOKS_LIKE_JSON.match(body) and json_too_deep(body, self.max_depth):
            detail = f"JSON documents may nest at most {self.max_depth} levels"
            await error_response(422, ErrorCode.validation_error, detail)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _counted(receive: Receive, limit: int, too_large: ApiError) -> Receive:
    """A receive that raises ``too_large`` (answered by the app's error handlers) once the body passes
    ``limit`` bytes, so the route stops reading there."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large
        return message

    return counted


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that yields the already-read body once, then whatever the client sends next
    (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay

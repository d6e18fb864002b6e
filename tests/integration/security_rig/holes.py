"""The real server app built in process with one hole opened, served by uvicorn on loopback in a thread
(the runner's uvicorn settings: bounded h11, header and head limits), so the rig can be shown to find
each hole it checks.

``served(template, tmp_path, open_hole=..., settings=..., **uvicorn)`` copies a migrated demo data dir
(made once per session), builds the state and app, lets ``open_hole(app, state)`` change them, serves
the app and yields its base URL."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from sync_server.app import create_app
from sync_server.bootstrap import build_state
from sync_server.http_limits import BodyLimit
from sync_server.http_protocol import bounded_h11
from sync_server.security_headers import SecurityHeaders
from sync_server.settings import ServerSettings
from sync_server.state import ServerState

START_TIMEOUT_S = 20.0


def make_template(folder: Path) -> Path:
    """A data dir migrated to head with the demo master data loaded (copied for every hole server)."""
    state = build_state(ServerSettings(data_dir=folder, demo=True))
    state.engine.dispose()
    return folder


def body_limit(app: FastAPI, **changes: Any) -> None:
    """Change BodyLimit's arguments before the middleware stack is built (first request)."""
    for middleware in app.user_middleware:
        if middleware.cls is BodyLimit:
            middleware.kwargs.update(changes)
            return
    raise LookupError("BodyLimit is not installed")


def without_security_headers(app: FastAPI) -> None:
    app.user_middleware[:] = [m for m in app.user_middleware if m.cls is not SecurityHeaders]


@contextmanager
def served(
    template: Path,
    folder: Path,
    *,
    open_hole: Callable[[FastAPI, ServerState], None] | None = None,
    settings: dict[str, Any] | None = None,
    bounded: bool = True,
    **config: Any,
) -> Iterator[str]:
    data_dir = folder / "server"
    shutil.copytree(template, data_dir)
    server_settings = ServerSettings(data_dir=data_dir, demo=True, **(settings or {}))
    state = build_state(server_settings)
    app = create_app(state)
    if open_hole:
        open_hole(app, state)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    https = "ssl_certfile" in config
    options: dict[str, Any] = {
        "log_config": None,
        "access_log": False,
        "proxy_headers": True,
        "forwarded_allow_ips": "127.0.0.1",
        "h11_max_incomplete_event_size": server_settings.max_header_bytes,
        "timeout_keep_alive": server_settings.keep_alive_timeout_s,
    }
    if bounded:
        options["http"] = bounded_h11(
            head_timeout_s=server_settings.header_timeout_s,
            body_window_s=server_settings.body_rate_window_s,
            min_body_rate=server_settings.min_body_rate_bytes_s,
            linger_bytes=max(server_settings.max_chunk_bytes, server_settings.max_request_body_bytes),
        )
    else:
        options["http"] = "h11"
    options.update(config)
    ssl_context = options.pop("ssl_context", None)
    uv_config = uvicorn.Config(app, **options)
    if ssl_context is not None:  # a context the test built itself (e.g. one that allows TLS 1.0)
        uv_config.load()
        uv_config.ssl = ssl_context
        https = True
    server = uvicorn.Server(uv_config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.02)
    try:
        yield f"{'https' if https else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        state.engine.dispose()

"""Real HTTP servers for update-channel tests, on free ports."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from sync_server.api.updates import build_updates_router
from tests.support.ports import free_port


@contextmanager
def updates_server(repo_dir: Path) -> Iterator[str]:
    """Uvicorn serving the sync server's updates router; yields the channel URL (``.../updates``)."""
    app = FastAPI()
    app.include_router(build_updates_router(repo_dir))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("updates server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/updates"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

"""Run the app with uvicorn on a socket we bind ourselves (so --port 0 works), and write
DATA/server.json {"url", "pid"} atomically once uvicorn accepts connections."""

from __future__ import annotations

import json
import os
import socket
import threading
import time

import uvicorn

from sync_server.app import create_app
from sync_server.bootstrap import build_state
from sync_server.db.engine import make_engine
from sync_server.processing.bootstrap import Backend
from sync_server.processing.cli import server_identities
from sync_server.processing.masterdata_history import DbMasterDataHistory
from sync_server.services.packets import recover_complete_uploads
from sync_server.settings import ServerSettings
from sync_server.state import ServerState


def _write_server_json(settings: ServerSettings, url: str) -> None:
    target = settings.data_dir / "server.json"
    tmp = target.with_name(f".server.json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    os.replace(tmp, target)


def start_backend(state: ServerState) -> Backend:
    """Processing workers (``settings.workers`` threads) and the report scheduler in this process.

    The workers get their own engine (same database) without pre-ping, for everything they read and
    write (queue, ID store, master-data history): a ping per checkout would add about ten round trips
    to every packet. The request side and the report scheduler keep the pre-ping ``state.engine``: a
    report fires hours apart, so after a database restart its pooled connection would be stale."""
    engine = make_engine(state.settings.database_url, pre_ping=False, pool_size=state.settings.workers + 4)
    backend = Backend(
        engine=engine,
        data_dir=state.settings.data_dir,
        identities=server_identities(state.settings.data_dir),
        master=DbMasterDataHistory(engine),
        reports_engine=state.engine,
    )
    backend.start(workers=state.settings.workers)
    return backend


def serve(settings: ServerSettings) -> None:
    state = build_state(settings)
    # Uploads a crash left complete on disk are finished before anyone can ask about them.
    recover_complete_uploads(state.engine, blobs=state.blobs)
    state.backend = start_backend(state)
    (settings.data_dir / "server.json").unlink(missing_ok=True)
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(512)
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{port}"
    config = uvicorn.Config(
        create_app(state), log_level="warning", access_log=False, timeout_graceful_shutdown=5, backlog=512
    )
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.02)
        if server.started:
            _write_server_json(settings, url)
            print(f"openreg sync server listening on {url} (data: {settings.data_dir})", flush=True)

    threading.Thread(target=announce, daemon=True, name="announce").start()
    try:
        server.run(sockets=[sock])
    finally:
        (settings.data_dir / "server.json").unlink(missing_ok=True)
        state.backend.stop()
        state.backend.engine.dispose()
        state.engine.dispose()

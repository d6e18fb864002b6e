"""Run the app with uvicorn on a socket we bind ourselves (so --port 0 works), and write
DATA/server.json {"url", "pid"} atomically once uvicorn accepts connections (an https:// URL when
the settings name a TLS certificate and key).

SIGTERM or SIGINT shut down cleanly: no new connections, requests in flight get
``shutdown_grace_s`` to finish, then the processing workers finish the packet in hand, the report
scheduler stops, server.json goes and the process exits 0 (docs/operations.md).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
import time

import uvicorn
from sqlalchemy.orm import Session

from shared.files import atomic_write
from sync_server.app import create_app
from sync_server.bootstrap import build_state, start_backend
from sync_server.http_protocol import bounded_h11
from sync_server.observability.logs import configure_logging
from sync_server.security_headers import SecurityHeaders
from sync_server.services.blob_store import BlobStore, BlobStoreUnavailable
from sync_server.services.packets import recover_complete_uploads
from sync_server.services.tus_expiry import UploadSweeper, expire_stale_uploads
from sync_server.settings import ServerSettings

log = logging.getLogger(__name__)


class DataDirError(RuntimeError):
    """The data dir cannot hold the server's files (not a writable directory, or too little space)."""


def check_data_dir(settings: ServerSettings) -> None:
    """Fail start-up with one clear sentence rather than with 500s on the first upload: the data dir
    and the packet dir must be writable directories with ``min_free_disk_mb`` free."""
    need = settings.min_free_disk_mb * 1024 * 1024
    # packet blobs in a bucket (settings.blob_store): only the data dir is on this machine
    for folder in (settings.data_dir,) if settings.blob_store else (settings.data_dir, settings.blob_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder) as probe:
                probe.write(b"openreg")
                probe.flush()
                os.fsync(probe.fileno())
            free = shutil.disk_usage(folder).free
        except OSError as exc:
            raise DataDirError(
                f"data dir {folder} is not a writable directory: {exc.strerror or exc}"
            ) from exc
        if free < need:
            raise DataDirError(
                f"data dir {folder} has {free // (1024 * 1024)} MiB free; the server needs at least "
                f"{settings.min_free_disk_mb} MiB (OPENREG_SERVER_MIN_FREE_DISK_MB)"
            )


def check_blob_store(blobs: BlobStore) -> None:
    """A bucket that refuses us (no credentials, access denied, no such bucket) stops start-up with one
    sentence; one that is only unreachable does not: the server starts not ready (``/health/ready``
    503, kiosks retry) and serves as soon as the store answers."""
    health = blobs.health()
    if health in ("no credentials", "forbidden", "bucket missing"):
        raise DataDirError(
            f"packet store {blobs.describe()}: {health} (credentials: AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE; docs/operations.md)"
        )
    if health != "ok":
        log.warning("packet store %s: %s; not ready until it answers", blobs.describe(), health)


def _write_server_json(settings: ServerSettings, url: str) -> None:
    atomic_write(settings.data_dir / "server.json", json.dumps({"url": url, "pid": os.getpid()}).encode())


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's listening socket. IPPROTO_TCP, not 0: accepted sockets inherit it, and asyncio sets
    TCP_NODELAY only on sockets that say TCP; without it every answer after the first on a kept-alive
    connection waited ~40 ms (Nagle holding the body back until the client's delayed ACK)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    return sock


def serve(settings: ServerSettings) -> None:
    """Serve until SIGTERM/SIGINT, then stop workers and scheduler, remove server.json and return."""
    configure_logging(log_format=settings.log_format, level=settings.log_level, process="server")
    check_data_dir(settings)
    state = build_state(settings)
    log.info("packet blobs: %s", state.blobs.describe())
    check_blob_store(state.blobs)
    # Uploads a crash left complete on disk are finished before anyone can ask about them; unfinished
    # ones past their Upload-Expires are dropped (tus expiration; an owner's request also drops its own).
    with Session(state.engine) as session:
        try:
            recover_complete_uploads(session, blobs=state.blobs)
            if expired := expire_stale_uploads(session, blobs=state.blobs):
                log.info("dropped %d expired unfinished uploads", len(expired))
        except BlobStoreUnavailable:  # the next access (and the sweeper) finishes it
            log.warning("packet store unreachable at start: crashed uploads are finished on access")
    sweeper = UploadSweeper(state.engine, blobs=state.blobs, interval_s=settings.upload_sweep_interval_s)
    sweeper.start()
    state.backend = start_backend(state)
    (settings.data_dir / "server.json").unlink(missing_ok=True)
    sock = listening_socket(settings.host, settings.port)
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    https = settings.tls_certfile is not None  # settings make sure the key file comes with it
    url = f"{'https' if https else 'http'}://{host}:{port}"
    # Wrapped once more outside the app: Starlette answers unhandled errors (500) in its outermost
    # layer, beyond the app's own middleware, and those answers need the security headers too.
    app = SecurityHeaders(create_app(state))
    config = uvicorn.Config(
        app,
        # logging is configure_logging's (text or JSON, request ids); the access log is the app's own
        # (sync_server.observability.http_observer: route templates, never raw paths)
        log_config=None,
        log_level=settings.log_level,
        access_log=False,
        # X-Forwarded-For/-Proto are believed from these proxies only (docs/operations.md)
        proxy_headers=bool(settings.forwarded_allow_ips.strip()),
        forwarded_allow_ips=settings.forwarded_allow_ips.strip() or None,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
        backlog=512,
        # h11 always (not httptools where installed): the head-size bound and the slow-client timeouts
        # below are implemented for it.
        http=bounded_h11(
            head_timeout_s=settings.header_timeout_s,
            body_window_s=settings.body_rate_window_s,
            min_body_rate=settings.min_body_rate_bytes_s,
            # enough to drain an upload chunk answered early (401 on an expired token)
            linger_bytes=max(settings.max_chunk_bytes, settings.max_request_body_bytes),
        ),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_timeout_s,
        ssl_certfile=str(settings.tls_certfile) if https else None,
        ssl_keyfile=str(settings.tls_keyfile) if https else None,
    )
    server = uvicorn.Server(config)
    # What start-up built (the app, its routes and schemas, the state) lives as long as the process:
    # frozen, no full collection while serving, nor the interpreter's at exit, goes over it again.
    gc.freeze()

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.02)
        if server.started:
            _write_server_json(settings, url)
            log.info("openreg sync server listening on %s (data: %s)", url, settings.data_dir)

    threading.Thread(target=announce, daemon=True, name="announce").start()
    # uvicorn catches SIGTERM/SIGINT for its graceful shutdown and then re-raises them with the handler
    # it found; with the default one the process would die there, skipping the clean-up below (workers,
    # scheduler, server.json). Handlers that do nothing let serve() return and the process exit 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    try:
        server.run(sockets=[sock])
    finally:
        (settings.data_dir / "server.json").unlink(missing_ok=True)
        log.info("stopping the processing workers and the report scheduler")
        sweeper.stop()
        state.backend.stop()
        state.backend.engine.dispose()
        state.blobs.close()
        state.engine.dispose()
        log.info("openreg sync server stopped")

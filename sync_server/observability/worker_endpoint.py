"""An ``openreg worker``'s own metrics port: ``GET /metrics`` with the process-wide instruments
(processing stages, process CPU and memory), under the same access rule as the server's
(``access.metrics_access``). A small threaded WSGI server on its own thread, stopped with the worker.

Why a port per worker rather than prometheus_client's multiprocess mode: workers may run on other
machines than the server (they only need the database and the packet files), and each process
being its own scrape target is how Prometheus expects it; multiprocess mode shares files on one
machine only and needs its directory cleaned of dead processes.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import REGISTRY, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from pydantic import SecretStr

from sync_server.observability.access import MetricsAccess, metrics_access


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes every few seconds: no log line
        pass


def guarded_metrics_app(token: SecretStr | None) -> Callable:
    """The WSGI app: ``/metrics`` for callers ``metrics_access`` allows, 401/403/404 otherwise."""
    exposition = make_wsgi_app(REGISTRY)

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found; metrics are at /metrics\n"]
        access = metrics_access(
            client_host=environ.get("REMOTE_ADDR"),
            authorization=environ.get("HTTP_AUTHORIZATION"),
            token=token,
        )
        if access is MetricsAccess.TOKEN_NEEDED:
            start_response(
                "401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")]
            )
            return [b"metrics need the bearer token (metrics_token)\n"]
        if access is MetricsAccess.NOT_LOOPBACK:
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"metrics are served to clients on this machine only; set a metrics token\n"]
        return exposition(environ, start_response)

    return app


class MetricsServer:
    """Serve ``guarded_metrics_app`` on ``host:port`` (port 0: a free one, see ``port``)."""

    def __init__(self, *, host: str, port: int, token: SecretStr | None) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("MetricsHTTPServer", (ThreadingWSGIServer,), {"address_family": family})
        self._server = make_server(
            host, port, guarded_metrics_app(token), server_class=server_class, handler_class=_QuietHandler
        )
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

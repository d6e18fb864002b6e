"""``python -m abis_service --port N --db PATH``: run the reference ABIS until SIGTERM or Ctrl-C.

Prints one line ``ready http://HOST:PORT`` on stdout once it listens (``--port 0`` picks a free port),
so a parent process can wait for it; on SIGTERM it stops taking requests, finishes the one in hand and
closes the gallery.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from pathlib import Path

from abis_service.http_server import make_server
from abis_service.service import DEFAULT_THRESHOLD, AbisService


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m abis_service", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8480, help="TCP port (0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    parser.add_argument(
        "--db", type=Path, required=True, help="the gallery's SQLite file (created if absent)"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="lowest fused score (0-100) reported as a candidate",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if not 0 <= args.port <= 65535 or not 0 <= args.threshold <= 100:
        parser.error("--port must be 0-65535 and --threshold 0-100")
    args.db.parent.mkdir(parents=True, exist_ok=True)
    service = AbisService(args.db, threshold=args.threshold)
    try:
        server = make_server(service, host=args.host, port=args.port)
    except OSError as exc:
        service.close()
        parser.exit(2, f"cannot listen on {args.host}:{args.port}: {exc.strerror}\n")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    worker.start()
    host, port = server.server_address[:2]
    print(f"ready http://{host}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.shutdown()
    server.server_close()
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

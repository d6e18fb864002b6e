"""A worker process for the lease tests.

python -m ... FOLDER DB_URL [--lease S] [--slow-stage STAGE --slow-seconds N] [--idle-exit S]

Without ``--lease`` the worker keeps the production default (``queue.DEFAULT_LEASE``): the tests check
what a real deployment gets, not a value tuned for the test.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sync_server.processing import queue
from tests.integration.sync_server.processing.world import build_worker


class SlowHook:
    """Marks that it is inside the stage, then blocks, so the test can kill or outlast it mid-stage."""

    name = "slow"

    def __init__(self, marker: Path, seconds: float) -> None:
        self.marker, self.seconds = marker, seconds

    def __call__(self, *, stage, context):
        if not self.marker.exists():  # only the first packet is slow
            self.marker.write_text(context.rid)
            time.sleep(self.seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("db_url")
    parser.add_argument("--lease", type=float, default=queue.DEFAULT_LEASE.total_seconds())
    parser.add_argument("--slow-stage")
    parser.add_argument("--slow-seconds", type=float, default=60)
    parser.add_argument("--idle-exit", type=float, default=3)
    args = parser.parse_args()
    hooks = {}
    if args.slow_stage:
        hooks = {args.slow_stage: [SlowHook(args.folder / "in-stage", args.slow_seconds)]}
    worker = build_worker(args.folder, args.db_url, lease_seconds=args.lease, hooks=hooks)
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < args.idle_exit:
        if worker.run_once():
            idle_since = time.monotonic()
        else:
            time.sleep(0.05)


if __name__ == "__main__":
    main()

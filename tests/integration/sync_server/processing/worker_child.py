"""A worker process for the crash/concurrency tests: python -m ... FOLDER DB_URL [--slow-stage STAGE]."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.integration.sync_server.processing.world import build_worker


class SlowHook:
    """Marks that it is inside the stage, then sleeps, so the test can SIGKILL mid-stage."""

    name = "slow"

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __call__(self, *, stage, context):
        self.marker.write_text(context.rid)
        time.sleep(30)


def main() -> None:
    folder, db_url = Path(sys.argv[1]), sys.argv[2]
    hooks = {}
    if "--slow-stage" in sys.argv:
        hooks = {sys.argv[sys.argv.index("--slow-stage") + 1]: [SlowHook(folder / "in-stage")]}
    lease_seconds = 2
    worker = build_worker(folder, db_url, lease_seconds=lease_seconds, hooks=hooks)
    idle_since = time.monotonic()
    # Stay longer than one lease after the queue empties, so a dead worker's claim expires while
    # we still watch and its packet is taken over (else the test depends on start-up speed).
    while time.monotonic() - idle_since < lease_seconds + 1.5:
        if worker.run_once():
            idle_since = time.monotonic()
        else:
            time.sleep(0.05)


if __name__ == "__main__":
    main()

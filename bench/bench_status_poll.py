"""Status poll benchmark (issue 22): one kiosk asks the status of 1,000 of its packets at once
(POST /api/v1/packets/status), against a server process on SQLite holding 100,000 packets of 100
kiosks in the states a day's work leaves (processed, rejected, received, being received).

Goal: < 50 ms server time. The median round trip seen by the client bounds the median server time
from above and is what the goal is judged on; the server's own request-duration metric for the route
(/metrics: sum / count over the polls, so a mean that one slow poll on a busy machine pulls up) is
printed beside it.

Usage: .venv/bin/python bench/bench_status_poll.py [--polls 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from results import load_note, result
from sqlalchemy import create_engine, insert

from sync_server.db.tables import PacketRow
from tests.integration.sync_server.kiosk import API, Kiosk
from tests.support.server import RunningServer

GOAL_MS = 50
STATES = ["processed"] * 6 + ["rejected", "received", "processing", "receiving"]
ROUTE = re.compile(
    r'openreg_http_request_duration_seconds_(sum|count)\{method="POST",route="/api/v1/packets/status"\} (\S+)'
)


def seed(db: Path, machine_id: str, *, kiosks: int = 100, per_kiosk: int = 1000) -> list[str]:
    """Rows as registration and processing leave them; returns the RIDs of ``machine_id``."""
    engine = create_engine(f"sqlite:///{db}")
    now = dt.datetime.now(dt.UTC)
    mine = []
    with engine.begin() as conn:
        for k in range(kiosks):
            machine = machine_id if k == 0 else f"{20000 + k}"
            rows = []
            for n in range(per_kiosk):
                rid = f"10001{machine}{n + 1:05d}{now:%Y%m%d%H%M%S}"
                status = STATES[n % len(STATES)]
                rows.append(
                    dict(
                        rid=rid,
                        machine_id=machine,
                        center_id="10001",
                        sha256="0" * 64,
                        size=2_000_000,
                        status=status,
                        operator_id="operator1",
                        uin=f"{4825139076 + n}" if status == "processed" else None,
                        reason_code="duplicate" if status == "rejected" else None,
                        reason="duplicate of UIN 4825139076" if status == "rejected" else None,
                        registered_at=now,
                        received_at=now if status != "receiving" else None,
                    )
                )
                if machine == machine_id:
                    mine.append(rid)
            conn.execute(insert(PacketRow.__table__), rows)
    engine.dispose()
    return mine


def server_seconds(url: str) -> tuple[float, float]:
    found = dict(ROUTE.findall(requests.get(f"{url}/metrics", timeout=30).text))
    return float(found.get("sum", 0)), float(found.get("count", 0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=50)
    args = parser.parse_args()
    print(f"bench_status_poll: {load_note()} (shared with other work)")
    with tempfile.TemporaryDirectory(prefix="bench-status-") as tmp:
        data = Path(tmp) / "server"
        server = RunningServer(data, db_url=None, demo=True, env=None)
        try:
            kiosk = Kiosk(server.url)
            kiosk.enrol()
            kiosk.login()
            rids = seed(data / "server.db", kiosk.machine_id)
            body = {"rids": rids[:1000]}
            url = f"{server.url}{API}/packets/status"
            kiosk.http.post(url, json=body, headers=kiosk.auth, timeout=60).raise_for_status()  # warm
            before_sum, before_count = server_seconds(server.url)
            trips = []
            for _ in range(args.polls):
                began = time.perf_counter()
                answer = kiosk.http.post(url, json=body, headers=kiosk.auth, timeout=60)
                trips.append(time.perf_counter() - began)
                answer.raise_for_status()
            after_sum, after_count = server_seconds(server.url)
        finally:
            server.stop()
    assert len(answer.json()["statuses"]) == 1000
    polls = after_count - before_count
    mean_ms = 1000 * (after_sum - before_sum) / polls if polls else float("nan")
    print(
        f"status of 1,000 RIDs ({args.polls} polls, 100,000 packets on the server): server time mean "
        f"{mean_ms:.0f} ms (goal < {GOAL_MS} ms); round trip median {statistics.median(trips) * 1000:.0f} ms, "
        f"max {max(trips) * 1000:.0f} ms"
    )
    median_ms = statistics.median(trips) * 1000
    result(
        "status poll for 1,000 RIDs: median round trip (>= server time)",
        f"{median_ms:.0f} ms (server mean {mean_ms:.0f} ms)",
        f"< {GOAL_MS} ms",
        median_ms < GOAL_MS,
    )


if __name__ == "__main__":
    main()

"""Scale-out benchmark (issue 18): ingest and processing throughput for 1, 2 and 4 server processes and
as many workers, on one throwaway PostgreSQL cluster and one packet store behind HAProxy, with the CPU
seconds the servers and workers spent per packet.

Each round: K kiosks (threads) enrol through the balancer and each uploads P sealed packets (about
0.6 MB, incompressible); ingest ends when the last byte is acknowledged, processing when every packet
has its final state. CPU seconds are read from /proc for the server and worker processes (user +
system), so the figure per packet is independent of how busy the rest of the machine is; throughput is
not, and on a 2-core machine it stops growing once the cores are used. The CPU figure includes what idle
processes spend (the balancer's health checks, the workers' queue polls), which grows with their
number. The baseline is the 1-server, 1-worker round of the same run: each round prints its figures as
ratios to it.
Goal: CPU per packet does not grow with the number of processes; throughput grows until the cores are
used.

Usage: .venv/bin/python bench/bench_scale.py [--rounds 1 2 4] [--kiosks 16] [--packets 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.sync_server.kiosk import Kiosk
from tests.support.postgres import running_cluster
from tests.support.scale import Cluster, sealed, upload_resuming
from tests.support.server import RunningServer

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process and its reaped children, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / TICKS


def one_round(db_url: str, n: int, *, kiosks: int, packets: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"openreg-scale-{n}-") as folder:
        started: list[RunningServer] = []

        def start(data_dir: Path, **options) -> RunningServer:
            options.setdefault("env", None)  # the cluster passes its own (the shared blob store)
            server = RunningServer(data_dir, demo=True, **options)
            started.append(server)
            return server

        cluster = Cluster(start, Path(folder), db_url, servers=n, workers=n)
        try:
            fleet = [Kiosk(cluster.url, name=f"kiosk {k}") for k in range(kiosks)]
            work = []
            for k, kiosk in enumerate(fleet):
                kiosk.enrol()
                kiosk.login()
                work.append([sealed(kiosk, k * packets + p, Path(folder) / "outbox") for p in range(packets)])
            pids = [s.process.pid for s in cluster.servers] + [w.pid for w in cluster.workers]
            cpu_before = sum(cpu_seconds(pid) for pid in pids)
            began = time.monotonic()
            deadline = began + 900

            def send(k: int) -> None:
                for rid, data in work[k]:
                    upload_resuming(fleet[k], rid, data, deadline=deadline)

            threads = [threading.Thread(target=send, args=(k,)) for k in range(kiosks)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            ingested = time.monotonic() - began
            pending = {(k, rid) for k in range(kiosks) for rid, _ in work[k]}
            while pending and time.monotonic() < deadline:
                for k, rid in list(pending):
                    state = fleet[k].status(rid)[rid]
                    if state["status"] in ("processed", "rejected") or state.get("reason_code"):
                        pending.discard((k, rid))
                time.sleep(0.2)
            processed = time.monotonic() - began
            cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
        finally:
            cluster.stop()
            for server in started:
                server.kill()
        count = kiosks * packets
        if pending:
            raise RuntimeError(f"{len(pending)} packets not processed in time with {n} server(s)")
        return {"ingest": count / ingested, "processing": count / processed, "cpu": cpu / count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--kiosks", type=int, default=16)
    parser.add_argument("--packets", type=int, default=4)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"scale-out: {args.kiosks} kiosks x {args.packets} packets per round, {os.cpu_count()} cores, "
          f"load average {load:.1f} at start")  # fmt: skip
    results: dict[int, dict[str, float]] = {}
    with running_cluster() as pg:
        for n in args.rounds:
            results[n] = one_round(pg.create_database(), n, kiosks=args.kiosks, packets=args.packets)
            base = results[args.rounds[0]]
            r = results[n]
            print(
                f"{n} server(s) + {n} worker(s): ingest {r['ingest']:.1f} packets/s "
                f"({r['ingest'] / base['ingest']:.2f}x), processed {r['processing']:.1f} packets/s "
                f"({r['processing'] / base['processing']:.2f}x), CPU {r['cpu']:.3f} s/packet "
                f"({r['cpu'] / base['cpu']:.2f}x)",
                flush=True,
            )
    worst = max(r["cpu"] for r in results.values()) / results[args.rounds[0]]["cpu"]
    print(f"CPU per packet, worst round vs baseline: {worst:.2f}x (goal: does not grow, <= 1.2x)")


if __name__ == "__main__":
    main()

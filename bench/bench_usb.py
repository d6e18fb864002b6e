"""USB stick throughput (issue 21; plain script, prints figures, does not assert).
Run: .venv/bin/python bench/bench_usb.py [--packets 100] [--mb 2] [--runs 3] [--stick DIR]
                                         [--emulated-stick WRITE:READ | off]

1. Kiosk export of N sealed packets of M MB (temporary names, fsync, read back from the device, rename,
   signed manifest) against a plain copy + fsync of the same bytes to the same place (goal: >= 70 %).
2. Office import of that stick, read from its device (services.media_intake: batches registered in one transaction, each
   packet copied with its SHA-256 computed on the way and one fsync, one folder fsync and one status
   transaction per batch; the signed and encrypted acknowledgement) against a plain copy + fsync of
   the same bytes into the server's folder.

Each run times the plain copy and the work back to back (in turn first) and prints their ratio and the
load average; the summary is the best of the runs (the least disturbed by the machine's other work)
with the spread of the per-run ratios, and a RESULT line for bench/run_all.py.

Where the stick is: a folder on this machine's disk, then (root only, bench/usb_stick.py) an emulated
stick whose device the kernel throttles to a USB 3 stick's speeds (default 30 MB/s writing, 100 MB/s
reading; a virtual disk reads no faster than it writes, a stick reads several times faster).
``--stick DIR`` measures a real mounted stick instead of both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from results import load_note, result
from sqlalchemy.orm import Session
from usb_stick import Stick, emulated_stick, unavailable

from client.core.media.export import MediaExporter
from client.core.registration.repository import Registrations, RegistrationStatus
from demo.kiosk_fixture import SUPERVISOR, seeded_kiosk
from shared.files import sha256_file
from shared.media.layout import kiosk_folder
from shared.rid import format_rid
from sync_server.bootstrap import build_state
from sync_server.db.tables import MachineRow
from sync_server.services.media_import import context_for, import_stick
from sync_server.settings import ServerSettings


def fill_kiosk(app, count: int, size: int) -> list[Path]:
    """``count`` approved registrations whose sealed files are ``size`` random bytes (the export treats
    sealed files as opaque bytes, so random ones cost what real ones do)."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    app.settings.packets_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(1, count + 1):
        rid = format_rid(center_id=10001, machine_id=10042, sequence=n, created_at=now)
        path = app.settings.packets_dir / f"{rid}.age"
        path.write_bytes(os.urandom(size))
        digest, length = sha256_file(path)
        with app.store.transaction() as conn:
            registrations = Registrations(conn)
            registrations.add_sealing(
                rid=rid, operator_id="op1", created_at=now.isoformat(), supervisor_id=None, summary="{}"
            )
            registrations.mark_sealed(rid=rid, packet_path=str(path), sha256=digest, size=length)
            registrations.review(
                rid=rid,
                status=RegistrationStatus.approved,
                supervisor_id=SUPERVISOR[0],
                reason=None,
                at=now.isoformat(),
            )
        paths.append(path)
    return paths


def plain_copy(sources: list[Path], target: Path) -> float:
    """The baseline: copy each file and fsync it, then fsync the folder."""
    target.mkdir(parents=True)
    start = time.perf_counter()
    for source in sources:
        dest = target / source.name
        shutil.copyfile(source, dest)
        with open(dest, "rb+") as handle:
            os.fsync(handle.fileno())
    fd = os.open(target, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return time.perf_counter() - start


def rate(total_bytes: int, seconds: float) -> str:
    return f"{total_bytes / seconds / 1e6:7.1f} MB/s ({seconds:6.2f} s)"


@dataclass(frozen=True)
class Run:
    """One run: the plain copy and the measured work, back to back, and the 1-minute load after them."""

    copy_s: float
    work_s: float
    load: float

    @property
    def share(self) -> float:
        return 100 * self.copy_s / self.work_s


def paired(
    index: int,
    copy: Callable[[], float],
    work: Callable[[], float],
    before: Callable[[], None] = lambda: None,
) -> Run:
    """Time ``copy`` and ``work`` back to back, in turn first (so neither always meets a busier disk);
    ``before`` runs untimed ahead of each."""
    first, second = (work, copy) if index % 2 else (copy, work)
    before()
    first_s = first()
    before()
    second_s = second()
    work_s, copy_s = (first_s, second_s) if index % 2 else (second_s, first_s)
    return Run(copy_s, work_s, os.getloadavg()[0])


def uncache(paths: list[Path]) -> None:
    """Drop the files' cached pages, so the next read comes from the device (a stick just plugged in)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def report(title: str, label: str, runs: list[Run], total: int, where: str) -> None:
    """Every run with its own ratio and load, then the best of each (the run least disturbed by the
    machine's other work) and the spread of the per-run ratios."""
    print(f"{title} ({load_note()})")
    for number, run in enumerate(runs, start=1):
        print(
            f"  run {number}: plain copy + fsync {rate(total, run.copy_s)}   {label} {rate(total, run.work_s)}"
            f"   {run.share:5.1f} % of the copy   load {run.load:.2f}"
        )
    copy_s, work_s = min(r.copy_s for r in runs), min(r.work_s for r in runs)
    shares = [r.share for r in runs]
    best = 100 * copy_s / work_s
    print(
        f"  best of {len(runs)}: plain copy + fsync {rate(total, copy_s)}   {label} {rate(total, work_s)}"
        f"   {best:5.1f} % of the copy (per run: median {statistics.median(shares):.1f} %, "
        f"{min(shares):.1f}-{max(shares):.1f} %)"
    )
    result(
        f"USB {label}, {where} / plain copy + fsync (best of {len(runs)})",
        f"{best:.0f} %",
        ">= 70 %",
        best >= 70,
    )


def enrol(state, public_key: str) -> None:
    with Session(state.engine) as db, db.begin():
        db.add(
            MachineRow(
                machine_id="10042",
                public_key=public_key,
                center_id="10001",
                name="bench kiosk",
                status="approved",
                created_at=dt.datetime.now(dt.UTC),
            )
        )


def export_runs(work: Path, sticks: list[Path], packets: int, size: int) -> tuple[list[Run], str, int]:
    """Each run: a plain copy of the kiosk's sealed files to a stick folder and the kiosk's export to
    it, back to back; returns the runs, the kiosk's public key and the bytes of one run."""
    app = seeded_kiosk(work / "kiosk")
    try:
        sources = fill_kiosk(app, packets, size)
        total = sum(p.stat().st_size for p in sources)
        session = app.authentication.login(user_id=SUPERVISOR[0], password=SUPERVISOR[2])

        def export(stick: Path) -> None:
            report = MediaExporter(store=app.store, machine=app.machine).export(stick, session=session)
            assert len(report.exported) == packets

        runs = [
            paired(
                run,
                lambda s=stick: plain_copy(sources, s / "plain-copy"),
                lambda s=stick: timed(lambda: export(s)),
            )
            for run, stick in enumerate(sticks)
        ]
        return runs, app.machine.identity().public_key, total
    finally:
        app.close()


def import_runs(work: Path, sticks: list[Path], public_key: str, packets: int) -> tuple[list[Run], int]:
    """Each run: a plain copy of a stick's packets into a server folder and the office import of that
    stick into a fresh server, back to back; returns the runs and the acknowledgement's size."""
    runs: list[Run] = []
    for run, stick in enumerate(sticks):
        state = build_state(ServerSettings(data_dir=work / f"server-{run}", demo=False))
        results = []
        try:
            enrol(state, public_key)
            on_stick = sorted((kiosk_folder(stick, "10042") / "packets").glob("*.age"))
            copy_to = work / f"server-plain-copy-{run}"

            def office(state=state, stick=stick, results=results) -> None:
                results.extend(import_stick(context_for(state), stick, actor="bench"))

            runs.append(
                paired(
                    run,
                    lambda o=on_stick, c=copy_to: plain_copy(o, c),
                    lambda f=office: timed(f),
                    before=lambda o=on_stick: uncache(o),
                )
            )
            (outcome,) = results
            assert outcome.count("received") == packets, outcome.refused or outcome.packets[:3]
        finally:
            state.engine.dispose()
    return runs, outcome.ack_bytes


def measure(
    work: Path, medium: Path, where: str, args: argparse.Namespace, stick: Stick | None = None
) -> None:
    """Export to and import from ``medium`` (``where`` names it in the RESULT lines), ``args.runs``
    times each, and print the figures."""
    size = int(args.mb * 1_000_000)
    work.mkdir()
    sticks = [Path(tempfile.mkdtemp(prefix="bench-usb-stick-", dir=medium)) for _ in range(args.runs)]
    read_before = stick.bytes_read() if stick else 0
    exports, public_key, total = export_runs(work, sticks, args.packets, size)
    what = f"{args.packets} packets of {args.mb:g} MB ({total / 1e6:.0f} MB)"
    report(f"USB export of {what} to {where}", "kiosk export", exports, total, where)
    if stick:
        read_back = (stick.bytes_read() - read_before) / 1e6
        print(f"  read back from the stick's device during the exports: {read_back:.0f} MB")
    imports, ack_bytes = import_runs(work, sticks, public_key, args.packets)
    report(
        f"Office import of the stick (acknowledgement {ack_bytes} bytes written back)",
        "office import",
        imports,
        total,
        where,
    )
    for folder in sticks:
        shutil.rmtree(folder, ignore_errors=True)


def speeds(text: str) -> tuple[float, float] | None:
    """``--emulated-stick``: "WRITE:READ" in MB/s (each above 0), or "off"."""
    if text == "off":
        return None
    try:
        write, read = (float(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give WRITE:READ in MB/s, e.g. 30:100, or off") from None
    if not (0 < write <= 100_000 and 0 < read <= 100_000):
        raise argparse.ArgumentTypeError(f"{text!r}: each speed is above 0 and at most 100000 MB/s")
    return write, read


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packets", type=int, default=100)
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3, help="runs, each a copy and the work back to back")
    parser.add_argument("--stick", type=Path, default=None, help="a mounted stick (instead of the others)")
    parser.add_argument(
        "--emulated-stick",
        type=speeds,
        default=(30.0, 100.0),
        metavar="WRITE:READ",
        help="MB/s of the emulated stick (root only; 'off' for none)",
    )
    args = parser.parse_args()
    print("goal: the export and the import each at least 70 % of the plain copy")
    with tempfile.TemporaryDirectory(prefix="bench-usb-") as tmp:
        work = Path(tmp)
        if args.stick:
            measure(work / "real", args.stick, f"the stick at {args.stick}", args)
            return
        measure(work / "disk", work, "this machine's disk", args)
        if args.emulated_stick is None:
            return
        if why := unavailable():
            print(f"emulated stick: skipped, {why}")
            return
        write_mb_s, read_mb_s = args.emulated_stick
        room = int(2.2 * args.runs * args.packets * args.mb * 1_000_000) + 256 * 1024 * 1024
        with emulated_stick(work, room, write_mb_s, read_mb_s) as stick:
            print(stick.describe())
            measure(
                work / "emulated",
                stick.mount,
                f"an emulated stick ({write_mb_s:g}/{read_mb_s:g} MB/s)",
                args,
                stick,
            )


if __name__ == "__main__":
    main()

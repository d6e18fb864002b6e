"""USB stick throughput (issue 21; plain script, prints figures, does not assert).
Run: .venv/bin/python bench/bench_usb.py [--packets 100] [--mb 2] [--stick DIR]

1. Kiosk export of N sealed packets of M MB (temporary names, fsync, read back from the device, rename,
   signed manifest) against a plain copy + fsync of the same bytes to the same place (goal: >= 70 %).
2. Office import of that stick (the packets service's registration, then the blob store's one-pass
   ingest: copy + SHA-256 on the way + one fsync + publish; the signed and encrypted acknowledgement)
   against a plain copy + fsync of the same bytes into the server's folder.

``--stick`` points at a mounted stick to measure a real one (default: a folder on this machine's disk,
where reading back is cheap and so the ratio flatters the export less than a slow stick would).
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.orm import Session

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packets", type=int, default=100)
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3, help="alternating runs; medians are printed")
    parser.add_argument("--stick", type=Path, default=None, help="a mounted stick (default: a temp folder)")
    args = parser.parse_args()
    size = int(args.mb * 1_000_000)
    with tempfile.TemporaryDirectory(prefix="bench-usb-") as tmp:
        work = Path(tmp)
        sticks = [
            Path(tempfile.mkdtemp(prefix="bench-usb-stick-", dir=args.stick or work))
            for _ in range(args.runs)
        ]
        app = seeded_kiosk(work / "kiosk")
        copies, exports = [], []
        try:
            sources = fill_kiosk(app, args.packets, size)
            total = sum(p.stat().st_size for p in sources)
            session = app.authentication.login(user_id=SUPERVISOR[0], password=SUPERVISOR[2])
            for stick in sticks:  # alternate, so both meet the same disk and the same neighbours
                copies.append(plain_copy(sources, stick / "plain-copy"))
                start = time.perf_counter()
                report = MediaExporter(store=app.store, machine=app.machine).export(stick, session=session)
                exports.append(time.perf_counter() - start)
                assert len(report.exported) == args.packets
            public_key = app.machine.identity().public_key
        finally:
            app.close()
        copy_s, export_s = statistics.median(copies), statistics.median(exports)
        print(
            f"USB export of {args.packets} packets of {args.mb:g} MB ({total / 1e6:.0f} MB), median of {args.runs}"
        )
        print(f"  plain copy + fsync   {rate(total, copy_s)}")
        print(
            f"  kiosk export         {rate(total, export_s)}   {100 * copy_s / export_s:5.1f} % of the copy"
        )

        server_copies, imports = [], []
        for run, stick in enumerate(sticks):
            state = build_state(ServerSettings(data_dir=work / f"server-{run}", demo=False))
            try:
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
                on_stick = sorted((kiosk_folder(stick, "10042") / "packets").glob("*.age"))
                server_copies.append(plain_copy(on_stick, work / f"server-plain-copy-{run}"))
                start = time.perf_counter()
                (result,) = import_stick(context_for(state), stick, actor="bench")
                imports.append(time.perf_counter() - start)
                assert result.count("received") == args.packets, result.refused or result.packets[:3]
            finally:
                state.engine.dispose()
        copy_s, import_s = statistics.median(server_copies), statistics.median(imports)
        print(f"Office import of the stick (acknowledgement {result.ack_bytes} bytes written back)")
        print(f"  plain copy + fsync   {rate(total, copy_s)}")
        print(
            f"  office import        {rate(total, import_s)}   {100 * copy_s / import_s:5.1f} % of the copy"
        )
        print("goal: each at least 70 % of the plain copy")
        if args.stick:
            for stick in sticks:
                shutil.rmtree(stick, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Packet sealing benchmark (issue 2): median seal time and the ratio against plain pyrage.encrypt.

Typical packet: 10 finger images, 2 iris, 1 face, 2 documents (~2 MB, incompressible like real
JPEG 2000 / PNG payloads). Large packet: 50 MB. Seal = build ZIP + sign + age-encrypt + fsync +
atomic rename. Baseline = pyrage.encrypt of the same number of bytes in memory, same run.
Also prints the peak RSS of sealing and opening the 50 MB packet in a fresh process.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyrage
from pyrage import x25519

from shared.packet import BiometricRecord, Document, PacketContents, open_packet, seal_packet
from shared.rid import format_rid
from shared.signing import generate_private_key, private_key_to_bytes, public_key_b64


def contents(sequence: int, *, scale: float = 1.0) -> PacketContents:
    def blob(kb: float) -> bytes:
        return os.urandom(int(kb * 1024 * scale))

    fingers = [
        BiometricRecord("finger", f"F{i}", "ISO19794-4", 80, {"make": "bench"}, blob(120)) for i in range(10)
    ]
    irises = [
        BiometricRecord("iris", side, "ISO19794-6", 80, {"make": "bench"}, blob(100)) for side in ("L", "R")
    ]
    face = [BiometricRecord("face", "Face", "ISO19794-5", 80, {"make": "bench"}, blob(300))]
    documents = [Document(doc_type=t, content_type="image/jpeg", data=blob(150)) for t in ("POI", "POA")]
    rid = format_rid(center_id=10001, machine_id=1, sequence=sequence, created_at=datetime.now(UTC))
    return PacketContents(
        demographics={"fullName": "Bench Person", "dateOfBirth": "1990-01-01"},
        meta={"rid": rid},
        documents=documents,
        biometrics=fingers + irises + face,
    )


def payload_bytes(c: PacketContents) -> int:
    return sum(len(d.data) for d in c.documents) + sum(len(b.data) for b in c.biometrics)


def measure(scale: float, runs: int, folder: Path, recipient: str, machine) -> tuple[float, float, int]:
    seal_times, base_times, size = [], [], 0
    recipients = [x25519.Recipient.from_str(recipient)]
    for i in range(runs):
        c = contents(i + 1, scale=scale)
        size = payload_bytes(c)
        start = time.perf_counter()
        seal_packet(c, machine_key=machine, recipients=[recipient], out_dir=folder)
        seal_times.append(time.perf_counter() - start)
        raw = os.urandom(size)
        start = time.perf_counter()
        pyrage.encrypt(raw, recipients)
        base_times.append(time.perf_counter() - start)
    return statistics.median(seal_times), statistics.median(base_times), size


def _peak_rss_mb() -> float:
    """Peak resident set of this process (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_child(mode: str, folder: Path) -> None:
    """Run in a child: seal or open one 50 MB packet, print peak RSS in MB."""
    identity = x25519.Identity.from_str((folder / "id").read_text())
    machine_key = bytes.fromhex((folder / "machine").read_text())
    from shared.signing import private_key_from_bytes

    machine = private_key_from_bytes(machine_key)
    before = _peak_rss_mb()
    if mode == "seal":
        seal_packet(
            contents(99_999, scale=25),
            machine_key=machine,
            recipients=[str(identity.to_public())],
            out_dir=folder / "rss",
        )
    else:
        path = next((folder / "rss").glob("*.age"))
        open_packet(path, identities=[str(identity)], machine_public_key=public_key_b64(machine))
    print(f"{before:.0f} {_peak_rss_mb():.0f}")


def main() -> None:
    print(f"bench_packet on {os.cpu_count()} CPUs (shared with other work: figures may be under contention)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        identity = x25519.Identity.generate()
        machine = generate_private_key()
        recipient = str(identity.to_public())
        seal_t, base_t, size = measure(1.0, 30, folder / "typical", recipient, machine)
        print(
            f"typical packet ({size / 1e6:.2f} MB payload, 30 runs): median seal {seal_t * 1000:.1f} ms "
            f"(goal < 100 ms); plain pyrage.encrypt {base_t * 1000:.1f} ms; ratio {seal_t / base_t:.2f}"
        )
        seal_t, base_t, size = measure(25.0, 5, folder / "large", recipient, machine)
        print(
            f"large packet ({size / 1e6:.1f} MB payload, 5 runs): median seal {seal_t * 1000:.0f} ms; "
            f"plain pyrage.encrypt {base_t * 1000:.0f} ms; ratio {seal_t / base_t:.2f} (goal < 2.0)"
        )
        (folder / "id").write_text(str(identity))
        (folder / "machine").write_text(private_key_to_bytes(machine).hex())
        for mode in ("seal", "open"):
            out = subprocess.run(
                [sys.executable, __file__, mode, str(folder)], capture_output=True, text=True, check=True
            ).stdout.split()
            print(
                f"peak RSS to {mode} a {size / 1e6:.0f} MB packet: {out[1]} MB "
                f"(process held {out[0]} MB before; sealing includes generating the contents)"
            )


if __name__ == "__main__":
    if len(sys.argv) == 3:
        peak_rss_child(sys.argv[1], Path(sys.argv[2]))
    else:
        main()

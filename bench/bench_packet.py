"""Packet sealing benchmark (issues 2 and 22): median seal time and its ratio to a baseline.

Typical packet: 10 finger images, 2 iris, 1 face, 2 documents (~2 MB, incompressible like real
JPEG 2000 / PNG payloads). Large packet: 51 MB. Seal = build ZIP + hash + sign + age-encrypt + fsync +
atomic rename. Baseline (same run, runs interleaved) = age encryption of the same number of bytes from
memory into a file (pyrage.encrypt_io) + fsync. Goal (issue 22): seal <= 1.3x the baseline.

Also the peak memory of sealing and opening the 51 MB packet, each in a fresh process. Goal (issue 22):
opening takes at most the largest single entry + 16 MB more than the process held before.
"""

from __future__ import annotations

import io
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
from results import load_note, peak_rss_mb, reset_peak_rss, result

from shared.packet import BiometricRecord, Document, PacketContents, open_packet, seal_packet
from shared.rid import format_rid
from shared.signing import generate_private_key, private_key_to_bytes, public_key_b64

LARGEST_ENTRY_KB = 300  # the face image; x25 in the large packet


def contents(sequence: int, *, scale: float = 1.0) -> PacketContents:
    def blob(kb: float) -> bytes:
        return os.urandom(int(kb * 1024 * scale))

    fingers = [
        BiometricRecord("finger", f"F{i}", "ISO19794-4", 80, {"make": "bench"}, blob(120)) for i in range(10)
    ]
    irises = [
        BiometricRecord("iris", side, "ISO19794-6", 80, {"make": "bench"}, blob(100)) for side in ("L", "R")
    ]
    face = [BiometricRecord("face", "Face", "ISO19794-5", 80, {"make": "bench"}, blob(LARGEST_ENTRY_KB))]
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


def baseline_seconds(raw: bytes, folder: Path, recipients) -> float:
    """age encryption of ``raw`` from memory into a file, then fsync: what sealing cannot do without."""
    path = folder / "baseline.age"
    start = time.perf_counter()
    with path.open("wb") as handle:
        pyrage.encrypt_io(io.BytesIO(raw), handle, recipients)
        handle.flush()
        os.fsync(handle.fileno())
    elapsed = time.perf_counter() - start
    path.unlink()
    return elapsed


def measure(scale: float, runs: int, folder: Path, recipient: str, machine) -> tuple[float, float, int]:
    seal_times, base_times, size = [], [], 0
    recipients = [x25519.Recipient.from_str(recipient)]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(runs):
        c = contents(i + 1, scale=scale)
        size = payload_bytes(c)
        start = time.perf_counter()
        seal_packet(c, machine_key=machine, recipients=[recipient], out_dir=folder)
        seal_times.append(time.perf_counter() - start)
        base_times.append(baseline_seconds(os.urandom(size), folder, recipients))
    return statistics.median(seal_times), statistics.median(base_times), size


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_child(mode: str, folder: Path) -> None:
    """Run in a child: seal or open one 51 MB packet; print RSS before and peak RSS after, in MB."""
    identity = x25519.Identity.from_str((folder / "id").read_text())
    machine_key = bytes.fromhex((folder / "machine").read_text())
    from shared.signing import private_key_from_bytes

    machine = private_key_from_bytes(machine_key)
    if mode == "seal":
        reset_peak_rss()
        before = _rss_mb()
        seal_packet(
            contents(99_999, scale=25),
            machine_key=machine,
            recipients=[str(identity.to_public())],
            out_dir=folder / "rss",
        )
    else:
        path = next((folder / "rss").glob("*.age"))
        reset_peak_rss()
        before = _rss_mb()
        opened = open_packet(path, identities=[str(identity)], machine_public_key=public_key_b64(machine))
        assert opened.contents.rid
    print(f"{before:.0f} {peak_rss_mb():.0f}")


def main() -> None:
    print(f"bench_packet: {load_note()} (shared with other work: figures may be under contention)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        identity = x25519.Identity.generate()
        machine = generate_private_key()
        recipient = str(identity.to_public())
        for label, scale, runs in (("typical", 1.0, 30), ("large", 25.0, 7)):
            seal_t, base_t, size = measure(scale, runs, folder / label, recipient, machine)
            ratio = seal_t / base_t
            print(
                f"{label} packet ({size / 1e6:.1f} MB payload, {runs} runs): median seal {seal_t * 1000:.1f} ms; "
                f"baseline age encryption + write + fsync {base_t * 1000:.1f} ms; ratio {ratio:.2f} (goal <= 1.3)"
            )
            result(
                f"seal a {size / 1e6:.0f} MB packet / age encrypt + write + fsync",
                f"{ratio:.2f}x",
                "<= 1.3x",
                ratio <= 1.3,
            )
        (folder / "id").write_text(str(identity))
        (folder / "machine").write_text(private_key_to_bytes(machine).hex())
        largest = LARGEST_ENTRY_KB * 1024 * 25 / 1e6
        for mode in ("seal", "open"):
            out = subprocess.run(
                [sys.executable, __file__, mode, str(folder)], capture_output=True, text=True, check=True
            ).stdout.split()
            extra = float(out[1]) - float(out[0])
            print(
                f"peak RSS to {mode} a {size / 1e6:.0f} MB packet: {out[1]} MB, {extra:.0f} MB over the "
                f"{out[0]} MB held before{' (sealing includes generating the contents)' if mode == 'seal' else ''}"
            )
        result(
            f"open a {size / 1e6:.0f} MB packet: peak extra memory",
            f"{extra:.0f} MB",
            f"<= largest entry + 16 MB = {largest + 16:.0f} MB",
            extra <= largest + 16,
        )


if __name__ == "__main__":
    if len(sys.argv) == 3:
        peak_rss_child(sys.argv[1], Path(sys.argv[2]))
    else:
        main()

"""Biometric half of bench_dedupe: the reference ABIS (``python -m abis_service``) as its own process.

What is measured, and how the galleries are filled:

1. ``seed`` people (default 10 gallery people + 10 fillers; 2 thumbs, 2 irises and the face each, the
   synthetic records of ``tests/integration/abis/people.py``) are inserted through ``POST /abis``
   (MOSIP ``insert``, ``sync_server.abis.mosip`` bodies, ``AbisHttpClient``): the insert latency, almost
   all of it template extraction (about 1 s per person, so 10,000 real inserts are out of reach here).
2. Each measured gallery (default 50 and 200 references) is a fresh SQLite file written with
   ``abis_service.gallery.Gallery`` (the service's own store): the 10 gallery people's templates under
   their ids, then the fillers' templates copied under new reference ids up to the size. A copy costs a
   comparison exactly as another person would; probes are never fillers, so copies are impostors to
   every probe. A fresh ABIS process is started on the file (it loads every template at start).
3. Probes through ``POST /abis`` (MOSIP ``identify`` against all, records in the ``referenceURL``): half
   re-captures (impression 1) of gallery people, half new people. Then two inserts of new people.
4. Baseline, same run: one comparison of the matcher (``abis_service.templates.score``, one 5-record
   probe against one reference, in this process) on impostor pairs of the seed people.

The search is linear, so identify time is fitted as ``fixed + per_reference * N`` from the medians at
the measured sizes and extrapolated to 10,000 and 100,000: printed as an EXTRAPOLATION, not a measure.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from abis_service import wire
from abis_service.gallery import Gallery
from abis_service.templates import load, score
from sync_server.abis.http_client import AbisHttpClient
from sync_server.abis.mosip import cbeff_of, parse_answer, request_body
from sync_server.abis.port import AbisResult, BiometricRecord
from sync_server.processing.dedupe import DedupeConfig
from tests.integration.abis.people import SAMPLE, records_of

ROOT = Path(__file__).resolve().parents[1]
GALLERY_PEOPLE = 10
FILLERS = 10
NEW_PEOPLE_FROM = 5000  # synthetic person seeds of people never inserted
HIGH = DedupeConfig().high
_LOGGED = re.compile(r"identify (\S+): (\d+) searched, (\d+) candidates, (\d+) ms")


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class AbisProcess:
    """``python -m abis_service`` on a free loopback port, its log (INFO) in a file."""

    def __init__(self, db: Path) -> None:
        self.log = db.with_suffix(".log")
        started = time.perf_counter()
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "abis_service", "--port", "0", "--db", str(db), "--log-level", "INFO"],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "ready http://127.0.0.1:PORT"; empty if it died
        if not line.startswith("ready "):
            self.process.kill()
            raise RuntimeError(f"the ABIS did not start: {line!r}; see {self.log}")
        self.start_s = time.perf_counter() - started
        self.client = AbisHttpClient(line.split()[1], timeout_s=3600)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def service_ms(self) -> dict[str, float]:
        """Time inside the service per identify request id (extraction + comparing), from its log."""
        return {m[1]: float(m[4]) for m in _LOGGED.finditer(self.log.read_text())}


def _send(
    abis: AbisProcess, body: dict[str, Any], action: str, reference_id: str
) -> tuple[float, AbisResult]:
    started = time.perf_counter()
    result = parse_answer(
        abis.client.send(body), action=action, request_id=body["requestId"], reference_id=reference_id
    )
    seconds = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"{action} {body['requestId']} failed: {result.failure_message}")
    return seconds, result


def _insert_body(reference_id: str, records: list[BiometricRecord]) -> dict[str, Any]:
    return request_body(
        action="insert", request_id=f"insert-{reference_id}", reference_id=reference_id,
        payload=cbeff_of(records), gallery=None, max_results=None, at=dt.datetime.now(dt.UTC),
    )  # fmt: skip


def insert(abis: AbisProcess, reference_id: str, records: list[BiometricRecord]) -> float:
    return _send(abis, _insert_body(reference_id, records), "insert", reference_id)[0]


def gallery_id(n: int) -> str:
    return f"{7_000_000_000 + n}"  # UIN-like, as the server's inserts name references


def seed(work: Path) -> tuple[dict[str, list[Any]], list[float]]:
    """Insert the gallery people and fillers through the ABIS; (their templates by id, insert seconds)."""
    records = {gallery_id(n): records_of(n + 1) for n in range(GALLERY_PEOPLE + FILLERS)}
    abis = AbisProcess(work / "seed.db")
    try:
        times = [insert(abis, ref, recs) for ref, recs in records.items()]
    finally:
        abis.stop()
    seeded = Gallery(work / "seed.db")
    templates = seeded.templates()
    seeded.close()
    return templates, times


def build_gallery(path: Path, templates: dict[str, list[Any]], size: int) -> None:
    """The gallery people under their ids, then filler copies up to ``size`` references."""
    gallery = Gallery(path)
    ids = [gallery_id(n) for n in range(GALLERY_PEOPLE + FILLERS)]
    people, fillers = ids[:GALLERY_PEOPLE], ids[GALLERY_PEOPLE:]
    for n in range(size):
        ref = people[n] if n < len(people) else f"{8_000_000_000 + n}"
        source = people[n] if n < len(people) else fillers[n % len(fillers)]
        request_id = f"insert-{ref}"
        gallery.insert(
            ref, templates[source], at=wire.now_text(), request_id=request_id,
            answer=wire.response("insert", request_id),
        )  # fmt: skip
    gallery.close()


def comparison_baseline(templates: dict[str, list[Any]], pairs: int = 20) -> list[float]:
    """Seconds of one probe-vs-reference comparison (5 records), on impostor pairs, in this process."""
    loaded = [load(t) for t in templates.values()]
    times = []
    for n in range(pairs):
        probe, reference = loaded[n % len(loaded)], loaded[(n + 1 + n // len(loaded)) % len(loaded)]
        started = time.perf_counter()
        score(probe, reference)
        times.append(time.perf_counter() - started)
    return times


def measure_size(work: Path, templates: dict[str, list[Any]], size: int, probes: int) -> dict[str, Any]:
    build_gallery(work / f"gallery-{size}.db", templates, size)
    recaptures = [
        (gallery_id(n % GALLERY_PEOPLE), records_of(n % GALLERY_PEOPLE + 1, 1)) for n in range(probes // 2)
    ]
    fresh = [(None, records_of(NEW_PEOPLE_FROM + size + n)) for n in range(probes - len(recaptures))]
    extra = [records_of(NEW_PEOPLE_FROM + 1000 + size + n) for n in range(2)]
    abis = AbisProcess(work / f"gallery-{size}.db")
    times, found, held = [], 0, 0
    try:
        for n, (target, records) in enumerate([*recaptures, *fresh]):
            body = request_body(
                action="identify", request_id=f"identify-{size}-{n}", reference_id=f"probe-{size}-{n}",
                payload=cbeff_of(records), gallery=None, max_results=10, at=dt.datetime.now(dt.UTC),
            )  # fmt: skip
            seconds, result = _send(abis, body, "identify", f"probe-{size}-{n}")
            times.append(seconds)
            best = result.candidates[0] if result.candidates else None
            if target is not None:
                found += best is not None and best.reference_id == target and best.score >= HIGH
            else:
                held += bool(result.candidates)
            print(f"  abis {size}: identify {n + 1}/{probes} {seconds:.1f} s", flush=True)
        inserts = [insert(abis, f"{9_000_000_000 + size + n}", records) for n, records in enumerate(extra)]
    finally:
        abis.stop()
    service = list(abis.service_ms().values())
    return {
        "size": size, "start": abis.start_s, "times": times, "service_ms": service, "inserts": inserts,
        "found": found, "recaptures": len(recaptures), "held": held, "fresh": len(fresh),
    }  # fmt: skip


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """(fixed, per reference) of the least-squares line through (size, seconds)."""
    if len(points) == 1:
        return 0.0, points[0][1] / points[0][0]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def run_biometric(sizes: list[int], probes: int) -> None:
    sizes = sorted(sizes)
    if sizes[0] < GALLERY_PEOPLE or probes < 2:
        raise SystemExit(f"--bio-sizes must be at least {GALLERY_PEOPLE} and --bio-probes at least 2")
    kinds = ", ".join(f"{m} {s}".strip() for m, _t, s, _f in SAMPLE)
    print(f"\nbiometric: reference ABIS (python -m abis_service, one process), records per person: {kinds}")
    with tempfile.TemporaryDirectory(prefix="bench-abis-") as tmp:
        work = Path(tmp)
        templates, insert_times = seed(work)
        i50, i95 = percentiles(insert_times)
        base = statistics.median(comparison_baseline(templates))
        per_ref_bytes = statistics.mean(sum(len(t.data) for t in ts) for ts in templates.values())
        print(
            f"insert through POST /abis (template extraction + store): p50 {i50:.2f} s, p95 {i95:.2f} s "
            f"(n={len(insert_times)}); templates {per_ref_bytes / 1024:.0f} kB per reference\n"
            f"baseline: one comparison (abis_service.templates.score, 5-record probe vs one reference, "
            f"impostor pairs, in-process): p50 {base * 1000:.0f} ms (n=20)",
            flush=True,
        )
        rows = [measure_size(work, templates, size, probes) for size in sizes]
    print(
        f"{'gallery':>8} {'start s':>8} {'identify p50':>13} {'p95':>7} {'in service p50':>15} "
        f"{'identify/h':>11} {'p50/base':>9} {'re-captures':>12} {'new held':>9} {'insert p50':>11}"
    )
    for r in rows:
        p50, p95 = percentiles(r["times"])
        print(
            f"{r['size']:>8,} {r['start']:8.1f} {p50:11.1f} s {p95:5.1f} s "
            f"{statistics.median(r['service_ms']) / 1000:13.1f} s {3600 / p50:11.0f} {p50 / base:8.0f}x "
            f"{r['found']:>5}/{r['recaptures']:<6} {r['held']:>4}/{r['fresh']:<4} {statistics.median(r['inserts']):9.2f} s"
        )
    print(
        f"  n={probes} per size (p95 of so few is their maximum); re-captures = found as the best candidate with "
        f"score >= high ({HIGH:g}); new held = new people with any candidate (ABIS threshold 40)"
    )
    fixed, per_ref = _fit([(r["size"], statistics.median(r["times"])) for r in rows])
    fixed95, per_ref95 = _fit([(r["size"], percentiles(r["times"])[1]) for r in rows])
    print(
        f"EXTRAPOLATED, not measured: (a) linear fit of the identify times over "
        f"{', '.join(f'{s:,}' for s in sizes)}: {fixed:.1f} s + {per_ref * 1000:.0f} ms per reference; "
        f"(b) insert p50 (~ probe extraction) + N x the single comparison: {i50:.1f} s + {base * 1000:.0f} ms"
    )
    if per_ref <= 0 or per_ref95 <= 0:
        print("  (a) is unusable: the measured sizes are too close for the noise; use (b)")
    for n in (10_000, 100_000):
        fitted = (
            f"(a) p50 ~{_duration(fixed + per_ref * n)}, p95 ~{_duration(fixed95 + per_ref95 * n)}; "
            if per_ref > 0 and per_ref95 > 0
            else ""
        )
        modelled = i50 + base * n
        print(
            f"  {n:>7,} references: {fitted}(b) ~{_duration(modelled)} per identify, "
            f"~{3600 / modelled:.1f}/h per ABIS process; ~{per_ref_bytes * n / 1e9:.1f} GB of templates "
            f"in memory; filling it by {n:,} inserts ~{_duration(i50 * n)}"
        )

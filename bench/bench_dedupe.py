"""Dedupe benchmark (issue 17): identify latency and throughput against galleries of synthetic people.

Demographic: N synthetic identities written through ``IdStore.write_identity`` (demographics sealed
with AES-GCM, keyed dedupe and blocking hashes) into a throwaway SQLite database, then copied row for
row into a throwaway PostgreSQL cluster; then, per probe, the candidate search as the dedupe stage
does it: ``dedupe.blocking_texts`` + ``IdStore.candidates`` (decrypts the block) + ``matching.rank``
with ``DedupeConfig()``. Probes: a third re-entries with one letter of the name changed, a third
re-entries with day and month swapped, a third new people. Prints p50/p95 per probe, probes/s on one
thread, candidates per probe, recall of the re-entries (found with score >= low) and how many new
people would wait for an adjudicator; as a ratio to a baseline measured in the same run on the same
probes: the exact-duplicate lookup ``IdStore.find_by_dedupe_key`` the stage also makes.
Goal: demographic candidates under 20 ms p95 at 100,000 identities.

Biometric: the reference ABIS (``python -m abis_service``) at small galleries, extrapolated linearly
(see ``dedupe_abis.py``); baseline: one template comparison of its matcher.

The machine is shared with other jobs while this runs, so figures are under CPU contention.
Usage: .venv/bin/python bench/bench_dedupe.py [--sizes 10000 100000] [--probes 300]
       [--bio-sizes 50 200] [--bio-probes 6] [--no-postgres] [--no-biometric]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, insert, select, text

from bench.dedupe_people import day_month_swapped, one_letter_changed, person
from shared.rid import format_rid
from sync_server.db.backend_schema import create_backend_tables
from sync_server.db.engine import make_engine
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.idstore.tables import identities, identity_versions, uins
from sync_server.idstore.uin import generate_uin
from sync_server.processing.dedupe import DedupeConfig, blocking_text, blocking_texts, dedupe_key
from sync_server.processing.matching import rank

GOAL_P95_MS = 20.0
CONFIG = DedupeConfig()
KINDS = ("name typo", "d/m swap", "new")
REGISTERED = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def percentiles(times: Sequence[float]) -> tuple[float, float]:
    """(median, nearest-rank p95)."""
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Written:
    """The identities in the databases so far, in write order."""

    people: list[dict[str, Any]] = field(default_factory=list)
    uins: list[str] = field(default_factory=list)
    rids: list[str] = field(default_factory=list)


def write_identities(store: IdStore, written: Written, upto: int, rng: random.Random) -> float:
    """Write identities ``len(written.people)`` .. ``upto`` through ``IdStore.write_identity``; returns
    seconds. UIN registry rows are inserted in batches of 10,000 (what ``issue_uin`` would have made,
    one round trip per batch instead of two per person); each identity is one real write."""
    started, start = time.perf_counter(), len(written.people)
    taken = set(written.uins)
    for batch_start in range(start, upto, 10_000):
        batch_end = min(upto, batch_start + 10_000)
        rows = []
        for n in range(batch_start, batch_end):
            uin = generate_uin()
            while uin in taken:
                uin = generate_uin()
            taken.add(uin)
            rid = format_rid(
                center_id=10001 + n % 3,
                machine_id=10001 + n % 40,
                sequence=n // 40 + 1,
                created_at=REGISTERED,
            )
            rows.append({"uin": uin, "rid": rid, "issued_at": REGISTERED})
            written.people.append(person(rng))
            written.uins.append(uin)
            written.rids.append(rid)
        with store.engine.begin() as conn:
            conn.execute(insert(uins), rows)
        for n in range(batch_start, batch_end):
            demographics = written.people[n]
            store.write_identity(
                uin=written.uins[n],
                rid=written.rids[n],
                demographics=demographics,
                dedupe_key=dedupe_key(demographics, config=CONFIG),
                blocking_text=blocking_text(demographics, config=CONFIG),
                center_id=f"{10001 + n % 3}",
                blobs_in=[],
            )
        rate = (batch_end - start) / (time.perf_counter() - started)
        print(f"  sqlite: {batch_end:,}/{upto:,} identities written ({rate:,.0f}/s)", flush=True)
    return time.perf_counter() - started


def copy_rows(source: Engine, target: Engine, rids: Sequence[str]) -> float:
    """Copy these identities (UIN registry, identity, version 1) row for row; returns seconds."""
    started = time.perf_counter()
    for at in range(0, len(rids), 2000):
        chunk = list(rids[at : at + 2000])
        with source.connect() as conn:
            rows = {
                table: [dict(r) for r in conn.execute(select(table).where(table.c.rid.in_(chunk))).mappings()]
                for table in (uins, identities, identity_versions)
            }
        with target.begin() as conn:
            for table, found in rows.items():
                conn.execute(insert(table), found)
    with target.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Probe:
    kind: str
    demographics: dict[str, Any]
    target: str | None  # the UIN a re-entry should find


def make_probes(written: Written, count: int, rng: random.Random) -> list[Probe]:
    """``count`` probes, a third of each kind, shuffled; re-entries of people already written."""
    probes, per_kind = [], max(1, count // 3)
    indexes = list(range(len(written.people)))
    for n in rng.sample(indexes, per_kind):
        stored = written.people[n]
        typo = one_letter_changed(stored["fullName"], rng)
        probes.append(Probe("name typo", {**stored, "fullName": typo}, written.uins[n]))
    swapped = 0
    while swapped < per_kind:
        n = rng.choice(indexes)
        other = day_month_swapped(written.people[n]["dateOfBirth"])
        if other is not None:
            probes.append(Probe("d/m swap", {**written.people[n], "dateOfBirth": other}, written.uins[n]))
            swapped += 1
    fresh = random.Random(rng.random())
    probes += [Probe("new", person(fresh), None) for _ in range(per_kind)]
    rng.shuffle(probes)
    return probes


def search(store: IdStore, demographics: dict[str, Any]) -> tuple[int, list[Any]]:
    """The dedupe stage's demographic candidate search: (identities decrypted, ranked >= low)."""
    found = store.candidates(blocking_texts=blocking_texts(demographics, config=CONFIG))
    return len(found), rank(demographics, found, config=CONFIG, floor=CONFIG.low)


def exact_lookup(store: IdStore, demographics: dict[str, Any]) -> Any:
    """The baseline: the stage's exact-duplicate lookup on the same table (indexed keyed hash)."""
    return store.find_by_dedupe_key(dedupe_key(demographics, config=CONFIG))


def measure(label: str, store: IdStore, size: int, probes: list[Probe]) -> dict[str, Any]:
    for probe in probes[:20]:  # warm-up: connection pool, statement caches, page cache
        search(store, probe.demographics)
        exact_lookup(store, probe.demographics)
    times, base, decrypted, ranked = [], [], [], []
    found = {kind: 0 for kind in KINDS}
    total = {kind: 0 for kind in KINDS}
    for probe in probes:  # interleaved, so background load hits both alike
        t0 = time.perf_counter()
        exact_lookup(store, probe.demographics)
        t1 = time.perf_counter()
        count, kept = search(store, probe.demographics)
        t2 = time.perf_counter()
        base.append((t1 - t0) * 1000)
        times.append((t2 - t1) * 1000)
        decrypted.append(count)
        ranked.append(len(kept))
        total[probe.kind] += 1
        if probe.target is None:
            found[probe.kind] += bool(kept)  # a new person who would wait for an adjudicator
        else:
            found[probe.kind] += any(c.uin == probe.target for c in kept)
    p50, p95 = percentiles(times)
    b50, _b95 = percentiles(base)
    return {
        "label": label, "size": size, "p50": p50, "p95": p95, "rate": len(times) / (sum(times) / 1000),
        "base": b50, "decrypted": statistics.mean(decrypted), "ranked": statistics.mean(ranked),
        "found": found, "total": total,
    }  # fmt: skip


def print_row(r: dict[str, Any]) -> None:
    found, total = r["found"], r["total"]
    recall = "  ".join(f"{found[k]}/{total[k]}" for k in KINDS[:2])
    print(
        f"{r['label']:<11}{r['size']:>9,} {r['p50']:7.2f} {r['p95']:7.2f} {r['rate']:9.0f} "
        f"{r['base']:8.2f} {r['p50'] / r['base']:7.1f}x {r['decrypted']:7.1f} {r['ranked']:7.2f}   "
        f"{recall:<16} {found['new']}/{total['new']}",
        flush=True,
    )


HEADER = (
    f"{'backend':<11}{'gallery':>9} {'p50 ms':>7} {'p95 ms':>7} {'probes/s':>9} {'base ms':>8} "
    f"{'p50/base':>8} {'decrypt':>7} {'>= low':>7}   {'recall typo  d/m':<16} new held"
)


def run_demographic(sizes: list[int], probe_count: int, with_postgres: bool) -> list[dict[str, Any]]:
    from tests.support.postgres import postgres_available, running_cluster

    print(
        f"demographic: {probe_count} probes per size ({', '.join(KINDS)}), DedupeConfig() low {CONFIG.low:g} "
        f"high {CONFIG.high:g}; {os.cpu_count()} CPUs shared with other work",
        flush=True,
    )
    rng, results = random.Random(17), []
    with tempfile.TemporaryDirectory(prefix="bench-dedupe-") as tmp, contextlib.ExitStack() as cleanup:
        keyring = DataKeyring(Path(tmp) / "data")
        sqlite = make_engine(f"sqlite:///{tmp}/idstore.db", pre_ping=False)  # as a worker builds it
        create_backend_tables(sqlite)
        stores = [("sqlite", IdStore(engine=sqlite, keyring=keyring))]
        if with_postgres and postgres_available():
            cluster = cleanup.enter_context(running_cluster())
            pg = make_engine(cluster.create_database(), pre_ping=False)
            create_backend_tables(pg)
            stores.append(("postgresql", IdStore(engine=pg, keyring=keyring)))
        elif with_postgres:
            print("postgresql: server binaries not installed, skipped")
        try:
            written = Written()
            for size in sorted(sizes):
                before = len(written.people)
                seconds = write_identities(stores[0][1], written, size, rng)
                print(f"sqlite: {size - before:,} identities in {seconds:.1f} s through write_identity")
                if len(stores) > 1:
                    copied = copy_rows(sqlite, stores[1][1].engine, written.rids[before:])
                    print(f"postgresql: {size - before:,} identities copied row for row in {copied:.1f} s")
                probes = make_probes(written, probe_count, rng)
                for label, store in stores:
                    results.append(measure(label, store, size, probes))
            print(HEADER)
            for r in results:
                print_row(r)
        finally:
            for _label, store in stores:
                store.engine.dispose()
    return results


def summarise(results: list[dict[str, Any]]) -> None:
    print(
        "  decrypt = identities in the blocks read and decrypted per probe; >= low = candidates kept by "
        "rank;\n  recall = re-entries whose own UIN was kept (score >= low); new held = new people with a "
        "candidate (an adjudicator would look)"
    )
    biggest = max(r["size"] for r in results)
    worst = max((r for r in results if r["size"] == biggest), key=lambda r: r["p95"])
    verdict = "met" if worst["p95"] < GOAL_P95_MS else "NOT met"
    print(
        f"goal: demographic candidates p95 < {GOAL_P95_MS:.0f} ms at {biggest:,}: {verdict} "
        f"(worst backend {worst['label']}: p95 {worst['p95']:.1f} ms)"
        + ("" if biggest >= 100_000 else "  [goal is stated at 100,000; this run stopped smaller]")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--bio-sizes", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--bio-probes", type=int, default=6)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-biometric", action="store_true")
    args = parser.parse_args()
    if not 100 <= min(args.sizes) <= max(args.sizes) <= 1_000_000 or not 3 <= args.probes <= 10_000:
        parser.error("--sizes must be 100-1,000,000 and --probes 3-10,000")
    if not 10 <= min(args.bio_sizes) <= max(args.bio_sizes) <= 5_000 or not 2 <= args.bio_probes <= 50:
        parser.error(
            "--bio-sizes must be 10-5,000 (identify is linear: ~1 s per 40 references) and --bio-probes 2-50"
        )
    started = time.perf_counter()
    summarise(run_demographic(args.sizes, args.probes, not args.no_postgres))
    if not args.no_biometric:
        from bench.dedupe_abis import run_biometric

        run_biometric(args.bio_sizes, args.bio_probes)
    print(f"bench_dedupe: {time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()

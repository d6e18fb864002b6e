"""Mapping sets over a real SQLite DB: CRUD, effective dates, CSV import/export, the lookup cache, CLI."""

import datetime as dt
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select

from sync_server.db.backend_schema import AUDIT_TABLES
from sync_server.db.tables import AuditEntryRow
from sync_server.reports import mapping_csv
from sync_server.reports.mapping_csv import check_overlaps, parse_csv
from sync_server.reports.mapping_rules import MissingMapping
from sync_server.reports.mappings import (
    MappingError,
    MappingLookup,
    MappingSets,
    OverlappingEntry,
    UnknownMappingEntry,
    UnknownMappingSet,
)
from sync_server.reports.tables import metadata
from sync_server.reports_cli.mappings import mappings
from sync_server.services.audit import verify_chain
from sync_server.services.clock import use_clock

D = dt.date


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    metadata.create_all(engine)
    for table in AUDIT_TABLES:
        table.create(engine)
    return engine


@pytest.fixture
def service(engine):
    service = MappingSets(engine)
    service.save_set("center_region", title="Center to region", actor="admin1")
    return service


def audit_actions(engine) -> list[str]:
    log = AuditEntryRow.__table__
    with engine.connect() as conn:
        return list(conn.execute(select(log.c.action).order_by(log.c.seq)).scalars())


def pairs(service, set_id="center_region"):
    return [
        (e["key"], e["value"], e["effective_from"], e["effective_to"])
        for e in service.entries(set_id, limit=1000)
    ]


def test_sets_are_saved_listed_and_deleted_with_their_entries(engine, service):
    saved = service.save_set(
        "center_region", title="Centers", on_missing="fallback", fallback="UNKNOWN", actor="admin2"
    )
    assert (saved["title"], saved["on_missing"], saved["fallback"], saved["updated_by"]) == (
        "Centers",
        "fallback",
        "UNKNOWN",
        "admin2",
    )
    service.save_set("other", title="Other", on_missing="keep", actor="admin1")
    service.put_entry("center_region", "10001", "R1", actor="admin1")
    assert [(s["id"], s["entries"]) for s in service.sets()] == [("center_region", 1), ("other", 0)]
    assert service.get_set("nope") is None and service.get_set("bad id!") is None
    for bad in (
        {"set_id": "bad id", "title": "x"},
        {"set_id": "x" * 65, "title": "x"},
        {"set_id": "ok", "title": " "},
        {"set_id": "ok", "title": "x", "on_missing": "ignore"},
        {"set_id": "ok", "title": "x", "fallback": "y" * 4001},
    ):
        with pytest.raises(MappingError):
            service.save_set(**bad, actor="admin1")
    assert service.delete_set("center_region", actor="admin1") == 1
    assert [s["id"] for s in service.sets()] == ["other"] and pairs(service) == []
    with pytest.raises(UnknownMappingSet, match="no mapping set 'center_region'"):
        service.delete_set("center_region", actor="admin1")
    assert audit_actions(engine) == [
        "reports.mapping.save",
        "reports.mapping.save",
        "reports.mapping.save",
        "reports.mapping.entry.put",
        "reports.mapping.delete",
    ]
    with engine.connect() as conn:
        assert verify_chain(conn).ok


def test_entries_have_effective_ranges_that_may_not_overlap(engine, service):
    old = service.put_entry("center_region", "10001", "R1", effective_to=D(2023, 12, 31), actor="a")
    service.put_entry("center_region", "10001", "R2", effective_from=D(2024, 1, 1), actor="a")
    service.put_entry("center_region", "10002", "R3", actor="a")
    with pytest.raises(OverlappingEntry, match=r"overlaps existing entry \d+ \(2024-01-01 to open\)"):
        service.put_entry("center_region", "10001", "R9", effective_from=D(2025, 6, 1), actor="a")
    with pytest.raises(MappingError, match="after effective_to"):
        service.put_entry(
            "center_region", "10003", "R", effective_from=D(2024, 2, 1), effective_to=D(2024, 1, 1), actor="a"
        )
    for key, value in (("", "R"), ("k" * 256, "R"), ("a\nb", "R"), ("k", "v" * 4001)):
        with pytest.raises(MappingError):
            service.put_entry("center_region", key, value, actor="a")
    with pytest.raises(UnknownMappingSet):
        service.put_entry("nope", "k", "v", actor="a")
    # Moving an entry's own bounds is no overlap with itself; closing it earlier is fine too.
    changed = service.put_entry(
        "center_region", "10001", "R1b", effective_to=D(2023, 6, 30), actor="a", entry_id=old["id"]
    )
    assert changed == old | {"value": "R1b", "effective_to": D(2023, 6, 30)}
    assert pairs(service) == [
        ("10001", "R1b", None, D(2023, 6, 30)),
        ("10001", "R2", D(2024, 1, 1), None),
        ("10002", "R3", None, None),
    ]
    assert [e["value"] for e in service.entries("center_region", key="10001")] == ["R1b", "R2"]
    assert [e["value"] for e in service.entries("center_region", limit=1, offset=1)] == ["R2"]
    with pytest.raises(UnknownMappingEntry):
        service.delete_entry(old["id"], actor="a", set_id="other")
    service.delete_entry(old["id"], actor="a")
    with pytest.raises(UnknownMappingEntry):
        service.delete_entry(old["id"], actor="a")
    lookup = MappingLookup(engine)
    assert lookup.lookup("center_region", "10001", D(2024, 3, 1)) == "R2"
    assert lookup.lookup("center_region", 10002, D(2000, 1, 1)) == "R3"  # keys compare as text
    with pytest.raises(MissingMapping):
        lookup.lookup("center_region", "10001", D(2023, 1, 1))
    assert audit_actions(engine).count("reports.mapping.entry.put") == 4
    assert audit_actions(engine)[-1] == "reports.mapping.entry.delete"


BAD_FILE = (
    "key,value,effective_from,effective_to\n"
    "10001,R1,,\n"  # 2: overlaps the existing entry
    "10002,R2,2024-13-01,\n"  # 3: bad date
    "10003,R3,2024-05-01,2024-04-01\n"  # 4: from after to
    ",R4,,\n"  # 5: empty key
    f"{'k' * 256},R5,,\n"  # 6: key too long
    "10006,R6\n"  # 7: too few fields
    "10007,R7,2024-01-01,2024-12-31\n"  # 8: fine on its own...
    "10007,R7b,2024-12-31,\n"  # 9: ...but this one overlaps it on 2024-12-31
    '10008,"multi\nline",,\n'  # 10-11: fine
    "10009,R9,,,extra\n"  # 12: too many fields
).encode()


def test_import_reports_every_bad_row_and_changes_nothing(engine, service):
    service.put_entry("center_region", "10001", "R0", actor="a")
    before, actions = pairs(service), audit_actions(engine)
    result = service.import_csv("center_region", BAD_FILE, replace=False, actor="a")
    assert not result.ok and result.imported == 0 and result.error_count == 8
    assert [e.line for e in result.errors] == [2, 3, 4, 5, 6, 7, 9, 12]
    reasons = {e.line: e.reason for e in result.errors}
    assert "existing entry" in reasons[2] and "not a date" in reasons[3] and "after" in reasons[4]
    assert "empty" in reasons[5] and "longer than 255" in reasons[6] and "found 2" in reasons[7]
    assert "overlaps line 8" in reasons[9]
    assert pairs(service) == before and audit_actions(engine) == actions
    # Replacing: the existing entry no longer counts, the file's own errors still do.
    replaced = service.import_csv("center_region", BAD_FILE, replace=True, actor="a")
    assert [e.line for e in replaced.errors] == [3, 4, 5, 6, 7, 9, 12] and pairs(service) == before


def test_import_adds_or_replaces_and_export_round_trips(engine, service):
    data = (
        "\ufeffKey,Value,Effective_From,Effective_To\r\n"
        '10001,"Region, North",,2023-12-31\r\n'
        "10001,Région Nord,2024-01-01,\r\n"
        "\r\n"
        '10002,"two\nlines",2020-01-01,2030-12-31\r\n'
    ).encode()
    first = service.import_csv("center_region", data, replace=False, actor="a")
    assert first.ok and (first.imported, first.deleted) == (3, 0)
    more = service.import_csv("center_region", b"key,value\n10003,R3\n", replace=False, actor="a")
    assert more.ok and pairs(service)[-1] == ("10003", "R3", None, None)
    exported = service.export_csv("center_region")
    assert exported.startswith(b"key,value,effective_from,effective_to\r\n")
    assert "Région Nord".encode() in exported
    before = pairs(service)
    again = service.import_csv("center_region", exported, replace=True, actor="a")
    assert again.ok and (again.imported, again.deleted) == (4, 4)
    assert pairs(service) == before and service.export_csv("center_region") == exported
    assert service.import_csv("center_region", b"key,value\nX,Y\n", replace=True, actor="a").deleted == 4
    assert pairs(service) == [("X", "Y", None, None)]
    assert audit_actions(engine).count("reports.mapping.import") == 4
    with pytest.raises(UnknownMappingSet):
        service.export_csv("nope")
    with pytest.raises(UnknownMappingSet):
        service.import_csv("nope", b"key,value\n", replace=False, actor="a")


def test_whole_file_errors(monkeypatch):
    assert parse_csv(b"")[1][0].line == 1
    assert "header must be" in parse_csv(b"code,value\nA,B\n")[1][0].reason
    assert "header must be" in parse_csv(b"key,key,value\n")[1][0].reason
    assert parse_csv(b"key,value\nA,B\nC,\xff\n")[1] == [
        mapping_csv.RowError(3, "the file is not UTF-8 text")
    ]
    assert "unreadable CSV" in parse_csv(b'key,value\nA,"B\n')[1][0].reason
    monkeypatch.setattr(mapping_csv, "MAX_IMPORT_ROWS", 2)
    _rows, errors = parse_csv(b"key,value\nA,1\nB,2\nC,3\nD,4\n")
    assert errors == [mapping_csv.RowError(4, "the file has more than 2 rows")]
    monkeypatch.setattr(mapping_csv, "MAX_IMPORT_BYTES", 10)
    assert "larger than" in parse_csv(b"key,value\nA,1\n")[1][0].reason


def test_overlap_rules():
    def row(line, start, end, key="k"):
        return mapping_csv.ParsedRow(line, key, "v", start, end)

    # Adjacent ranges and other keys are fine; a shared day, an open bound or a duplicate is not.
    assert (
        check_overlaps([row(2, None, D(2024, 1, 31)), row(3, D(2024, 2, 1), None), row(4, None, None, "j")])
        == []
    )
    assert [
        e.line for e in check_overlaps([row(2, D(2024, 1, 1), D(2024, 12, 31)), row(3, None, D(2024, 1, 1))])
    ] == [2]
    assert len(check_overlaps([row(2, None, None), row(3, D(2030, 1, 1), D(2030, 1, 2))])) == 1
    assert len(check_overlaps([row(2, None, None), row(3, None, None), row(4, None, None)])) == 2
    existing = [mapping_csv.ParsedRow(0, "k", "v", D(2024, 3, 1), D(2024, 3, 31), existing_id=7)]
    assert check_overlaps([row(5, D(2024, 1, 1), D(2024, 12, 31))], existing)[0].reason.endswith(
        "existing entry 7 (2024-03-01 to 2024-03-31)"
    )


def test_lookup_cache_refreshes_after_ttl_when_the_set_changed(engine, service):
    now = [0.0]
    lookup = MappingLookup(engine, ttl_s=60, clock=lambda: now[0])
    service.put_entry("center_region", "10001", "R1", actor="a")
    assert lookup.lookup("center_region", "10001") == "R1" and lookup.loads == 1
    # The server clock stands still: updated_at still moves forward, so the edit is seen.
    with use_clock(lambda: dt.datetime(2024, 1, 1, tzinfo=dt.UTC)):
        entry = service.put_entry("center_region", "10002", "R2", actor="a")
        service.put_entry("center_region", "10001", "R1x", actor="a", entry_id=entry["id"] - 1)
    now[0] = 30
    assert lookup.lookup("center_region", "10001") == "R1"  # cached within the ttl
    now[0] = 61
    assert lookup.lookup("center_region", "10001") == "R1x" and lookup.loads == 2
    table = lookup.table("center_region")
    now[0] = 200  # expired but unchanged: the same table, no reload
    assert lookup.table("center_region") is table and lookup.loads == 2
    lookup.invalidate()
    assert lookup.table("center_region") is not table and lookup.loads == 3
    service.delete_set("center_region", actor="a")
    now[0] = 400
    with pytest.raises(UnknownMappingSet):
        lookup.table("center_region")


def test_missing_keys_follow_the_sets_rule(engine, service):
    lookup = MappingLookup(engine, ttl_s=0)
    with pytest.raises(MissingMapping, match="'center_region' has no value for 'X' on 2024-01-02"):
        lookup.lookup("center_region", "X", D(2024, 1, 2))
    service.save_set("center_region", title="t", on_missing="fallback", fallback="??", actor="a")
    assert lookup.lookup("center_region", "X") == "??"
    service.save_set("center_region", title="t", on_missing="fallback", actor="a")
    assert lookup.lookup("center_region", "X") is None
    service.save_set("center_region", title="t", on_missing="keep", actor="a")
    assert lookup.lookup("center_region", "X") == "X"
    with pytest.raises(UnknownMappingSet, match="no mapping set 'nope'"):
        lookup.lookup("nope", "X")


def test_concurrent_callers_share_one_load(engine, service):
    service.import_csv(
        "center_region",
        b"key,value\n" + b"".join(b"%d,R\n" % i for i in range(2000)),
        replace=True,
        actor="a",
    )
    lookup = MappingLookup(engine)
    tables = []
    threads = [
        threading.Thread(target=lambda: tables.append(lookup.table("center_region"))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lookup.loads == 1 and len({id(t) for t in tables}) == 1


def test_cli(tmp_path, engine):
    url = str(engine.url)
    base = ["--db", url, "--data", str(tmp_path / "data")]
    run = CliRunner().invoke
    assert run(mappings, ["set", "regions", *base]).exit_code == 1  # a new set needs a title
    result = run(mappings, ["set", "regions", "--title", "Regions", "--on-missing", "keep", *base])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("key,value,effective_from\nA,1,2024-02-30\nB,2,\n")
    result = run(mappings, ["import", "regions", str(bad), *base])
    assert result.exit_code == 1 and "bad.csv:2: effective_from '2024-02-30' is not a date" in result.output
    good = tmp_path / "good.csv"
    good.write_text("key,value\nA,1\nB,2\n")
    result = run(mappings, ["import", "regions", str(good), *base])
    assert result.exit_code == 0 and "imported 2 entries" in result.output
    assert "replaced 2" in run(mappings, ["import", "regions", str(good), "--replace", *base]).output
    assert "regions" in run(mappings, ["list", *base]).output
    assert run(mappings, ["set", "regions", "--title", "Renamed", *base]).exit_code == 0
    assert MappingSets(engine).get_set("regions")["on_missing"] == "keep"  # kept when not given
    out = tmp_path / "out.csv"
    assert run(mappings, ["export", "regions", "--to", str(out), *base]).exit_code == 0
    assert out.read_text() == run(mappings, ["export", "regions", *base]).output
    assert out.read_text().splitlines()[1] == "A,1,,"
    assert run(mappings, ["lookup", "regions", "B", "--on", "2024-01-01", *base]).output == "2\n"
    assert run(mappings, ["lookup", "regions", "Z", *base]).output == "Z\n"  # keep
    assert run(mappings, ["lookup", "nope", "Z", *base]).exit_code == 1
    assert "its 2 entries" in run(mappings, ["delete", "regions", *base]).output
    log = AuditEntryRow.__table__
    with engine.connect() as conn:
        last = conn.execute(select(log.c.actor, log.c.action).order_by(log.c.seq.desc())).first()
    assert last.actor.startswith("cli:") and last.action == "reports.mapping.delete"

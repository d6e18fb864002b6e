"""The streaming import (issue 22) refuses exactly what the in-memory checks refuse, in the same words
and order, applies good imports all-or-nothing with the same sequence numbers, and reads files of any
size one row at a time."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_server.bootstrap import build_state
from sync_server.db.tables import ChangeRow, CurrentRow
from sync_server.services import masterdata_stream
from sync_server.services.masterdata import current_row, import_documents, import_paths, parse_documents
from sync_server.services.masterdata_refs import check_import
from sync_server.services.masterdata_rules import MasterDataInvalid, parse_import
from sync_server.services.masterdata_stream import Delete, ImportReader, Row
from sync_server.settings import ServerSettings

DEMO = Path(__file__).resolve().parents[3] / "sync_server" / "demo_data"


def _doc(deletes: dict | None = None, **entities) -> bytes:
    return json.dumps(
        {"format": "openreg-masterdata/1", "entities": entities, "deletes": deletes or {}}
    ).encode()


def _loc(i: str, parent: str | None, **more) -> dict:
    return {"id": i, "parent_id": parent, "level": "city", "labels": {"eng": i}, **more}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    state = build_state(ServerSettings(data_dir=tmp_path / "server", demo=True, db_url=db_url))
    yield state.engine
    state.engine.dispose()


def _in_memory_errors(engine, documents) -> list:
    """What the preview's in-memory path (parse_documents + check_import) says, plus the missing-delete
    refusal the former append_changes made."""
    try:
        upserts, deletes, origins, delete_origins = parse_documents(documents)
    except MasterDataInvalid as exc:
        return exc.errors
    with Session(engine) as session:
        errors = check_import(
            session, upserts=upserts, deletes=deletes, origins=origins, delete_origins=delete_origins
        )
        if errors:
            return errors
        imported = {(e, r["id"]) for e, r in upserts}
        missing = [
            (e, i) for e, i in deletes if current_row(session, e, i) is None and (e, i) not in imported
        ]
    return [f"deletes.{e}: {e} {i!r} does not exist" for e, i in missing]


def _streamed_errors(engine, documents) -> list:
    def count(s):
        return (
            s.scalar(select(func.count()).select_from(ChangeRow)),
            s.scalar(select(func.count()).select_from(CurrentRow)),
        )

    with Session(engine) as session:
        before = count(session)
    with pytest.raises(MasterDataInvalid) as caught, Session(engine) as session, session.begin():
        import_documents(session, list(documents))
    with Session(engine) as session:
        assert count(session) == before, "a refused import changed master data"
    return caught.value.errors


def _same(a: list, b: list) -> bool:
    def key(e):
        return (
            e
            if isinstance(e, str)
            else f"{e.field}: {e.message}"
            if e.row is None and e.file is None
            else (e.file, e.row, e.field, e.message)
        )

    return [key(e) for e in a] == [key(e) for e in b]


CASES = {
    "duplicate across files": [
        ("a.json", _doc(genders=[{"id": "X", "labels": {"eng": "x"}}])),
        ("genders.csv", b'id,labels\nY,"{""eng"": ""y""}"\nX,"{""eng"": ""x""}"\n'),
    ],
    "imported and deleted": [
        ("a.json", _doc(genders=[{"id": "X", "labels": {"eng": "x"}}], deletes={"genders": ["X"]}))
    ],
    "dangling references in row order": [
        (
            "x.json",
            _doc(
                locations=[_loc("N1", "NOWHERE"), _loc("N2", "N2"), _loc("N3", "N1", center_id="19999")],
                document_types=[{"id": "T", "category_id": "NOPE", "labels": {"eng": "t"}}],
                centers=[{"id": "10009", "name": "C", "location_id": "NOWHERE"}],
            ),
        )
    ],
    "cycle through stored rows": [("l.json", _doc(locations=[{**_loc("R1", "R1P1C1"), "level": "region"}]))],
    "long cycle": [("l.json", _doc(locations=[_loc(f"C{i}", f"C{(i + 1) % 100}") for i in range(100)]))],
    "cycle among imported rows": [
        ("l.json", _doc(locations=[_loc("A", "B"), _loc("B", "C"), _loc("C", "A")]))
    ],
    "deleting a referred row": [
        ("d.json", _doc(deletes={"document_categories": ["POI"], "centers": ["10001"]}))
    ],
    "deleting a row that is not there": [("d.json", _doc(deletes={"genders": ["NOPE"]}))],
    "bad rows in two files": [
        ("a.json", _doc(genders=[{"id": "F", "labels": "Female"}], holidays=[{"id": "h", "date": "x"}])),
        ("languages.csv", b"id,name,rtl\neng,English,false\nxx,,maybe\n"),
    ],
    "wrong format after the rows": [
        ("a.json", b'{"entities": {"genders": [{"id": "Z", "labels": {"eng": "z"}}]}, "format": "x"}')
    ],
    "not a list": [("a.json", _doc(genders={"id": "X"}))],
    "unknown entity": [("a.json", _doc(centres=[{"id": "10009", "name": "T"}], deletes={"centres": ["1"]}))],
    "over 500 problems": [("l.json", _doc(locations=[_loc(f"M{i}", f"NOWHERE{i}") for i in range(600)]))],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refusals_match_the_in_memory_checks(engine, case: str) -> None:
    documents = CASES[case]
    expected = _in_memory_errors(engine, documents)
    got = _streamed_errors(engine, documents)
    assert expected, "the case must be refused"
    assert _same(expected, got), (expected[:5], got[:5])


def test_a_row_moving_center_leaves_a_tombstone_just_before_it(engine) -> None:
    user = json.loads((DEMO / "masterdata.json").read_text())["entities"]["users"]
    moved = next(u for u in user if u.get("center_id") == "10001")
    with Session(engine) as session, session.begin():
        result = import_documents(
            session,
            [
                (
                    "u.json",
                    _doc(
                        users=[{**moved, "center_id": "10002"}], genders=[{"id": "X", "labels": {"eng": "x"}}]
                    ),
                )
            ],
        )
    assert (result.upserts, result.applied) == (2, 3)
    with Session(engine) as session:
        log = session.execute(
            select(ChangeRow.seq, ChangeRow.entity, ChangeRow.op, ChangeRow.center_id)
            .where(ChangeRow.seq >= result.first_seq)
            .order_by(ChangeRow.seq)
        ).all()
        assert [tuple(r)[1:] for r in log] == [
            ("users", "delete", "10001"),
            ("users", "upsert", "10002"),
            ("genders", "upsert", None),
        ]
        assert result.last_seq == log[-1].seq
        assert current_row(session, "users", moved["id"])["center_id"] == "10002"


def test_deletes_follow_the_upserts_and_fold_away(engine) -> None:
    with Session(engine) as session, session.begin():
        import_documents(session, [("g.json", _doc(genders=[{"id": "X", "labels": {"eng": "x"}}]))])
    with Session(engine) as session, session.begin():
        result = import_documents(
            session,
            [("g.json", _doc(genders=[{"id": "Y", "labels": {"eng": "y"}}], deletes={"genders": ["X"]}))],
        )
    assert (result.applied, result.upserts, result.deletes) == (2, 1, 1)
    with Session(engine) as session:
        assert current_row(session, "genders", "X") is None
        assert current_row(session, "genders", "Y") == {"id": "Y", "labels": {"eng": "y"}}


def test_the_stream_reads_what_parse_import_reads() -> None:
    for path in sorted(DEMO.glob("*.json")):
        content = path.read_bytes()
        upserts, deletes = parse_import(path.name, content)
        reader = ImportReader(path.name, io.BytesIO(b"\xef\xbb\xbf" + content))  # with a byte-order mark
        items = list(reader)
        assert not reader.errors
        assert [(i.entity, i.row) for i in items if isinstance(i, Row)] == upserts
        assert [(i.entity, i.entity_id) for i in items if isinstance(i, Delete)] == deletes


def test_rows_longer_than_a_read_and_numbers_at_its_edge_parse_whole(monkeypatch) -> None:
    monkeypatch.setattr(masterdata_stream, "_CHUNK", 7)
    rows = [{"id": f"C{i}", "value": 12345678901234567890 + i, "text": "é" * 50} for i in range(20)]
    document = json.dumps(
        {"format": "openreg-masterdata/1", "entities": {"config": rows}}, ensure_ascii=False
    )
    reader = ImportReader("c.json", io.BytesIO(document.encode()))
    assert [i.row for i in reader] == rows and not reader.errors


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": "openreg-masterdata/1", "entities": {"genders": [{"id": "x"}', "not valid JSON"),
        (b'{"format": "openreg-masterdata/1"} []', "not valid JSON"),
        (b'{"format": "openreg-masterdata/1", "entities": {}, "entities": {}}', "appears twice"),
        (b'{"format": "openreg-masterdata/1", "entities": []}', "must be objects"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "must be 'openreg-masterdata/1'"),
        (
            b'{"entities": {"genders": [{"id": "x", "n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}}",
            "deeply",
        ),
    ],
)
def test_malformed_documents_are_named(content: bytes, message: str) -> None:
    reader = ImportReader("a.json", io.BytesIO(content))
    list(reader)
    assert any(message in e.message for e in reader.errors), reader.errors


def test_a_large_file_is_read_from_disk(engine, tmp_path) -> None:
    path = tmp_path / "preregistrations.json"
    rows = [
        {
            "id": f"PRE-{i:06d}",
            "center_id": "10001",
            "appointment_date": "2026-12-01",
            "data": {"fullName": f"P {i}"},
        }
        for i in range(12_000)
    ]
    path.write_text(json.dumps({"format": "openreg-masterdata/1", "entities": {"preregistrations": rows}}))
    with Session(engine) as session, session.begin():
        result = import_paths(session, [path])
    assert result.upserts == 12_000
    with Session(engine) as session:
        assert current_row(session, "preregistrations", "PRE-011999")["data"] == {"fullName": "P 11999"}


def test_progress_counts_the_bytes_of_every_file_as_they_are_read(engine, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(masterdata_stream, "_CHUNK", 4096)  # several reads per file
    big = tmp_path / "locations.json"
    big.write_bytes(_doc(locations=[_loc(f"L{i}", None) for i in range(300)]))
    csv = tmp_path / "genders.csv"
    csv.write_text('id,labels\nX1,"{""eng"": ""x""}"\n')
    seen: list[int] = []
    with Session(engine) as session, session.begin():
        result = import_paths(session, [big, csv], progress=seen.append)
    assert result.upserts == 301
    assert seen == sorted(seen) and len(seen) > 3
    assert seen[-1] == big.stat().st_size + csv.stat().st_size

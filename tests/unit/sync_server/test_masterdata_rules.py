"""Import validation names file, row and field; JSON and CSV parse to the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync_server.services.masterdata_rules import MasterDataInvalid, parse_import


def _doc(**entities) -> bytes:
    return json.dumps({"format": "openreg-masterdata/1", "entities": entities}).encode()


def test_good_json_and_csv_parse() -> None:
    upserts, deletes = parse_import(
        "a.json", _doc(languages=[{"id": "eng", "name": "English", "rtl": False}])
    )
    assert upserts == [("languages", {"id": "eng", "name": "English", "rtl": False})] and deletes == []
    csv_upserts, _ = parse_import("genders.csv", b'id,labels\nF,"{""eng"": ""Female""}"\n')
    assert csv_upserts == [("genders", {"id": "F", "labels": {"eng": "Female"}})]


@pytest.mark.parametrize(
    ("entity", "row", "field"),
    [
        ("centers", {"id": "12", "name": "x"}, "id"),
        ("users", {"id": "u", "name": "U", "roles": ["king"], "password_hash": "$argon2id$x"}, "roles"),
        ("users", {"id": "u", "name": "U", "roles": ["operator"], "password_hash": "plain"}, "password_hash"),
        (
            "users",
            {"id": "u", "name": "U", "roles": ["supervisor"], "password_hash": "$argon2id$x"},
            "totp_secret",
        ),
        ("locations", {"id": "L", "level": "planet", "labels": {"eng": "x"}}, "level"),
        ("holidays", {"id": "h", "date": "31/12/2026"}, "date"),
        ("id_schema", {"id": "s", "version": "1", "schema": {}}, "version"),
        ("genders", {"id": "F", "labels": "Female"}, "labels"),
        ("reject_reasons", {"id": "BLUR"}, "labels"),
        ("config", {"id": "k", "center_id": "1"}, "center_id"),
        ("preregistrations", {"id": "PRE-1", "data": {"fullName": "A"}}, "center_id"),
        ("templates", {"id": "registration_consent", "texts": "I agree"}, "texts"),
        ("templates", {"id": "registration_consent", "texts": {"eng": "x" * 20_001}}, "texts"),
        ("preregistrations", {"id": "PRE-1", "center_id": "10001", "data": "A"}, "data"),
        (
            "preregistrations",
            {"id": "PRE-1", "center_id": "10001", "data": {}, "appointment_date": "tomorrow"},
            "appointment_date",
        ),
    ],
)
def test_bad_rows_are_named(entity: str, row: dict, field: str) -> None:
    good = {"genders": {"id": "M", "labels": {"eng": "Male"}}}.get(entity)
    rows = [good, row] if good else [row]
    with pytest.raises(MasterDataInvalid) as caught:
        parse_import("import.json", _doc(**{entity: rows}))
    assert any(
        e.file == "import.json" and e.row == len(rows) and e.field == field for e in caught.value.errors
    ), caught.value.errors


def test_the_demo_reject_reasons_import_with_a_label_per_kiosk_language() -> None:
    demo = Path(__file__).resolve().parents[3] / "sync_server" / "demo_data" / "masterdata.json"
    upserts, _ = parse_import("masterdata.json", demo.read_bytes())
    reasons = [row for entity, row in upserts if entity == "reject_reasons"]
    assert reasons and all(set(r["labels"]) == {"eng", "fra", "ara"} for r in reasons)


def test_csv_rows_count_the_header() -> None:
    with pytest.raises(MasterDataInvalid) as caught:
        parse_import("languages.csv", b"id,name,rtl\neng,English,false\nxx,,maybe\n")
    assert {(e.file, e.row, e.field) for e in caught.value.errors} == {
        ("languages.csv", 3, "name"),
        ("languages.csv", 3, "rtl"),
    }


def test_wrong_format_and_bad_json_refused() -> None:
    with pytest.raises(MasterDataInvalid, match="format"):
        parse_import("a.json", b'{"format": "other"}')
    with pytest.raises(MasterDataInvalid, match="not valid JSON"):
        parse_import("a.json", b"{")

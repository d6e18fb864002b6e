"""The server refuses any import the kiosk could not apply, or that leaves master data inconsistent:
ID schemas and UI specs through the kiosk's own loaders, unknown entities, dangling references,
duplicate ids, location cycles. Each refusal names file, row and field, and changes nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_server.bootstrap import build_state
from sync_server.db.tables import ChangeRow, CurrentRow
from sync_server.services.masterdata import import_documents
from sync_server.services.masterdata_rules import MasterDataInvalid
from sync_server.settings import ServerSettings

DEMO = Path(__file__).resolve().parents[3] / "sync_server" / "demo_data"


def _doc(deletes: dict | None = None, **entities) -> bytes:
    return json.dumps(
        {"format": "openreg-masterdata/1", "entities": entities, "deletes": deletes or {}}
    ).encode()


def _demo_row(file: str, entity: str) -> dict:
    return copy.deepcopy(json.loads((DEMO / file).read_text())["entities"][entity][0])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    state = build_state(ServerSettings(data_dir=tmp_path / "server", demo=True, db_url=db_url))
    yield state.engine
    state.engine.dispose()


def _log_size(engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(ChangeRow)),
            session.scalar(select(func.count()).select_from(CurrentRow)),
        )


def _refused(engine, *documents: tuple[str, bytes]) -> list:
    before = _log_size(engine)
    with pytest.raises(MasterDataInvalid) as caught, Session(engine) as session, session.begin():
        import_documents(session, list(documents))
    assert _log_size(engine) == before, "a refused import changed master data"
    return caught.value.errors


def _named(errors, file: str, row: int | None, field: str, text: str = "") -> bool:
    return any(e.file == file and e.row == row and e.field == field and text in e.message for e in errors)


def _import(engine, *documents: tuple[str, bytes]) -> None:
    with Session(engine) as session, session.begin():
        import_documents(session, list(documents))


def test_demo_data_imports_and_a_good_change_is_accepted(engine) -> None:
    spec = _demo_row("ui_spec.json", "ui_spec")
    spec["version"] = spec["spec"]["version"] = 2
    _import(engine, ("spec.json", _doc(ui_spec=[spec], genders=[{"id": "X", "labels": {"eng": "Other"}}])))


def test_id_schema_the_kiosk_loader_refuses_is_refused(engine) -> None:
    schema = _demo_row("id_schema.json", "id_schema")
    schema["schema"]["fields"][0]["type"] = "blob"
    errors = _refused(engine, ("schema.json", _doc(id_schema=[schema])))
    assert _named(errors, "schema.json", 1, "schema", "unknown type 'blob'"), errors


def test_ui_spec_naming_a_field_its_schema_lacks_is_refused(engine) -> None:
    spec = _demo_row("ui_spec.json", "ui_spec")
    spec["spec"]["screens"][0]["fields"].append({"id": "shoeSize", "labels": {"eng": "Shoe size"}})
    ok = {"id": "X", "labels": {"eng": "Other"}}
    errors = _refused(engine, ("a.json", _doc(genders=[ok])), ("spec.json", _doc(ui_spec=[spec])))
    assert _named(errors, "spec.json", 1, "spec", "shoeSize"), errors


def test_ui_spec_naming_an_unknown_schema_or_version_is_refused(engine) -> None:
    spec = _demo_row("ui_spec.json", "ui_spec")
    spec["spec"]["schema_id"] = "nosuch"
    assert _named(_refused(engine, ("s.json", _doc(ui_spec=[spec]))), "s.json", 1, "spec", "'nosuch'")
    spec["spec"]["schema_id"], spec["spec"]["schema_version"] = "default", 7
    assert _named(_refused(engine, ("s.json", _doc(ui_spec=[spec]))), "s.json", 1, "spec", "version 7")


def test_new_schema_that_breaks_the_stored_ui_spec_is_refused(engine) -> None:
    schema = _demo_row("id_schema.json", "id_schema")
    schema["version"] = schema["schema"]["version"] = 2
    schema["schema"]["fields"] = [f for f in schema["schema"]["fields"] if f["id"] != "email"]
    errors = _refused(engine, ("id_schema.csv", _csv(schema)))
    assert _named(errors, "id_schema.csv", 2, "schema", "ui_spec 'new_registration' would break"), errors


def _csv(row: dict) -> bytes:
    quoted = json.dumps(row["schema"]).replace('"', '""')
    return f'id,version,schema\n{row["id"]},{row["version"]},"{quoted}"\n'.encode()


def test_unknown_entity_name_is_refused(engine) -> None:
    errors = _refused(engine, ("c.json", _doc(centres=[{"id": "10009", "name": "Typo"}])))
    assert any(e.file == "c.json" and e.field == "centres" and "unknown entity" in e.message for e in errors)
    errors = _refused(engine, ("centres.csv", b"id,name\n10009,Typo\n"))
    assert any(e.file == "centres.csv" and "unknown entity" in e.message for e in errors)
    errors = _refused(engine, ("d.json", _doc(deletes={"centres": ["10001"]})))
    assert any(e.field == "deletes.centres" for e in errors)


@pytest.mark.parametrize(
    ("entity", "row", "field"),
    [
        (
            "users",
            {"name": "U", "roles": ["operator"], "password_hash": "$argon2id$x", "center_id": "19999"},
            "center_id",
        ),
        ("preregistrations", {"center_id": "19999", "data": {}}, "center_id"),
        ("document_types", {"category_id": "NOPE", "labels": {"eng": "x"}}, "category_id"),
        ("locations", {"parent_id": "NOWHERE", "level": "city", "labels": {"eng": "x"}}, "parent_id"),
        ("centers", {"name": "C", "location_id": "NOWHERE"}, "location_id"),
    ],
)
def test_dangling_references_are_refused(engine, entity: str, row: dict, field: str) -> None:
    row = {"id": "10009" if entity == "centers" else "NEW1", **row}
    good = {"id": "X", "labels": {"eng": "Other"}}
    errors = _refused(engine, ("x.json", _doc(genders=[good], **{entity: [row]})))
    assert _named(errors, "x.json", 1, field, "names no row"), errors


def test_a_reference_to_a_row_in_the_same_import_is_fine(engine) -> None:
    _import(
        engine,
        ("c.json", _doc(centers=[{"id": "10009", "name": "New"}])),
        (
            "u.json",
            _doc(
                users=[
                    {
                        "id": "op9",
                        "name": "U",
                        "roles": ["operator"],
                        "password_hash": "$argon2id$x",
                        "center_id": "10009",
                    }
                ]
            ),
        ),
    )


def test_deleting_a_row_others_refer_to_is_refused(engine) -> None:
    errors = _refused(engine, ("d.json", _doc(deletes={"document_categories": ["POI"]})))
    assert any(
        e.file == "d.json" and e.field == "deletes.document_categories" and "PASSPORT" in e.message
        for e in errors
    ), errors
    errors = _refused(engine, ("d.json", _doc(deletes={"centers": ["10001"]})))
    assert any("operator1" in e.message for e in errors), errors


def test_duplicate_ids_are_refused(engine) -> None:
    row = {"id": "X", "labels": {"eng": "Other"}}
    errors = _refused(engine, ("a.json", _doc(genders=[row, dict(row)])))
    assert _named(errors, "a.json", 2, "id", "duplicate id 'X'"), errors
    errors = _refused(
        engine,
        ("a.json", _doc(genders=[row])),
        ("genders.csv", b'id,labels\nY,"{""eng"": ""y""}"\nX,"{""eng"": ""x""}"\n'),
    )
    assert _named(errors, "genders.csv", 3, "id", "also at a.json row 1"), errors


def test_location_self_parent_and_cycles_are_refused(engine) -> None:
    def loc(i: str, parent: str | None) -> dict:
        return {"id": i, "parent_id": parent, "level": "city", "labels": {"eng": i}}

    errors = _refused(engine, ("l.json", _doc(locations=[loc("A", "A")])))
    assert _named(errors, "l.json", 1, "parent_id", "its own parent"), errors
    errors = _refused(engine, ("l.json", _doc(locations=[loc("A", "B"), loc("B", "C"), loc("C", "A")])))
    assert _named(errors, "l.json", 1, "parent_id", "location cycle: A -> B -> C -> A"), errors
    # a cycle closed through a stored row: the region R1 re-parented under its own city
    errors = _refused(engine, ("l.json", _doc(locations=[{**loc("R1", "R1P1C1"), "level": "region"}])))
    assert _named(errors, "l.json", 1, "parent_id", "location cycle: R1 -> R1P1C1 -> R1P1 -> R1"), errors


def test_spec_without_schema_id_is_checked_against_the_newest_schema(engine) -> None:
    spec = _demo_row("ui_spec.json", "ui_spec")
    del spec["spec"]["schema_id"]
    _import(engine, ("spec.json", _doc(ui_spec=[spec])))
    other = _demo_row("id_schema.json", "id_schema")
    other["id"], other["version"] = "slim", 5
    other["schema"]["fields"] = other["schema"]["fields"][:3]
    errors = _refused(engine, ("slim.json", _doc(id_schema=[other])))
    assert _named(errors, "slim.json", 1, "schema", "ui_spec 'new_registration' would break"), errors


def test_consent_field_and_its_text_import_and_a_spec_naming_a_missing_template_is_refused(engine) -> None:
    """The demo consent field (issue 14) loads on the server; its text must exist in master data."""
    spec = _demo_row("ui_spec.json", "ui_spec")
    assert spec["spec"]["screens"][0]["fields"][0]["template"] == "registration_consent"
    template = _demo_row("ui_spec.json", "templates")
    spec["version"] = spec["spec"]["version"] = 2
    _import(engine, ("spec.json", _doc(ui_spec=[spec], templates=[template])))
    spec["spec"]["screens"][0]["fields"][0]["template"] = "nosuch"
    errors = _refused(engine, ("spec.json", _doc(ui_spec=[spec])))
    assert _named(errors, "spec.json", 1, "spec", "template 'nosuch', which does not exist"), errors
    errors = _refused(engine, ("del.json", _doc(deletes={"templates": ["registration_consent"]})))
    assert _named(errors, "del.json", None, "deletes.templates", "'new_registration' still shows it"), errors

"""sync_server.services.masterdata_rules row by row: what each entity's row needs, and the words an admin
reads for each problem (file, row, field and message)."""

import json

import pytest

from shared.exit_codes import BAD_INPUT
from shared.forms.consent import MAX_TEMPLATE_TEXT
from shared.sync import FieldError
from sync_server.services.masterdata_rules import (
    ENTITIES,
    LOCATION_LEVELS,
    ROLES,
    MasterDataInvalid,
    csv_cell,
    entity_errors,
    parse_import,
    parse_json_document,
    row_errors,
    validate_rows,
)

ARGON = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
USER = {"id": "u1", "name": "Awa", "roles": ["operator"], "password_hash": ARGON}
SUPERVISOR = USER | {"roles": ["supervisor"], "totp_secret": "JBSWY3DPEHPK3PXP"}
LABELS = {"eng": "Female", "fra": "Femme"}
REQUIRED_ID = "is required and must be a non-empty string (at most 200 characters)"
LABELS_WORDS = "must be an object of language code -> text"
NOT_A_DATE = "is not an ISO date (YYYY-MM-DD)"


def problems(entity: str, row: object) -> set[tuple[str | None, str]]:
    """(field, message) of each problem of ``row`` as row 7 of file f.json, checking where it is said."""
    found = row_errors("f.json", entity, row, 7)
    for error in found:
        assert error.file == "f.json" and error.row == 7
        if error.field is not None:
            assert error.loc == [entity, 7, error.field]
    return {(e.field, e.message) for e in found}


def said(entity: str, field: str, message: str) -> set[tuple[str, str]]:
    return {(field, f"{entity}: {message}")}


@pytest.mark.parametrize(
    ("entity", "row"),
    [
        ("centers", {"id": "10001", "name": "Bamako"}),
        ("users", USER),
        ("users", USER | {"center_ids": ["10001", "10002"]}),
        ("users", USER | {"center_ids": [f"{10000 + i}" for i in range(1000)]}),
        ("users", SUPERVISOR),
        ("users", SUPERVISOR | {"totp_secret": "jbswy3dpehpk3pxp"}),  # any case
        ("users", SUPERVISOR | {"totp_secret": "JBSWY3D"}),  # padding is added
        ("users", SUPERVISOR | {"roles": sorted(ROLES)}),  # every role at once
        ("genders", {"id": "F", "labels": LABELS}),
        ("document_categories", {"id": "POI", "labels": LABELS}),
        ("reject_reasons", {"id": "BLUR", "labels": LABELS}),
        *(("locations", {"id": "L", "level": level, "labels": LABELS}) for level in sorted(LOCATION_LEVELS)),
        ("locations", {"id": "P", "level": "province", "parent_id": "R", "labels": LABELS}),
        ("document_types", {"id": "PAS", "category_id": "POI", "labels": LABELS}),
        ("ui_spec", {"id": "s", "version": 2, "spec": {}}),
        ("config", {"id": "k", "value": None}),
        ("config", {"id": "k", "value": 1, "center_id": "10001"}),
        ("holidays", {"id": "h", "date": "2026-12-25"}),
        ("languages", {"id": "ara", "name": "Arabic", "rtl": True}),
        ("device_models", {"id": "d", "modality": "finger"}),
        ("templates", {"id": "t", "texts": {"eng": "x" * MAX_TEMPLATE_TEXT}}),
        ("preregistrations", {"id": "P1", "center_id": "10001", "data": {}}),
        (
            "preregistrations",
            {"id": "P1", "center_id": "10001", "data": {}, "appointment_date": "2026-12-01"},
        ),
        ("machines", {"id": "x" * 200}),
    ],
)
def test_sound_rows_have_no_problem(entity, row):
    assert problems(entity, row) == set()


@pytest.mark.parametrize(
    ("entity", "row", "field", "message"),
    [
        ("machines", {}, "id", REQUIRED_ID),
        ("machines", {"id": ""}, "id", REQUIRED_ID),
        ("machines", {"id": 5}, "id", REQUIRED_ID),
        ("machines", {"id": "x" * 201}, "id", REQUIRED_ID),
        (
            "config",
            {"id": "k", "value": 1, "center_id": "1000"},
            "center_id",
            "must be a 5-digit center id or null",
        ),
        (
            "config",
            {"id": "k", "value": 1, "center_id": 10001},
            "center_id",
            "must be a 5-digit center id or null",
        ),
        ("config", {"id": "k"}, "value", "is required (any JSON value)"),
        ("centers", {"id": "1000", "name": "B"}, "id", "a center id must be a 5-digit string"),
        ("centers", {"id": "100011", "name": "B"}, "id", "a center id must be a 5-digit string"),
        ("centers", {"id": "10001"}, "name", "is required and must be text"),
        ("centers", {"id": "10001", "name": True}, "name", "is required and must be text"),
        ("users", {k: v for k, v in USER.items() if k != "name"}, "name", "is required and must be text"),
        ("users", USER | {"roles": "operator"}, "roles", "is required and must be a list of roles"),
        ("users", USER | {"roles": []}, "roles", f"must be a non-empty subset of {sorted(ROLES)}"),
        (
            "users",
            USER | {"roles": ["operator", "king"]},
            "roles",
            f"must be a non-empty subset of {sorted(ROLES)}",
        ),
        *(
            ("users", USER | {"center_ids": ids}, "center_ids", CENTER_IDS)
            for CENTER_IDS in ["must be a list of 5-digit center ids (a center admin's centers)"]
            for ids in ("10001", ["1000"], [10001], [f"{10000 + i}" for i in range(1001)])
        ),
        (
            "users",
            {k: v for k, v in USER.items() if k != "password_hash"},
            "password_hash",
            "is required and must be an argon2id PHC string",
        ),
        (
            "users",
            USER | {"password_hash": "$argon2i$v=19"},
            "password_hash",
            "must be an argon2id PHC string ($argon2id$...)",
        ),
        (
            "users",
            USER | {"roles": ["supervisor"]},
            "totp_secret",
            "is required and must be a base32 TOTP secret (supervisors)",
        ),
        ("users", SUPERVISOR | {"totp_secret": "ABC"}, "totp_secret", "is not valid base32"),
        ("users", SUPERVISOR | {"totp_secret": "JBSWY3D1"}, "totp_secret", "is not valid base32"),
        ("genders", {"id": "F"}, "labels", LABELS_WORDS),
        ("genders", {"id": "F", "labels": {}}, "labels", LABELS_WORDS),
        ("document_categories", {"id": "F", "labels": {"eng": 1}}, "labels", LABELS_WORDS),
        ("reject_reasons", {"id": "F", "labels": ["eng"]}, "labels", LABELS_WORDS),
        (
            "locations",
            {"id": "L", "level": "planet", "labels": LABELS},
            "level",
            f"must be one of {sorted(LOCATION_LEVELS)}",
        ),
        (
            "locations",
            {"id": "L", "level": "city", "labels": LABELS, "parent_id": 3},
            "parent_id",
            "must be a location id or null",
        ),
        ("locations", {"id": "L", "level": "city"}, "labels", LABELS_WORDS),
        (
            "document_types",
            {"id": "T", "labels": LABELS},
            "category_id",
            "is required and must be a document category id",
        ),
        ("document_types", {"id": "T", "category_id": "POI"}, "labels", LABELS_WORDS),
        (
            "ui_spec",
            {"id": "s", "version": True, "spec": {}},
            "version",
            "is required and must be an integer",
        ),
        ("ui_spec", {"id": "s", "version": "2", "spec": {}}, "version", "is required and must be an integer"),
        ("ui_spec", {"id": "s", "version": 2, "schema": {}}, "spec", "is required and must be a JSON object"),
        (
            "id_schema",
            {"id": "s", "version": 2, "spec": {}},
            "schema",
            "is required and must be a JSON object",
        ),
        ("holidays", {"id": "h"}, "date", "is required and must be an ISO date (YYYY-MM-DD)"),
        ("holidays", {"id": "h", "date": "2026-13-01"}, "date", NOT_A_DATE),
        ("languages", {"id": "l", "rtl": False}, "name", "is required and must be text"),
        (
            "languages",
            {"id": "l", "name": "L", "rtl": "false"},
            "rtl",
            "is required and must be true or false",
        ),
        ("device_models", {"id": "d"}, "modality", "is required and must be text"),
        ("templates", {"id": "t", "texts": {"eng": 5}}, "texts", LABELS_WORDS),
        (
            "templates",
            {"id": "t", "texts": {"eng": "x" * (MAX_TEMPLATE_TEXT + 1)}},
            "texts",
            f"a text is longer than {MAX_TEMPLATE_TEXT} characters",
        ),
        (
            "preregistrations",
            {"id": "P", "data": {}},
            "center_id",
            "is required and must be the 5-digit center where the applicant will come",
        ),
        (
            "preregistrations",
            {"id": "P", "center_id": "10001", "data": []},
            "data",
            "is required and must be an object of form field id -> value",
        ),
        (
            "preregistrations",
            {"id": "P", "center_id": "10001", "data": {}, "appointment_date": 20261201},
            "appointment_date",
            NOT_A_DATE,
        ),
        (
            "preregistrations",
            {"id": "P", "center_id": "10001", "data": {}, "appointment_date": "2026-02-30"},
            "appointment_date",
            NOT_A_DATE,
        ),
    ],
)
def test_each_problem_names_its_field_in_words(entity, row, field, message):
    assert problems(entity, row) == said(entity, field, message)


def test_an_id_schema_the_kiosk_cannot_load_is_refused_with_the_loaders_words():
    found = problems("id_schema", {"id": "s", "version": 1, "schema": {"fields": "none"}})
    assert len(found) == 1 and next(iter(found))[0] == "schema"


def test_a_row_that_is_not_an_object():
    assert [(e.file, e.row, e.field, e.message) for e in row_errors("f.json", "genders", ["F"], 4)] == [
        ("f.json", 4, None, "genders: a row must be a JSON object")
    ]


@pytest.mark.parametrize(
    ("entity", "message"),
    [
        ("Genders", "entity names are lower-case letters, digits, _"),
        ("9genders", "entity names are lower-case letters, digits, _"),
        ("g" * 65, "entity names are lower-case letters, digits, _"),
        ("centres", f"unknown entity 'centres'; known: {sorted(ENTITIES)}"),
        ("g" * 64, f"unknown entity '{'g' * 64}'; known: {sorted(ENTITIES)}"),
    ],
)
def test_entity_names_are_checked_before_rows(entity, message):
    assert [(e.file, e.field, e.message) for e in entity_errors("f.json", entity)] == [
        ("f.json", entity, message)
    ]
    assert [(e.file, e.message) for e in validate_rows("f.json", entity, [{"id": 1}])] == [
        ("f.json", message)
    ]


def test_rows_are_numbered_from_first_row_and_must_be_a_list():
    errors = validate_rows("f.csv", "genders", [{"id": "F", "labels": LABELS}, {"id": "M"}], first_row=2)
    assert [(e.row, e.field) for e in errors] == [(3, "labels")]
    assert [(e.file, e.field, e.message) for e in validate_rows("f.json", "genders", {"id": "F"})] == [
        ("f.json", "genders", "an entity holds a list of row objects")
    ]
    assert entity_errors("f.json", "genders") == []


def doc(**parts: object) -> dict:
    return {"format": "openreg-masterdata/1", **parts}


def refusal(document: object) -> list[tuple[str | None, int | None, str | None, str]]:
    with pytest.raises(MasterDataInvalid) as caught:
        parse_json_document("m.json", document)
    assert caught.value.exit_code == BAD_INPUT
    return [(e.file, e.row, e.field, e.message) for e in caught.value.errors]


def test_a_document_names_its_format_and_holds_objects():
    format_error = [("m.json", None, "format", "must be 'openreg-masterdata/1'")]
    assert refusal([]) == format_error
    assert refusal({"format": "openreg-masterdata/2"}) == format_error
    assert refusal(doc(entities=[])) == [("m.json", None, None, "entities and deletes must be objects")]
    assert refusal(doc(deletes=[])) == [("m.json", None, None, "entities and deletes must be objects")]
    assert parse_json_document("m.json", doc()) == ([], [])


def test_deletes_name_known_entities_and_non_empty_ids():
    upserts, removals = parse_json_document(
        "m.json", doc(entities={"genders": [{"id": "F", "labels": LABELS}]}, deletes={"genders": ["M", "X"]})
    )
    assert upserts == [("genders", {"id": "F", "labels": LABELS})]
    assert removals == [("genders", "M"), ("genders", "X")]
    assert refusal(doc(deletes={"centres": ["1"], "genders": "M", "holidays": [""], "users": [1]})) == [
        ("m.json", None, "deletes.centres", "unknown entity 'centres'"),
        ("m.json", None, "deletes.genders", "must be a list of ids"),
        ("m.json", None, "deletes.holidays", "must be a list of ids"),
        ("m.json", None, "deletes.users", "must be a list of ids"),
    ]


def test_every_problem_of_a_document_is_listed_and_the_first_ten_are_said():
    bad = [{"id": f"G{i}"} for i in range(12)]
    with pytest.raises(MasterDataInvalid) as caught:
        parse_json_document("m.json", doc(entities={"genders": bad, "centres": []}))
    assert len(caught.value.errors) == 13
    words = str(caught.value).split("; ")
    assert len(words) == 10
    assert words[0] == "m.json, row 1, labels: genders: must be an object of language code -> text"
    assert "centres" not in str(caught.value)  # the 13th problem is listed, not said
    with pytest.raises(MasterDataInvalid, match="^m.json, format: must be 'openreg-masterdata/1'$"):
        parse_json_document("m.json", {})
    with pytest.raises(MasterDataInvalid, match="^bad.json: not UTF-8: ") as caught:
        parse_import("in/bad.json", b"\xff")
    assert caught.value.errors[0].file == "bad.json"


@pytest.mark.parametrize(
    ("column", "text", "value"),
    [
        ("labels", '{"eng": "x"}', {"eng": "x"}),
        ("roles", ' ["operator"] ', ["operator"]),
        ("name", '"quoted"', "quoted"),
        ("rtl", "true", True),
        ("rtl", "false", False),
        ("value", "null", None),
        ("labels", "{broken", "{broken"),  # left as typed; the row check names it
        ("labels", " [" * 5000, " [" * 5000),
        ("version", " 3 ", 3),
        ("version", "3a", "3a"),
        ("name", "3", "3"),
        ("name", "True", "True"),
    ],
)
def test_csv_cells_read_json_where_it_looks_like_json(column, text, value):
    assert csv_cell(column, text) == value


def test_csv_files_drop_empty_cells_and_extra_columns_and_count_the_header():
    upserts, deletes = parse_import("dir/genders.CSV", b'id,labels\nF,"{""eng"": ""F""}",extra\n')
    assert upserts == [("genders", {"id": "F", "labels": {"eng": "F"}})] and deletes == []
    with pytest.raises(MasterDataInvalid) as caught:
        parse_import("genders.csv", b"id,labels\nF,\n")
    assert [(e.file, e.row, e.field) for e in caught.value.errors] == [("genders.csv", 2, "labels")]


def test_json_files_may_start_with_a_byte_order_mark_and_are_named_by_their_base_name():
    body = "\ufeff" + json.dumps(doc(entities={"genders": [{"id": "F", "labels": LABELS}]}))
    assert parse_import("some/dir/m.json", body.encode()) == (
        [("genders", {"id": "F", "labels": LABELS})],
        [],
    )
    with pytest.raises(MasterDataInvalid) as caught:
        parse_import("some/dir/m.json", b"{")
    assert caught.value.errors[0].file == "m.json"
    assert caught.value.errors[0].message.startswith("not valid JSON: ")
    with pytest.raises(MasterDataInvalid, match="^m.json: not valid JSON: nested too deeply$"):
        parse_import("m.json", b"[" * 200_000)


@pytest.mark.parametrize(
    ("entity", "row", "fields"),
    [
        ("locations", {"id": "L", "level": "planet", "parent_id": 1}, {"level", "parent_id", "labels"}),
        ("document_types", {"id": "T"}, {"category_id", "labels"}),
        ("users", {"id": "u", "roles": [], "password_hash": "x"}, {"name", "roles", "password_hash"}),
    ],
)
def test_every_problem_of_a_row_is_listed(entity, row, fields):
    assert {field for field, _ in problems(entity, row)} == fields


def test_deletes_of_several_entities_all_count():
    _, removals = parse_json_document("m.json", doc(deletes={"genders": ["M"], "holidays": ["h1", "h2"]}))
    assert removals == [("genders", "M"), ("holidays", "h1"), ("holidays", "h2")]


def test_a_csv_version_column_is_a_number():
    upserts, _ = parse_import("ui_spec.csv", b'id,version,spec\ns,2,"{}"\n')
    assert upserts == [("ui_spec", {"id": "s", "version": 2, "spec": {}})]


def test_a_problem_with_no_place_is_said_alone():
    assert str(MasterDataInvalid([FieldError(message="the import is empty")])) == "the import is empty"
    assert str(MasterDataInvalid([FieldError(file="m.json", message="x")])) == "m.json: x"

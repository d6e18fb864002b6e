"""The converter on MOSIP's own published identity schema and UI-spec processes (../shared), and on small
made-up ones for the cases those files do not show: what converts loads in OpenReg's forms engine and
behaves as MOSIP's form does; every element left out is reported with a JSON path that exists."""

import datetime as dt
import json
import re

import pytest

from shared.forms import FormEngine, load_id_schema, load_ui_spec, process_engine
from sync_server.masterdata_mosip import MosipInputError, convert
from tests.support.mosip import ADULT, mosip_dir, mosip_inputs

TODAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def mosip():
    schema, processes = mosip_inputs()
    return convert(schema=schema, ui_specs=processes)


def resolve(document, path):
    """The element a report's JSON path names (KeyError/IndexError when there is none)."""
    node = document
    for key, quoted, index in re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\['([^']*)'\]|\[(\d+)\]", path[1:]):
        node = node[int(index)] if index else node[key or quoted]
    return node


def engines(conversion):
    schema = load_id_schema(conversion.id_schema)
    specs = {row["spec"]["flow"]: load_ui_spec(row, schema) for row in conversion.ui_specs}
    return schema, {flow: FormEngine(schema=schema, ui_spec=spec) for flow, spec in specs.items()}


def test_mosip_published_form_converts_and_says_what_does_not(mosip):
    summary = mosip.report.summary
    assert (summary["schema"]["properties"], summary["schema"]["converted"]) == (35, 31)
    assert summary["schema"]["not_converted"] == ["IDSchemaVersion", "UIN", "residenceStatus", "zone"]
    assert (summary["processes"]["new"]["fields"], summary["processes"]["new"]["converted"]) == (29, 25)
    assert summary["processes"]["new"]["not_converted"] == [
        "IDSchemaVersion",
        "residenceStatus",
        "zone",
        "introducerBiometrics",
    ]
    assert {f: (p["fields"], p["converted"]) for f, p in summary["processes"].items()} == {
        "new": (29, 25),
        "update": (29, 25),
        "lost": (24, 21),
    }
    folder = mosip_dir()
    for item in mosip.report.items:  # every path names an element of its file
        resolve(json.loads((folder / item.source).read_text()), item.path)
    not_converted = {(i.source, i.path) for i in mosip.report.items if i.status == "not_converted"}
    assert ("mosip_ui_spec_newProcess.json", "$.screens[1].fields[11]") in not_converted  # zone
    assert ("mosip_ui_spec_updateProcess.json", "$.autoSelectedGroups") in not_converted


def test_converted_new_registration_behaves_as_mosip_form(mosip):
    schema, forms = engines(mosip)
    new = process_engine(forms["new"], flow="new")
    screens = [s.id for s in new.ui_spec.screens]
    assert screens == ["consentdet", "DemographicDetails", "Documents", "BiometricDetails"]
    assert new.ui_spec.screens[0].fields[0].id == "consent"
    assert new.ui_spec.screens[0].fields[0].template == "registration_consent"
    assert (new.ui_spec.default_language, new.ui_spec.second_language) == ("eng", "ara")
    assert schema.fields["province"].parent == "region" and schema.fields["postalCode"].parent == "city"
    assert new.validate_screen("DemographicDetails", ADULT, today=TODAY).ok
    errors = new.validate_screen(
        "DemographicDetails", ADULT | {"phone": "12", "fullName": "Al"}, today=TODAY
    ).errors
    assert set(errors) == {"phone", "fullName"}  # MOSIP's phone pattern and its 3..50 name length
    assert "introducerName" not in new.screen_fields("DemographicDetails", ADULT, today=TODAY)
    infant = ADULT | {"dateOfBirth": "2024-01-01"}
    assert "introducerName" in new.screen_fields("DemographicDetails", infant, today=TODAY)
    assert set(new.validate_screen("DemographicDetails", infant, today=TODAY).errors) == {
        "introducerName",
        "introducerRID",
        "introducerUIN",
    }
    given = infant | {"introducerName": "Sara Diallo", "introducerUIN": "4829156370"}
    assert new.validate_screen("DemographicDetails", given, today=TODAY).ok  # UIN given: no RID asked
    assert new.is_required("proofOfRelationship", infant, today=TODAY)
    assert not new.is_required("proofOfRelationship", ADULT, today=TODAY)


def test_update_and_lost_processes(mosip):
    _schema, forms = engines(mosip)
    update = forms["update"].ui_spec
    assert [g.id for g in update.groups][:4] == ["PreferredLanguage", "FullName", "DateOfBirth", "Gender"]
    assert [g.id for g in update.groups][-2:] == ["documents", "biometrics"]
    assert next(g for g in update.groups if g.id == "Location").labels["fra"] == "Lieu"
    address = process_engine(forms["update"], flow="update", update_groups=["Address", "documents"])
    assert address.is_required("proofOfAddress", {"addressLine1": "1 Main St"})
    assert not address.is_required("proofOfIdentity", {"addressLine1": "1 Main St"})
    lost = forms["lost"].ui_spec
    assert [s.kind for s in lost.screens] == ["demographics", "demographics", "documents", "biometrics"]
    # a lost-UIN search requires only what MOSIP's lost process marks required, not the name
    errors = process_engine(forms["lost"], flow="lost").validate({"consent": "I_AGREE"}).errors
    assert set(errors) == {"preferredLang", "individualBiometrics"}


SCHEMA = {
    "definitions": {"simpleType": {"type": "array"}},
    "properties": {
        "identity": {
            "required": ["fullName", "region"],
            "properties": {
                "fullName": {
                    "$ref": "#/definitions/simpleType",
                    "fieldCategory": "pvt",
                    "validators": [
                        {"type": "regex", "validator": "^\\p{L}+$", "arguments": []},
                        {"type": "regex", "validator": "^.{1,9}$", "langCode": "ara"},
                    ],
                },
                "region": {"$ref": "#/definitions/simpleType"},
                "city": {"$ref": "#/definitions/simpleType"},
                "age-at-entry": {"type": "integer", "minimum": 0, "maximum": 130},
                "isResident": {"type": "boolean"},
                "proofOfAddress": {"$ref": "#/definitions/documentType"},
                "face": {"$ref": "#/definitions/biometricsType", "bioAttributes": ["face", "leftThumb"]},
            },
        }
    },
}
PROCESS = {
    "id": "NEW",
    "flow": "NEW",
    "label": {"fra": "Nouvelle", "eng": "New"},
    "screens": [
        {
            "name": "all",
            "label": {"eng": "All"},
            "fields": [
                {
                    "id": "proofOfAddress",
                    "controlType": "fileupload",
                    "subType": "POA",
                    "label": {"eng": "POA"},
                },
                {
                    "id": "fullName",
                    "controlType": "textbox",
                    "label": {"eng": "Name"},
                    "transliterate": True,
                    "required": True,
                    "visible": {"engine": "MVEL", "expr": "identity.get('city').size() > 0"},
                },
                {"id": "region", "controlType": "dropdown", "subType": "Region", "label": {"eng": "Region"}},
                {
                    "id": "city",
                    "controlType": "dropdown",
                    "subType": "City",
                    "label": {"eng": "City"},
                    "requiredOn": [
                        {"engine": "JS", "expr": "x"},
                        {"engine": "MVEL", "expr": "identity.region == 'R1'"},
                    ],
                },
                {"id": "face", "controlType": "biometrics", "subType": "applicant", "label": {"eng": "Face"}},
                {"id": "consent", "controlType": "checkbox", "required": True, "label": {"eng": "I agree"}},
            ],
        },
    ],
}


def small(**changes):
    process = json.loads(json.dumps(PROCESS)) | changes
    return convert(
        schema=("s.json", json.dumps(SCHEMA).encode()), ui_specs=[("p.json", json.dumps(process).encode())]
    )


def test_small_form_every_case_converted_or_reported():
    result = small()
    fields = {f["id"]: f for f in result.id_schema["schema"]["fields"]}
    assert fields["age_at_entry"] == {
        "id": "age_at_entry",
        "type": "number",
        "validators": [{"type": "range", "min": 0, "max": 130}],
    }
    assert fields["city"]["parent"] == "region" and fields["face"]["modalities"] == ["finger", "face"]
    assert "isResident" not in fields and "validators" not in fields["fullName"]
    spec = load_ui_spec(result.ui_specs[0], load_id_schema(result.id_schema))
    assert [s.kind for s in spec.screens] == ["demographics", "documents", "biometrics"]
    assert spec.screens[0].fields[0].id == "consent" and spec.default_language == "fra"
    assert spec.screens[0].fields[0].template == "registration_consent"
    city = next(f for f in spec.screens[0].fields if f.id == "city")
    assert city.required_on == "region == 'R1'"
    items = {(i.path, i.status) for i in result.report.items}
    assert ("$.properties.identity.properties.isResident", "not_converted") in items
    assert ("$.properties.identity.properties['age-at-entry']", "changed") in items  # renamed
    assert ("$.properties.identity.properties.fullName.validators[0]", "not_converted") in items  # \p{L}
    assert ("$.properties.identity.properties.fullName.validators[1]", "not_converted") in items  # ara only
    assert ("$.properties.identity.properties.face.bioAttributes", "changed") in items  # one finger
    assert ("$.screens[0].fields[1].visible", "not_converted") in items
    assert ("$.screens[0].fields[1].transliterate", "not_converted") in items
    assert ("$.screens[0].fields[3].requiredOn[0]", "not_converted") in items  # not MVEL
    assert ("$.screens[0]", "changed") in items  # split by kind


@pytest.mark.parametrize(
    ("schema", "processes", "message"),
    [
        (("s.json", b"{not json"), [], "s.json: not JSON"),
        (("s.json", b"{}"), [], "no properties.identity.properties"),
        (("s.json", b"x" * (5 * 1024 * 1024 + 1)), [], "larger than 5 MiB"),
        (None, [("p.json", json.dumps(PROCESS).encode())], "need the MOSIP identity schema"),
        (
            ("s.json", json.dumps(SCHEMA).encode()),
            [("p.json", b'{"flow": "DEATH", "screens": []}')],
            "'DEATH'",
        ),
        (
            ("s.json", json.dumps(SCHEMA).encode()),
            [("p.json", json.dumps([PROCESS, PROCESS]).encode())],
            "same flow",
        ),
        (("s.json", json.dumps(SCHEMA).encode()), [("p.json", b"[]")], "no UI-spec process"),
    ],
)
def test_bad_input_is_a_clear_error(schema, processes, message):
    with pytest.raises(MosipInputError, match=message):
        convert(schema=schema, ui_specs=processes)


def test_import_documents_are_openreg_import_format():
    result = small()
    docs = result.documents()
    assert set(docs) == {"id_schema.json", "ui_spec.json"}
    assert {d["format"] for d in docs.values()} == {"openreg-masterdata/1"}
    assert docs["ui_spec.json"]["entities"]["ui_spec"][0]["id"] == "mosip_new"

"""shared.forms processes: what each flow of the UI spec puts in play and requires, and the loader's
checks of an update spec's groups (the kiosk and the server use the same functions)."""

import copy
import json
from pathlib import Path

import pytest

from shared.forms import (
    FormEngine,
    FormSpecError,
    check_update_groups,
    load_id_schema,
    load_ui_spec,
    process_engine,
    process_scope,
)

DEMO = Path(__file__).resolve().parents[4] / "sync_server" / "demo_data"
SCHEMA_ROW = json.loads((DEMO / "id_schema.json").read_text())["entities"]["id_schema"][0]
SPECS = {r["spec"]["flow"]: r for r in json.loads((DEMO / "ui_spec.json").read_text())["entities"]["ui_spec"]}


@pytest.fixture(scope="module")
def schema():
    return load_id_schema(SCHEMA_ROW)


def test_an_update_validates_only_the_groups_it_changes(schema):
    kiosk = process_engine(
        FormEngine(schema=schema, ui_spec=load_ui_spec(SPECS["update"], schema)),
        flow="update",
        update_groups=["name", "documents"],
    )
    assert kiosk.scope == {"consent", "fullName", "proofOfIdentity", "proofOfAddress", "proofOfRelationship"}
    assert set(kiosk.validate({"fullName": "Amina Diallo"}).errors) == {"consent"}  # the spec asks it
    engine = process_engine(FormEngine(schema=schema), flow="update", update_groups=["name", "documents"])
    result = engine.validate({"fullName": "Amina Diallo"})  # the server's check: the schema alone
    assert result.ok and result.cleaned == {"fullName": "Amina Diallo"}  # no date of birth, no POI asked
    assert set(engine.validate({}).errors) == {"fullName"}
    assert not kiosk.marked_required("proofOfIdentity") and kiosk.marked_required("fullName")


def test_lost_requires_nothing_of_the_schema_and_a_correction_has_no_biometrics(schema):
    lost = process_engine(FormEngine(schema=schema), flow="lost")
    assert lost.validate({}).ok and lost.scope is None
    assert not lost.validate({"dateOfBirth": "not a date"}).ok  # what is given is still checked
    assert "individualBiometrics" not in process_scope(schema, flow="correction")
    assert process_scope(schema, flow="new") is None
    with pytest.raises(FormSpecError):
        process_scope(schema, flow="renew")


def test_update_groups_are_checked_against_the_schema_and_the_spec(schema):
    assert check_update_groups(schema, ["address", "biometrics", "address"]) == ("address", "biometrics")
    with pytest.raises(FormSpecError, match="at least one"):
        check_update_groups(schema, [])
    with pytest.raises(FormSpecError, match="unknown"):
        check_update_groups(schema, ["name"], offered=["address"])


def test_the_loader_refuses_a_broken_update_spec_or_schema_group(schema):
    row = copy.deepcopy(SPECS["update"])
    row["spec"]["groups"].append({"id": "shoe_size"})
    with pytest.raises(FormSpecError, match="shoe_size"):
        load_ui_spec(row, schema)
    row = copy.deepcopy(SPECS["update"])
    row["spec"]["screens"][0]["fields"] = [
        f for f in row["spec"]["screens"][0]["fields"] if f["id"] != "city"
    ]
    with pytest.raises(FormSpecError, match="city"):
        load_ui_spec(row, schema)
    row = copy.deepcopy(SPECS["lost"])
    row["spec"]["groups"] = [{"id": "name"}]
    with pytest.raises(FormSpecError, match="only an update"):
        load_ui_spec(row, schema)
    row["spec"]["flow"] = "renewal"
    with pytest.raises(FormSpecError, match="flow"):
        load_ui_spec(row, schema)
    bad = copy.deepcopy(SCHEMA_ROW)
    bad["schema"]["fields"][-1]["group"] = "biometrics"
    with pytest.raises(FormSpecError, match="group"):
        load_id_schema(bad)

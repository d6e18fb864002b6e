"""The kiosk lays out the New Registration form converted from MOSIP's published identity schema and UI
spec (../shared): its screens and fields as MOSIP's, the location cascade from MOSIP-layout CSVs, the infant
rules, and on to the documents step. Screenshots (English, Arabic right to left) go to /tmp for a look."""

import json

import pytest
from PySide6.QtCore import Qt

from client.core.master_data import apply_changes
from client.ui.form_renderer import FormPage
from client.ui.screens.documents_page import DocumentsPage
from demo.kiosk_fixture import OPERATOR, seeded_kiosk
from sync_server.masterdata_mosip import ConversionOptions, convert
from tests.support.mosip import ADULT, csv_inputs, mosip_inputs

from .conftest import sign_in

SHOTS = {"eng": "/tmp/mosip-form-eng.png", "ara": "/tmp/mosip-form-ara.png"}
LANGUAGES = [
    {"id": "eng", "name": "English", "rtl": False},
    {"id": "fra", "name": "Français", "rtl": False},
    {"id": "ara", "name": "العربية", "rtl": True},
]


@pytest.fixture
def kiosk(tmp_path):
    schema, processes = mosip_inputs()
    options = ConversionOptions(spec_versions={"new": 2, "update": 2, "lost": 2})  # past the demo's specs
    conversion = convert(schema=schema, ui_specs=processes, csv_files=csv_inputs(), options=options)
    client = seeded_kiosk(tmp_path / "kiosk")
    rows = [("id_schema", conversion.id_schema), *(("ui_spec", r) for r in conversion.ui_specs)]
    rows += [(entity, r) for entity, items in conversion.masterdata.items() for r in items]
    rows += [("languages", r) for r in LANGUAGES]
    changes = [
        {"seq": i, "entity": e, "id": r["id"], "op": "upsert", "data": r} for i, (e, r) in enumerate(rows, 1)
    ]
    with client.store.transaction() as conn:  # what the master-data sync applies from a signed page
        apply_changes(conn, json.loads(json.dumps(changes)))
    yield client
    client.close()


def test_kiosk_renders_the_converted_new_registration(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home", timeout=10_000)
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.next_button.isEnabled(), timeout=10_000)
    assert wizard.registration.engine.ui_spec.id == "mosip_new"
    consent, details = wizard.pages[0], wizard.pages[1]
    assert isinstance(consent, FormPage) and list(consent.inputs) == ["consent", "preferredLang"]
    assert list(details.inputs)[:4] == ["fullName", "dateOfBirth", "gender", "addressLine1"]
    assert "zone" not in details.inputs and "residenceStatus" not in details.inputs
    assert details._labels["fullName"][0].text() == "Full Name *"
    assert details._labels["fullName"][1].text() == "الاسم الكامل"  # MOSIP's Arabic label beside it

    consent.set_values({"consent": "I_AGREE", "preferredLang": "ara"})
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.current_page() is details
    details.set_values({k: v for k, v in ADULT.items() if k in details.inputs})
    assert details.value("postalCode") == "10101"  # region -> province -> city -> postal code, as MOSIP's CSV
    details.set_values({"dateOfBirth": "2024-03-01"})  # an infant: MOSIP asks for the introducer
    qtbot.waitUntil(lambda: details.inputs["introducerName"].isVisible())
    details.set_values({"introducerName": "Sara Diallo", "introducerUIN": "4829156370"})
    assert details.inputs["introducerRID"].isHidden()  # the UIN is given: no RID asked
    window.resize(1280, 900)
    for language, path in SHOTS.items():
        window.ctx.language.set(language)
        qtbot.wait(50)
        assert window.grab().save(path), path
    window.ctx.language.set("eng")
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    docs = wizard.current_page()
    assert isinstance(docs, DocumentsPage), wizard.message.text()
    assert docs.field_ids[:3] == ["proofOfAddress", "proofOfIdentity", "proofOfRelationship"]
    assert wizard.registration.values["introducerUIN"] == "4829156370"

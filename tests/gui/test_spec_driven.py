"""The wizard follows master data: a new UI spec version changes the form; a pre-registration prefills it."""

import copy
import json

from client.core.master_data import apply_changes
from demo.kiosk_fixture import DEMO_DATA, OPERATOR

from .conftest import sign_in


def open_wizard(qtbot, window):
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.next_button.isEnabled())
    return wizard


def test_new_ui_spec_version_changes_the_form(qtbot, window, kiosk):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    wizard = open_wizard(qtbot, window)
    assert "email" in wizard.pages[0].inputs
    wizard.cancel()
    row = copy.deepcopy(json.loads((DEMO_DATA / "ui_spec.json").read_text())["entities"]["ui_spec"][0])
    row["version"] += 1
    row["spec"]["version"] += 1
    screen = row["spec"]["screens"][0]
    screen["fields"] = [f for f in screen["fields"] if f["id"] != "email"]
    full_name = next(f for f in screen["fields"] if f["id"] == "fullName")  # after the consent field
    full_name["labels"]["eng"] = "Name as on the ID card"
    with kiosk.store.transaction() as conn:  # what the master-data sync applies from a signed page
        apply_changes(conn, [{"seq": 1, "entity": "ui_spec", "id": row["id"], "op": "upsert", "data": row}])
    wizard = open_wizard(qtbot, window)
    page = wizard.pages[0]
    assert "email" not in page.inputs
    assert page._labels["fullName"][0].text() == "Name as on the ID card *"


def test_pre_registration_id_prefills_the_form(qtbot, window, kiosk):
    kiosk.registrations.cache_preregistration(
        prereg_id="PRE-1234", data={"fullName": "Karim Nasser", "gender": "MLE", "region": "R2"}
    )
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    wizard = open_wizard(qtbot, window)
    qtbot.keyClicks(wizard.prereg, "PRE-1234")
    wizard.prereg.returnPressed.emit()
    qtbot.waitUntil(lambda: wizard.registration.prereg_id == "PRE-1234" and bool(wizard.pages))
    page = wizard.pages[0]
    qtbot.waitUntil(lambda: page.value("fullName") == "Karim Nasser")
    assert page.value("gender") == "MLE" and page.value("region") == "R2"


def test_consent_ticked_before_loading_the_pre_registration_stays_ticked(qtbot, window, kiosk):
    kiosk.registrations.cache_preregistration(prereg_id="PRE-5678", data={"fullName": "Lina Haddad"})
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    wizard = open_wizard(qtbot, window)
    wizard.pages[0].inputs["consent"].setChecked(True)  # the applicant agreed first
    qtbot.keyClicks(wizard.prereg, "PRE-5678")
    wizard.prereg.returnPressed.emit()
    qtbot.waitUntil(lambda: wizard.registration.prereg_id == "PRE-5678" and bool(wizard.pages))
    page = wizard.pages[0]
    qtbot.waitUntil(lambda: page.value("fullName") == "Lina Haddad")
    assert page.inputs["consent"].isChecked()
    loaded = wizard.registration
    wizard.discard()  # what Cancel does once the officer confirms
    window.show_screen("registration")  # a new applicant starts without anyone's consent
    qtbot.waitUntil(lambda: wizard.registration is not None and wizard.registration is not loaded)
    qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.next_button.isEnabled())
    assert not wizard.pages[0].inputs["consent"].isChecked()

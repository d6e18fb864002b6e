"""Consent in the workflow: never prefilled, its languages recorded, its digest signed off into meta."""

import json
from datetime import date
from pathlib import Path

import pytest

from client.core.registration.biometrics import BiometricPolicy
from client.core.registration.consent import ConsentText, consent_text
from client.core.registration.workflow import Registration, Step
from shared.forms import FormEngine, consent_digest, load_id_schema, load_ui_spec, template_texts
from shared.packet import PacketMeta, read_meta
from shared.packet.errors import InvalidContents
from shared.packet.meta import check_meta

DEMO = Path(__file__).resolve().parents[5] / "sync_server" / "demo_data"
UI = json.loads((DEMO / "ui_spec.json").read_text())["entities"]
TEMPLATE = UI["templates"][0]
ADULT = {
    "consent": "I_AGREE",
    "fullName": "Amina Diallo",
    "dateOfBirth": "1991-04-12",
    "gender": "FLE",
    "region": "R1",
    "province": "P1",
    "city": "C1",
    "addressLine": "12 Palm Street",
}
RID = "1" * 29


@pytest.fixture(scope="module")
def engine() -> FormEngine:
    schema = load_id_schema(json.loads((DEMO / "id_schema.json").read_text())["entities"]["id_schema"][0])
    return FormEngine(schema=schema, ui_spec=load_ui_spec(UI["ui_spec"][0], schema))


def _new(engine: FormEngine, **kw) -> Registration:
    consent = consent_text(engine, lambda t: TEMPLATE if t == TEMPLATE["id"] else None)
    return Registration(
        engine=engine,
        policy=BiometricPolicy(),
        operator_id="op1",
        today=date(2026, 6, 1),
        consent=consent,
        **kw,
    )


def test_the_demo_form_asks_consent_with_the_demo_text(engine: FormEngine) -> None:
    consent = consent_text(engine, lambda t: TEMPLATE if t == TEMPLATE["id"] else None)
    assert consent == ConsentText("consent", "registration_consent", template_texts(TEMPLATE))
    assert set(consent.texts) == {"eng", "fra", "ara"}


def test_no_consent_no_next_and_a_prefilled_consent_is_ignored(engine: FormEngine) -> None:
    reg = _new(engine, prefill=ADULT)
    assert "consent" not in reg.values  # a pre-registration cannot agree for the applicant
    result = reg.submit_demographics({})
    assert set(result.errors) == {"consent"} and reg.step is Step.DEMOGRAPHICS


@pytest.mark.parametrize(
    ("language", "shown"), [(None, ("eng", "ara")), ("fra", ("fra", "ara")), ("ara", ("ara",))]
)
def test_the_languages_on_screen_are_recorded_with_their_digest(engine, language, shown) -> None:
    reg = _new(engine)
    assert reg.submit_demographics(ADULT, language=language).ok
    assert reg.consent_shown == shown
    reg.step = Step.PREVIEW  # the record is made at sign-off, whatever came between
    record = reg.sign_off(operator_id="op1").consent
    assert record is not None and record.template_id == "registration_consent"
    assert record.languages == shown
    assert record.sha256 == consent_digest(template_texts(TEMPLATE), shown)


def test_without_the_text_in_master_data_the_consent_cannot_be_taken(engine: FormEngine) -> None:
    reg = Registration(
        engine=engine,
        policy=BiometricPolicy(),
        operator_id="op1",
        consent=consent_text(engine, lambda _t: None),
    )
    result = reg.submit_demographics(ADULT)
    assert "consent" in result.errors and reg.step is Step.DEMOGRAPHICS


def test_meta_carries_the_consent_bounded_and_older_meta_has_none() -> None:
    consent = {"template_id": "registration_consent", "languages": ["eng", "ara"], "sha256": "a" * 64}
    check_meta({"rid": RID, "consent": consent})
    assert read_meta({"rid": RID, "consent": consent}).consent.languages == ["eng", "ara"]
    assert read_meta({"rid": RID}).consent is None  # an older kiosk's packet
    assert "consent" not in PacketMeta(rid=RID).as_written()
    for bad in (
        {**consent, "sha256": "xyz"},
        {**consent, "languages": []},
        {**consent, "languages": ["e\n"]},
    ):
        with pytest.raises(InvalidContents):
            check_meta({"rid": RID, "consent": bad})

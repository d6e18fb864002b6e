"""Consent fields: the accepted value, a kiosk-only requirement, asked first, the digest."""

import hashlib
import json
from datetime import date

import pytest

from shared.forms import (
    CONSENT_AGREED,
    FormEngine,
    FormSpecError,
    consent_digest,
    load_id_schema,
    load_ui_spec,
    template_texts,
)

SCHEMA = {
    "version": 1,
    "fields": [{"id": "consent", "type": "consent"}, {"id": "name", "type": "text", "required": True}],
}
CONSENT_SCREEN = {
    "id": "consentdet",
    "fields": [
        {
            "id": "consent",
            "required": True,
            "template": "registration_consent",
            "labels": {"eng": "Applicant agrees", "fra": "Le demandeur accepte", "ara": "يوافق مقدم الطلب"},
        },
        {"id": "name"},
    ],
}
NAME_SCREEN = {"id": "demo", "fields": [{"id": "name"}]}
DOCS_SCREEN = {"id": "docs", "kind": "documents", "fields": []}
LANGUAGES = {"default": "eng", "second": "ara", "available": ["eng", "fra", "ara"]}


def _engine(*screens: dict) -> FormEngine:
    schema = load_id_schema(SCHEMA)
    spec = {"version": 1, "languages": LANGUAGES, "screens": list(screens)}
    return FormEngine(schema=schema, ui_spec=load_ui_spec(spec, schema))


TODAY = date(2026, 6, 1)


@pytest.mark.parametrize("language", ["eng", "fra", "ara"])
def test_missing_consent_is_required_on_the_kiosk_in_every_language(language: str) -> None:
    engine = _engine(CONSENT_SCREEN, DOCS_SCREEN)
    result = engine.validate_screen("consentdet", {"name": "Ana"}, language=language, today=TODAY)
    label = engine.label("consent", language)
    assert result.errors == {"consent": f"{label} is required"}
    assert label == CONSENT_SCREEN["fields"][0]["labels"][language]


def test_only_the_agreed_value_passes() -> None:
    engine = _engine(CONSENT_SCREEN, DOCS_SCREEN)
    for refused in ("yes", "I_DISAGREE", True, 1):
        errors = engine.validate_screen("consentdet", {"consent": refused, "name": "Ana"}, today=TODAY)
        assert set(errors.errors) == {"consent"}, refused
    agreed = engine.validate_screen("consentdet", {"consent": CONSENT_AGREED, "name": "Ana"}, today=TODAY)
    assert agreed.ok and agreed.cleaned == {"consent": "I_AGREE", "name": "Ana"}


def test_the_server_check_without_a_ui_spec_accepts_a_record_without_consent() -> None:
    """Older kiosks' packets carry no consent: the schema alone does not require it."""
    server = FormEngine(schema=load_id_schema(SCHEMA))
    assert server.validate({"name": "Ana"}, today=TODAY).ok
    assert not server.validate({"name": "Ana", "consent": "maybe"}, today=TODAY).ok


def test_a_consent_field_comes_first_and_names_its_template() -> None:
    schema = load_id_schema(SCHEMA)
    fields = CONSENT_SCREEN["fields"]
    for screens in (
        [NAME_SCREEN, CONSENT_SCREEN],  # not on the first screen
        [{**CONSENT_SCREEN, "fields": fields[::-1]}],  # not the first field
        [{**CONSENT_SCREEN, "kind": "documents"}],
    ):
        with pytest.raises(FormSpecError, match="first field of the first screen"):
            load_ui_spec({"version": 1, "languages": LANGUAGES, "screens": screens}, schema)
    nameless = {**CONSENT_SCREEN, "fields": [{"id": "consent", "required": True}]}
    with pytest.raises(FormSpecError, match="'template'"):
        load_ui_spec({"version": 1, "languages": LANGUAGES, "screens": [nameless, NAME_SCREEN]}, schema)


def test_digest_covers_exactly_the_languages_shown() -> None:
    texts = template_texts({"id": "t", "texts": {"eng": "I agree.", "ara": "أوافق.", "fra": " ", "x": 3}})
    assert texts == {"eng": "I agree.", "ara": "أوافق."}
    expected = hashlib.sha256(
        json.dumps({"ara": "أوافق.", "eng": "I agree."}, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    assert consent_digest(texts, ["eng", "ara"]) == expected
    assert consent_digest(texts, ["eng"]) != expected
    assert template_texts(None) == {}
    with pytest.raises(KeyError):
        consent_digest(texts, ["fra"])

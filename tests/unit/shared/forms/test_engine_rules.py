"""FormEngine rule by rule, at the edges: each validator's bounds, value kinds, options and their parent,
requiredness from the schema or the UI spec (and when a scope or process turns it off), labels and the
wording of every default message."""

from datetime import date

import pytest

from shared.forms import FormEngine, load_id_schema, load_ui_spec
from shared.forms.engine import RuleMessage

TODAY = date(2026, 6, 1)
SCHEMA = {
    "version": 1,
    "fields": [
        {"id": "name", "type": "text", "validators": [{"type": "length", "min": 2, "max": 5}]},
        {"id": "code", "type": "text", "validators": [{"type": "regex", "pattern": "[A-Z]{2}"}]},
        {"id": "count", "type": "number", "validators": [{"type": "range", "min": 1, "max": 10}]},
        {
            "id": "issued",
            "type": "date",
            "validators": [{"type": "date_range", "min": "2000-01-01", "max": "today"}],
        },
        {"id": "born", "type": "date", "validators": [{"type": "age", "min": 18, "max": 60}]},
        {"id": "gender", "type": "dropdown", "source": "genders"},
        {"id": "region", "type": "location", "level": "region"},
        {"id": "city", "type": "location", "level": "city", "parent": "region"},
        {"id": "agree", "type": "consent"},
        {"id": "must", "type": "text", "validators": [{"type": "required"}]},
        {"id": "flagged", "type": "text", "required": True},
        {"id": "guardian", "type": "text", "required_on": "count > 5"},
        {"id": "photo", "type": "document", "category": "POI"},
        {"id": "extra", "type": "text"},  # on no screen of the spec
        {"id": "plain", "type": "date"},  # a date with no validator of its own
    ],
}
SPEC = {
    "version": 1,
    "languages": {"default": "eng", "second": "ara", "available": ["eng", "fra", "ara"]},
    "screens": [
        {
            "id": "main",
            "fields": [
                {"id": "agree", "labels": {"eng": "Consent"}, "template": "registration_consent"},
                {"id": "name", "labels": {"eng": "Name", "fra": "Nom", "ara": "الاسم"}},
                {"id": "code", "labels": {"fra": "Code FR"}},
                {"id": "count", "labels": {"eng": "Count"}},
                {"id": "issued", "labels": {"eng": "Issued"}},
                {"id": "born", "labels": {"eng": "Born"}},
                {"id": "gender", "labels": {"eng": "Gender"}},
                {"id": "region"},
                {"id": "city", "visible_on": "not empty(region)"},
            ],
        },
        {
            "id": "more",
            "fields": [
                {"id": "must"},
                {"id": "flagged"},
                {"id": "guardian", "required_on": "count < 0"},
                {"id": "photo", "required": True},
            ],
        },
    ],
}
OPTIONS = {("genders", None): ["F", "M"], ("location:region", None): ["R1"], ("location:city", "R1"): ["C1"]}
SOUND = {"must": "x", "flagged": "y", "photo": {"doc": 1}, "guardian": "g"}


def options(source: str, parent: str | None) -> list[str] | None:
    return OPTIONS.get((source, parent))


@pytest.fixture(scope="module")
def engine() -> FormEngine:
    schema = load_id_schema(SCHEMA)
    return FormEngine(schema=schema, ui_spec=load_ui_spec(SPEC, schema), options=options)


def errors(engine: FormEngine, language: str | None = None, **values: object) -> dict[str, str]:
    return engine.validate(SOUND | values, language=language, today=TODAY).errors


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "A"}, "name", "Name must be at least 2 characters"),
        ({"name": "Abcdef"}, "name", "Name must be at most 5 characters"),
        ({"code": "AB1"}, "code", "code has an invalid format"),  # the whole value must match
        ({"code": "ab"}, "code", "code has an invalid format"),
        ({"count": 0}, "count", "Count must be at least 1"),
        ({"count": 11}, "count", "Count must be at most 10"),
        ({"count": "11"}, "count", "Count must be at most 10"),  # typed digits are a number
        ({"count": "ten"}, "count", "Count must be a number"),
        ({"count": True}, "count", "Count must be a number"),
        ({"issued": "1999-12-31"}, "issued", "Issued must be on or after 2000-01-01"),
        ({"issued": "2026-06-02"}, "issued", "Issued must be on or before 2026-06-01"),
        ({"issued": "2026-6-1"}, "issued", "Issued must be a date (YYYY-MM-DD)"),
        ({"born": "2008-06-02"}, "born", "Born: age must be at least 18"),
        ({"born": "1965-06-01"}, "born", "Born: age must be at most 60"),  # 61 today
        ({"born": "yesterday"}, "born", "Born must be a date (YYYY-MM-DD)"),
        ({"born": 19900101}, "born", "Born has the wrong kind of value"),
        ({"gender": "X"}, "gender", "Gender: 'X' is not one of the allowed values"),
        ({"region": "R2"}, "region", "region: 'R2' is not one of the allowed values"),
        ({"region": "R1", "city": "C2"}, "city", "city: 'C2' is not one of the allowed values"),
        ({"agree": "yes"}, "agree", "Consent: the applicant has not agreed"),
        ({"must": " "}, "must", "must is required"),
        ({"flagged": None}, "flagged", "flagged is required"),
        ({"photo": []}, "photo", "photo is required"),
        ({"count": 6, "guardian": None}, "guardian", "guardian is required"),
    ],
)
def test_each_rule_refuses_with_its_default_words(engine, values, field, message):
    assert errors(engine, **values) == {field: message}


@pytest.mark.parametrize(
    "values",
    [
        {"name": "Ab"},
        {"name": "Abcde"},
        {"name": " Abcde "},  # spaces around do not count
        {"code": "AB"},
        {"count": 1},
        {"count": 10},
        {"count": 2.5},
        {"count": "3"},
        {"issued": "2000-01-01"},
        {"issued": "2026-06-01"},
        {"born": "2008-06-01"},  # 18 today
        {"born": "1966-06-01"},  # 60 today
        {"born": "1965-06-02"},  # 61 tomorrow
        {"gender": "F"},
        {"region": "R1", "city": "C1"},
        {"agree": "I_AGREE"},
        {"agree": " I_AGREE "},
        {"count": 5, "guardian": None},  # guardian only from 6
        {"city": "anything"},  # hidden while no region is chosen: not checked, not kept
    ],
)
def test_values_on_the_bounds_pass(engine, values):
    assert errors(engine, **values) == {}


def test_cleaned_values_are_trimmed_and_hold_only_visible_set_fields(engine):
    result = engine.validate(SOUND | {"name": " Abc ", "count": 3, "code": "", "city": "C9"}, today=TODAY)
    assert result.ok
    assert result.cleaned == SOUND | {"name": "Abc", "count": 3}


def test_only_the_fields_asked_for_are_validated(engine):
    result = engine.validate({"name": "A", "count": 99}, fields=["count"], today=TODAY)
    assert result.errors == {"count": "Count must be at most 10"}
    assert engine.validate({"name": "A"}, fields=[], today=TODAY).errors == {}


def test_a_validator_message_of_the_spec_is_used_in_the_officers_language():
    schema = load_id_schema(
        {
            "version": 1,
            "fields": [
                {
                    "id": "code",
                    "type": "text",
                    "validators": [
                        {
                            "type": "regex",
                            "pattern": "[A-Z]+",
                            "message": {"fra": "majuscules", "eng": "capitals"},
                        },
                        {"type": "length", "max": 3, "message": "{label} too long (max {max})"},
                    ],
                }
            ],
        }
    )
    spec = load_ui_spec(
        {"version": 1, "languages": {"default": "fra"}, "screens": [{"id": "s", "fields": [{"id": "code"}]}]},
        schema,
    )
    engine = FormEngine(schema=schema, ui_spec=spec)
    assert engine.validate({"code": "x"}, language="eng").errors == {"code": "code: capitals"}
    assert engine.validate({"code": "x"}).errors == {"code": "code: majuscules"}
    assert engine.validate({"code": "ABCD"}).errors == {"code": "code too long (max 3)"}
    assert engine.validate({"code": "ABCD"}, language="ara").errors == {"code": "code too long (max 3)"}
    bare = FormEngine(schema=schema)  # no UI spec: English, else the first message there is
    assert bare.validate({"code": "x"}).errors == {"code": "code: capitals"}
    # a language the message lacks gets the spec's default language, not the first one listed
    english = load_ui_spec(
        {
            "version": 1,
            "languages": {"default": "eng", "available": ["eng", "fra", "ara"]},
            "screens": [{"id": "s", "fields": [{"id": "code"}]}],
        },
        schema,
    )
    assert FormEngine(schema=schema, ui_spec=english).validate({"code": "x"}, language="ara").errors == {
        "code": "code: capitals"
    }


def test_default_messages_keep_their_rule_and_fields_for_another_language(engine):
    message = errors(engine, count=11)["count"]
    assert isinstance(message, RuleMessage)
    assert (message.rule, message.fields) == ("range_max", {"label": "Count", "max": 10})


def test_labels_fall_back_to_the_default_language_then_the_field_id(engine):
    assert engine.label("name", "fra") == "Nom"
    assert engine.label("name") == "Name"
    assert engine.label("code", "fra") == "Code FR"
    assert engine.label("code", "eng") == "code"
    assert engine.label("must", "fra") == "must"  # not on any screen
    assert engine.labels("name") == ("Name", "الاسم")
    assert engine.labels("count") == ("Count", None)
    assert engine.labels("must") == ("must", None)
    assert engine.labels("extra") == ("extra", None) and engine.label("extra", "ara") == "extra"
    assert errors(engine, language="fra", name="A") == {"name": "Nom must be at least 2 characters"}
    bare = FormEngine(schema=load_id_schema(SCHEMA))
    assert bare.label("name", "fra") == "name" and bare.labels("name") == ("name", None)


def test_requiredness_from_the_schema_the_spec_and_their_conditions(engine):
    assert engine.is_required("must", {}) and engine.is_required("flagged", {})
    assert engine.is_required("photo", {})  # the UI spec's own required
    assert not engine.is_required("name", {})
    assert engine.is_required("guardian", {"count": 6}) and not engine.is_required("guardian", {"count": 5})
    assert engine.is_required("guardian", {"count": -1})  # the UI spec's required_on
    assert not engine.is_required("city", {"region": None})  # hidden
    assert engine.marked_required("flagged") and engine.marked_required("photo")
    assert not engine.marked_required("must")  # a validator, not the field's flag
    assert not engine.marked_required("guardian")


def test_a_scope_hides_the_rest_and_schema_requiredness_can_be_limited(engine):
    scoped = engine.restricted(scope=frozenset({"name", "flagged", "guardian", "photo"}))
    assert not scoped.is_visible("must", {}) and scoped.is_visible("name", {})
    assert scoped.validate({"must": "ignored"}, today=TODAY).errors == {
        "flagged": "flagged is required",
        "photo": "photo is required",
    }
    relaxed = engine.restricted(schema_required=frozenset({"must"}))
    assert relaxed.is_required("must", {}) and not relaxed.is_required("flagged", {})
    assert not relaxed.is_required("guardian", {"count": 6})  # the schema's condition is off too
    assert relaxed.is_required("guardian", {"count": -1})  # the UI spec's still applies
    assert relaxed.is_required("photo", {})
    assert not relaxed.marked_required("flagged") and relaxed.marked_required("photo")
    assert relaxed.scope is None and scoped.schema_required is None


def test_screens_list_visible_fields_and_validate_only_their_own(engine):
    assert "city" not in engine.screen_fields("main", {}, today=TODAY)
    assert engine.screen_fields("main", {"region": "R1"}, today=TODAY)[-2:] == ["region", "city"]
    result = engine.validate_screen("main", {"name": "A", "must": "", "nope": 1}, today=TODAY)
    assert result.errors == {"name": "Name must be at least 2 characters"}
    assert engine.validate_screen("more", {}, today=TODAY).errors == {
        "must": "must is required",
        "flagged": "flagged is required",
        "photo": "photo is required",
    }


def test_without_options_any_choice_is_accepted_and_unknown_lists_accept_too():
    schema = load_id_schema(SCHEMA)
    assert FormEngine(schema=schema).validate(SOUND | {"gender": "Q"}, today=TODAY).ok
    assert (
        FormEngine(schema=schema, options=lambda s, p: None).validate(SOUND | {"gender": "Q"}, today=TODAY).ok
    )


def test_today_defaults_to_the_real_day(engine):
    tomorrow = date.fromordinal(date.today().toordinal() + 1).isoformat()
    assert engine.validate(SOUND | {"issued": tomorrow}).errors == {
        "issued": f"Issued must be on or before {date.today().isoformat()}"
    }


def test_dropdowns_and_locations_hold_ids_and_a_date_must_be_a_date(engine):
    assert errors(engine, gender=5) == {"gender": "Gender has the wrong kind of value"}
    assert errors(engine, region=["R1"]) == {"region": "region has the wrong kind of value"}
    assert errors(engine, plain="01/06/2026") == {"plain": "plain must be a date (YYYY-MM-DD)"}
    assert errors(engine, plain="2026-06-01") == {}


def test_a_restricted_form_keeps_its_option_lists(engine):
    scoped = engine.restricted(scope=frozenset({"gender"}))
    assert scoped.validate({"gender": "X"}, today=TODAY).errors == {
        "gender": "Gender: 'X' is not one of the allowed values"
    }


def test_the_spec_default_language_names_fields_when_none_is_asked():
    schema = load_id_schema({"version": 1, "fields": [{"id": "name", "type": "text", "required": True}]})
    spec = load_ui_spec(
        {
            "version": 1,
            "languages": {"default": "fra", "available": ["eng", "fra"]},
            "screens": [{"id": "s", "fields": [{"id": "name", "labels": {"eng": "Name", "fra": "Nom"}}]}],
        },
        schema,
    )
    engine = FormEngine(schema=schema, ui_spec=spec)
    assert engine.label("name") == "Nom" and engine.label("name", "eng") == "Name"
    assert engine.validate({}).errors == {"name": "Nom is required"}


MESSAGES = {"eng": "{label}: no ({min}{max})", "fra": "{label} : non"}


def custom(kind: str, **params: object) -> dict:
    return {"type": kind, **params, "message": MESSAGES}


def test_every_validator_says_the_specs_own_words_in_the_officers_language():
    """Each validator kind, on a text field (so only the validator itself judges the value)."""
    schema = load_id_schema(
        {
            "version": 1,
            "fields": [
                {"id": "size", "type": "text", "validators": [custom("length", min=2, max=3)]},
                {
                    "id": "when",
                    "type": "text",
                    "validators": [custom("date_range", min="2000-01-01", max="today")],
                },
                {"id": "born", "type": "text", "validators": [custom("age", min=18, max=60)]},
                {"id": "count", "type": "number", "validators": [custom("range", min=1, max=9)]},
            ],
        }
    )
    engine = FormEngine(schema=schema)
    for values in (
        {"size": "a"},
        {"size": "abcd"},
        {"when": "1999-12-31"},
        {"when": "2026-06-02"},
        {"when": "June"},
        {"born": "2010-01-01"},
        {"born": "1950-01-01"},
        {"born": "June"},
        {"count": 0},
        {"count": 10},
    ):
        field = next(iter(values))
        assert engine.validate(values, language="fra", today=TODAY).errors == {field: f"{field} : non"}, (
            values
        )


def test_default_words_for_a_bad_date_under_a_date_validator_of_a_text_field():
    schema = load_id_schema(
        {
            "version": 1,
            "fields": [
                {"id": "when", "type": "text", "validators": [{"type": "date_range", "min": "2000-01-01"}]},
                {"id": "born", "type": "text", "validators": [{"type": "age", "min": 18}]},
            ],
        }
    )
    engine = FormEngine(schema=schema)
    assert engine.validate({"when": "June", "born": "July"}, today=TODAY).errors == {
        "when": "when must be a date (YYYY-MM-DD)",
        "born": "born must be a date (YYYY-MM-DD)",
    }


def test_conditions_are_judged_on_the_day_given_not_the_clock():
    """On 1 January 2000 someone born in 1990 is 10, whatever today is."""
    schema = load_id_schema(
        {
            "version": 1,
            "fields": [
                {"id": "born", "type": "date"},
                {"id": "guardian", "type": "text", "required_on": "age(born) < 18"},
                {"id": "school", "type": "text"},
            ],
        }
    )
    spec = load_ui_spec(
        {
            "version": 1,
            "languages": {"default": "eng"},
            "screens": [
                {
                    "id": "s",
                    "fields": [
                        {"id": "born"},
                        {"id": "guardian", "visible_on": "age(born) < 18"},
                        {"id": "school", "visible_on": "age(born) < 18", "required_on": "age(born) < 16"},
                    ],
                }
            ],
        },
        schema,
    )
    engine = FormEngine(schema=schema, ui_spec=spec)
    child, day = {"born": "1990-01-01"}, date(2000, 1, 1)
    assert engine.screen_fields("s", child, today=day) == ["born", "guardian", "school"]
    assert engine.is_required("guardian", child, today=day) and engine.is_required("school", child, today=day)
    assert engine.validate(child, today=day).errors == {
        "guardian": "guardian is required",
        "school": "school is required",
    }
    assert engine.validate_screen("s", child, today=day).errors.keys() == {"guardian", "school"}


def test_screen_calls_need_a_ui_spec():
    bare = FormEngine(schema=load_id_schema(SCHEMA))
    with pytest.raises(AssertionError, match="^screen_fields needs a UI spec$"):
        bare.screen_fields("main", {})
    with pytest.raises(AssertionError, match="^validate_screen needs a UI spec$"):
        bare.validate_screen("main", {})

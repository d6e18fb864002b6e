"""Rendering: built-in texts for every event, channel and language; master-data rows first; the
language fallback; safe substitution of resident values."""

from __future__ import annotations

import pytest

from sync_server.notifications.events import ChannelName, Event
from sync_server.notifications.templates import MAX_SMS_CHARS, NoTemplates, render, unknown_placeholders

VALUES = {"rid": "10002100010000120250101120000", "uin": "4829105736", "reason": "Blurred photo."}


class Rows:
    def __init__(self, **rows):
        self.rows = {key.replace("__", "."): row for key, row in rows.items()}

    def template(self, template_id):
        return self.rows.get(template_id)


@pytest.mark.parametrize("event", list(Event))
@pytest.mark.parametrize("channel", list(ChannelName))
@pytest.mark.parametrize("language", ["eng", "fra", "ara"])
def test_every_builtin_text_renders_completely(event, channel, language):
    rendered = render(
        NoTemplates(), event=event, channel=channel, language=language, default_language="eng", values=VALUES
    )
    assert rendered.language == language
    assert "$" not in rendered.body + rendered.subject and VALUES["rid"] in rendered.body + rendered.subject
    assert ".." not in rendered.body  # the reason's own full stop is not doubled
    if channel is ChannelName.EMAIL:
        assert rendered.subject and "\n" not in rendered.subject
    else:
        assert rendered.subject == "" and "\n" not in rendered.body and len(rendered.body) <= 160 * 2


def test_language_falls_back_to_the_default_then_english():
    wolof = render(
        NoTemplates(),
        event="uin_issued",
        channel="sms",
        language="wol",
        default_language="fra",
        values=VALUES,
    )
    assert wolof.language == "fra"
    rows = Rows(notify__uin_issued__sms={"texts": {"wol": "UIN bi: $uin"}})
    assert (
        render(
            rows, event="uin_issued", channel="sms", language="wol", default_language="fra", values=VALUES
        ).body
        == "UIN bi: 4829105736"
    )
    assert (
        render(
            NoTemplates(),
            event="rejected",
            channel="sms",
            language="wol",
            default_language="wol",
            values=VALUES,
        ).language
        == "eng"
    )


def test_a_missing_reason_gets_words_not_a_hole():
    rendered = render(
        NoTemplates(),
        event="rejected",
        channel="email",
        language="fra",
        default_language="eng",
        values={"rid": "R1"},
    )
    assert "Motif : renseignez-vous dans un centre d'inscription" in rendered.body
    per_language = {"rid": "R1", "reason": {"eng": "Blurred photo", "fra": "Photo floue"}}
    assert (
        "Photo floue"
        in render(
            NoTemplates(),
            event="rejected",
            channel="sms",
            language="fra",
            default_language="eng",
            values=per_language,
        ).body
    )
    # Arabic asked, no Arabic reason: the default language's words, in the Arabic message
    assert (
        "Blurred photo"
        in render(
            NoTemplates(),
            event="rejected",
            channel="sms",
            language="ara",
            default_language="eng",
            values=per_language,
        ).body
    )


def test_resident_values_are_never_format_strings_or_templates():
    rows = Rows(
        notify__uin_issued__email={
            "texts": {"eng": "Dear $name, {0.__class__} $$5 $uin $unknown"},
            "subjects": {"eng": "Hi $name"},
        }
    )
    values = {"rid": "R1", "uin": "$rid {uin}", "name": "Eve\u2028${uin}"}
    rendered = render(
        rows, event="uin_issued", channel="email", language="eng", default_language="eng", values=values
    )
    assert rendered.body == "Dear Eve\u2028${uin}, {0.__class__} $5 $rid {uin} $unknown"
    assert rendered.subject == "Hi Eve ${uin}"  # one line: U+2028 splits no header


def test_subject_and_sms_are_bounded():
    long = "x" * 5000
    rows = Rows(
        notify__rejected__email={"texts": {"eng": "b"}, "subjects": {"eng": long}},
        notify__rejected__sms={"texts": {"eng": long}},
    )
    assert (
        len(
            render(
                rows, event="rejected", channel="email", language="eng", default_language="eng", values=VALUES
            ).subject
        )
        == 200
    )
    assert (
        len(
            render(
                rows, event="rejected", channel="sms", language="eng", default_language="eng", values=VALUES
            ).body
        )
        == MAX_SMS_CHARS
    )


def test_malformed_rows_are_ignored():
    rows = Rows(
        notify__uin_issued__sms={"texts": ["not", "a", "mapping"]},
        notify__uin_issued__email={"texts": {"eng": 5, "fra": "  "}},
    )
    assert render(
        rows, event="uin_issued", channel="sms", language="eng", default_language="eng", values=VALUES
    ).body.startswith("Registration")
    assert (
        render(
            rows, event="uin_issued", channel="email", language="fra", default_language="eng", values=VALUES
        ).language
        == "fra"
    )


def test_unknown_placeholders_are_reported():
    assert unknown_placeholders("Your UIN is $uin, $nmae") == ["nmae"]
    assert unknown_placeholders("Costs $ 5") == [
        "a $ that starts no placeholder (write $$ for a dollar sign)"
    ]
    assert unknown_placeholders("RID ${rid}, $$") == []

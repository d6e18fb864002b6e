"""Message templates: rows of the ``templates`` master-data entity, with built-in defaults.

A notification template is the master-data row ``notify.<event>.<channel>`` (e.g.
``notify.uin_issued.email``) shaped like the consent texts (``shared/forms/consent.py``)::

    {"id": "notify.uin_issued.email",
     "texts": {"eng": "Your UIN is $uin.", "ara": "..."},      # the body (SMS: the whole text)
     "subjects": {"eng": "Your UIN", "ara": "..."}}            # e-mail only; optional

Texts are ``string.Template`` text rendered with safe substitution (``$rid``, ``$uin``, ``$name``,
``$reason``; an unknown ``$word`` is left as written), never ``str.format`` (resident values must not
reach format specifiers). The language is chosen in the order: the resident's language, the
deployment's default language, English; for each, a master-data text first, then the built-in one.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sync_server.notifications.default_templates import DEFAULT_TEXTS, EMAIL_FOOTER, MISSING_VALUE
from sync_server.notifications.events import ChannelName, Event

MAX_SUBJECT_CHARS = 200
MAX_EMAIL_BODY_CHARS = 20_000
MAX_SMS_CHARS = 1_000  # about seven concatenated Unicode SMS parts
KNOWN_VALUES = ("rid", "uin", "name", "reason")
_BLANK_LINES = re.compile(r"\n{3,}")


class TemplateSource(Protocol):
    """Where ``notify.*`` templates come from: the current master-data ``templates`` row with that id,
    or None. Called from the sender's thread; must not hold a transaction open between calls."""

    def template(self, template_id: str) -> Mapping[str, Any] | None: ...


class NoTemplates:
    """A source without rows: the built-in texts only."""

    def template(self, template_id: str) -> Mapping[str, Any] | None:
        return None


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str  # empty for SMS
    body: str


def template_id(event: Event | str, channel: ChannelName | str) -> str:
    return f"notify.{Event(event)}.{ChannelName(channel)}"


def _texts(row: Mapping[str, Any] | None, key: str) -> dict[str, str]:
    found = (row or {}).get(key)
    if not isinstance(found, Mapping):
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str) and v.strip()}


def languages_to_try(language: str, default_language: str) -> list[str]:
    """The resident's language, the default language, English; each once."""
    return list(dict.fromkeys([language, default_language, "eng"]))


def _pick_value(value: Any, languages: list[str]) -> str:
    if isinstance(value, Mapping):  # a value given in several languages, e.g. a reason
        for language in languages:
            if isinstance(value.get(language), str):
                return value[language]
        return next((v for v in value.values() if isinstance(v, str)), "")
    return "" if value is None else str(value)


def _substitutions(values: Mapping[str, Any], language: str, default_language: str) -> dict[str, str]:
    order = languages_to_try(language, default_language)
    chosen = {key: _pick_value(value, order) for key, value in values.items()}
    if "reason" in chosen:
        chosen["reason"] = chosen["reason"].strip().rstrip(".")  # the sentence around it has its own
    for key, missing in MISSING_VALUE.items():
        if not chosen.get(key):
            chosen[key] = _pick_value(missing, order)
    for key in KNOWN_VALUES:
        chosen.setdefault(key, "")
    return chosen


def render(
    source: TemplateSource,
    *,
    event: Event | str,
    channel: ChannelName | str,
    language: str,
    default_language: str,
    values: Mapping[str, Any],
) -> Rendered:
    """The message for one outbox row; raises LookupError if no language has a text (a master-data
    row can only add languages, so with the built-ins this cannot happen for the known events)."""
    event, channel = Event(event), ChannelName(channel)
    row = source.template(template_id(event, channel))
    bodies, subjects = _texts(row, "texts"), _texts(row, "subjects")
    for candidate in languages_to_try(language, default_language):
        builtin = DEFAULT_TEXTS.get(event, {}).get(candidate)
        if candidate in bodies:
            body = bodies[candidate]
            subject = subjects.get(candidate) or (builtin[0] if builtin else "")
        elif builtin is not None:
            subject, body = builtin[0], builtin[2] if channel is ChannelName.SMS else builtin[1]
            if channel is ChannelName.EMAIL:
                body = f"{body}\n\n{EMAIL_FOOTER[candidate]}"
        else:
            continue
        return _finish(channel, candidate, subject, body, _substitutions(values, candidate, default_language))
    raise LookupError(
        f"no text for {template_id(event, channel)} in {languages_to_try(language, default_language)}"
    )


def _finish(channel: ChannelName, language: str, subject: str, body: str, values: dict[str, str]) -> Rendered:
    text = string.Template(body).safe_substitute(values)
    if channel is ChannelName.SMS:
        text = " ".join(text.split())[:MAX_SMS_CHARS]  # one paragraph
        return Rendered(language=language, subject="", body=text)
    title = " ".join(
        string.Template(subject).safe_substitute(values).split()
    )  # one line: no header injection
    if len(title) > MAX_SUBJECT_CHARS:
        title = title[: MAX_SUBJECT_CHARS - 1] + "…"
    text = _BLANK_LINES.sub("\n\n", text.replace("\r\n", "\n").strip())[:MAX_EMAIL_BODY_CHARS]
    return Rendered(language=language, subject=title, body=text)


def unknown_placeholders(text: str) -> list[str]:
    """Placeholder names in ``text`` that no event supplies (likely typos, e.g. ``$uni``), and
    malformed ``$`` uses; for checking templates before import."""
    template = string.Template(text)
    problems = [name for name in template.get_identifiers() if name not in KNOWN_VALUES]
    if not template.is_valid():
        problems.append("a $ that starts no placeholder (write $$ for a dollar sign)")
    return problems

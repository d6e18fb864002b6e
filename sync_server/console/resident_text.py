"""A resident's status in plain words, in one language: shared by the public page (``resident_page``)
and the status API (``api.resident``), so both say exactly the same. Words: ``words/resident.py``.

Which language: the one the caller chose (``?lang=``, the language cookie, the API's ``language``),
else the one the packet recorded for the resident, else the browser's Accept-Language, else English.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sync_server.console.i18n import LANGUAGES, pick_language, translator
from sync_server.services.resident_status import ResidentState, ResidentStatus

# Rejections the resident could do nothing about: one plain sentence for all of them.
_TECHNICAL = frozenset(
    {
        "tampered",
        "unknown_machine",
        "undecryptable",
        "invalid_packet",
        "unknown_schema",
        "inactive_machine",
        "inactive_operator",
        "inactive_supervisor",
        "capture_in_future",
    }
)
_ISO639_1 = {"en": "eng", "fr": "fra", "ar": "ara"}


@dataclass(frozen=True)
class ResidentAnswer:
    """What the page shows and the API returns: ``title`` (the state in words), ``message``, the
    rejection ``reason`` in words, and a more-information ``request`` as staff wrote it."""

    state: str
    language: str
    title: str
    message: str
    reason_code: str | None = None
    reason: str | None = None
    request: str | None = None


def answer_language(*, chosen: str | None, recorded: str | None, accept: str | None) -> str:
    """``chosen`` when it is one of ours, else the packet's ``recorded`` language (``ara`` or ``ar``),
    else the Accept-Language header's, else English."""
    if chosen in LANGUAGES:
        return chosen
    recorded = (recorded or "").strip().lower()
    if recorded in LANGUAGES:
        return recorded
    if recorded[:2] in _ISO639_1 and len(recorded) in (2, 5):  # "ar", "ar-MA"
        return _ISO639_1[recorded[:2]]
    return pick_language(None, None, accept)


def answer_for(status: ResidentStatus, lang: str) -> ResidentAnswer:
    t = translator(lang)
    state = status.state
    reason = None
    if state is ResidentState.uin_issued:
        message = t(f"resident.msg_uin_issued_{status.flow}")
    else:
        message = t(f"resident.msg_{state.value}")
    if state is ResidentState.rejected:
        code = status.reason_code or "other"
        reason = t("resident.reason_technical" if code in _TECHNICAL else f"resident.reason_{code}")
    return ResidentAnswer(
        state=state.value,
        language=lang,
        title=t(f"resident.state_{state.value}"),
        message=message,
        reason_code=status.reason_code,
        reason=reason,
        request=status.request,
    )


def full_message(answer: ResidentAnswer, lang: str) -> str:
    """The answer as one text (the API's ``message``): the message, then the reason or the request."""
    if answer.reason:
        return f"{answer.message} {translator(lang)('resident.reason')} {answer.reason}"
    if answer.request:
        return f"{answer.message} {answer.request}"
    return answer.message


def not_found_message(lang: str) -> str:
    return translator(lang)("resident.not_found")


def busy_message(lang: str, retry_after_s: float) -> str:
    return translator(lang)("resident.busy", minutes=max(1, math.ceil(retry_after_s / 60)))


def reason_words(reason_code: str) -> dict[str, str]:
    """A rejection's reason in plain words in every language (for the resident's notifications)."""
    key = "resident.reason_technical" if reason_code in _TECHNICAL else f"resident.reason_{reason_code}"
    words = {lang: translator(lang)(key) for lang in LANGUAGES}
    if any(text == key for text in words.values()):  # a code without its own words
        words = {lang: translator(lang)("resident.reason_other") for lang in LANGUAGES}
    return words

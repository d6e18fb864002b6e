"""The biometrics step in words: a capture's outcome, a quality bar's verdict, a group's status, the face
checklist. Pure functions of the registration and the language (no widgets), so tests read them directly.

A status is always a word and a mark, never a colour alone.
"""

from __future__ import annotations

from typing import Any

from client.core.registration.biometrics import CAPTURE_GROUPS
from client.core.registration.workflow import CaptureOutcome, Registration
from client.ui.i18n import tr, tr_code

PHOTO = "exception_photo"  # the side list's entry after the capture groups


def bio_words(key: str, language: str, **kw: Any) -> str:
    return tr(f"bio.{key}", language, **kw)


def outcome_words(outcome: CaptureOutcome, language: str) -> str:
    """What one capture came to, for the officer: accepted, capture again, or the best kept."""
    if outcome.accepted and not outcome.short:
        return bio_words("accepted", language)
    what = tr("list.separator", language).join(tr_code("bio.subtype", s, language) for s in outcome.short)
    if outcome.retry_allowed:
        return bio_words("retry", language, what=what, threshold=outcome.threshold)
    return bio_words("kept_best", language, what=what, n=outcome.attempts)


def problem_words(problems: dict[str, str], language: str) -> str:
    """The workflow's reasons the step cannot advance (``SlotProblem``, read by attribute), one line per
    kind: a whole capture group by its name, else its fingers or eyes. Any other message as it is."""
    slots: dict[str, list[tuple[str, str]]] = {}  # code -> (group, subtype) in the workflow's order
    plain: list[str] = []
    for problem in problems.values():
        code, fields = getattr(problem, "code", None), getattr(problem, "fields", {})
        if code is None:
            plain.append(problem)
            continue
        slots.setdefault(code, [])
        if "subtype" in fields:
            slots[code].append((fields["group"], fields["subtype"]))
    lines = []
    for code, where in slots.items():
        names: list[str] = []
        for group in dict.fromkeys(g for g, _s in where):
            subs = [s for g, s in where if g == group]
            if len(subs) > 1 and len(subs) == len(CAPTURE_GROUPS[group][1]):
                names.append(bio_words(f"group.{group}", language))
            else:
                names += [tr_code("bio.subtype", s, language) for s in subs]
        lines.append(bio_words(f"problem.{code}", language, what=tr("list.separator", language).join(names)))
    return "\n".join(lines + plain)


def quality_words(quality: int | None, threshold: int, excepted: bool, language: str) -> str:
    """A finger's bar in words, so the verdict never rests on colour alone: "quality 85, needs 60:
    accepted ✔", "... too low ✘", "needs 60" before a capture, "missing" when marked so."""
    if excepted:
        return bio_words("missing", language)
    if quality is None:
        return bio_words("needs", language, threshold=threshold)
    verdict = "quality_ok" if quality >= threshold else "quality_low"
    return bio_words(verdict, language, quality=quality, threshold=threshold)


def group_status(registration: Registration, group: str) -> str:
    """A capture group's state: ``not_captured``, ``accepted`` (every slot good enough or marked),
    ``captured`` (kept below the threshold: no retry left, a supervisor sees it), ``marked_missing``
    (every slot marked) or ``needs_attention`` (a slot still missing or too low, retry allowed)."""
    reg = registration
    modality, subtypes = CAPTURE_GROUPS[group]
    keys = [(modality, s) for s in subtypes]
    marked = [k for k in keys if k in reg.exceptions]
    if len(marked) == len(keys):
        return "marked_missing"
    if not any(k in reg.captures for k in keys):
        return "needs_attention" if reg.attempts.get(group, 0) else "not_captured"
    threshold = reg.policy.thresholds.get(modality, 0)
    missing = [k for k in keys if k not in reg.captures and k not in reg.exceptions]
    low = [k for k in keys if k in reg.captures and reg.captures[k].quality < threshold]
    if missing:
        return "needs_attention"
    if not low:
        return "accepted"
    return "captured" if reg.attempts.get(group, 0) >= reg.policy.max_retries else "needs_attention"


def photo_status(registration: Registration) -> str:
    """The exception photo's state: ``taken``, ``required`` (a slot is marked, no photo yet), ``not_needed``."""
    if registration.exception_photo:
        return "taken"
    return "required" if registration.exceptions else "not_needed"


def status_words(registration: Registration, entry: str, language: str) -> str:
    """The side list's line under a group (or the exception photo): its state in words and a mark, the
    attempt count while it needs attention, and how many of its fingers or eyes are marked missing."""
    if entry == PHOTO:
        return bio_words(f"photo_status.{photo_status(registration)}", language)
    status = group_status(registration, entry)
    words = bio_words(f"status.{status}", language)
    attempts = registration.attempts.get(entry, 0)
    if status == "needs_attention" and attempts:  # attempts left, when the rules limit them
        words = bio_words(
            "status.with_attempt", language, status=words, n=attempts, max=registration.policy.max_retries
        )
    modality, subtypes = CAPTURE_GROUPS[entry]
    marked = sum((modality, s) in registration.exceptions for s in subtypes)
    if marked and marked < len(subtypes):
        words = bio_words("status.with_missing", language, status=words, n=marked)
    return words


_PASSED = frozenset({"ok", "pass", "passed", "true", "yes"})
_FAILED = frozenset({"fail", "failed", "false", "no", "low", "high", "poor"})


def icao_checklist(checks: dict[str, str], language: str = "eng") -> str:
    """Face ICAO-lite verdicts from the device (e.g. {"one_face": "ok", "sharpness": "low"}) as a checklist
    in ``language``. Other values a device adds (metrics, transaction ids, hashes) are not verdicts and are
    left out."""
    marks = []
    for key, value in checks.items():
        verdict = str(value).lower()
        if verdict in _PASSED or verdict in _FAILED:
            label = tr_code("face_check_label", key, language).replace("_", " ")
            marks.append(f"{'✔' if verdict in _PASSED else '✘'} {label}")
    return "   ".join(marks)

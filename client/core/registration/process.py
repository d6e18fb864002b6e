"""The process a registration follows (new, update, lost, correction) and the officer's choice that
opens an update (the resident's UIN and what changes) or a correction (the held packet's RID).

Plain data and pure checks, no I/O: :class:`client.core.registration.workflow.Registration` holds a
:class:`ProcessChoice` and calls these. Problems are :class:`ProcessProblem` strings (English) whose
``code`` and ``fields`` let a UI word them in its own language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.forms import FormEngine, FormSpecError, check_update_groups
from shared.rid import RidError, parse_rid
from shared.uin import UIN_LENGTH, UinError, check_uin

# Processes that begin with the officer's choice (Step.PROCESS) before any form.
CHOICE_FLOWS = frozenset({"update", "correction"})

_PROBLEMS = {  # the English default of each problem (the kiosk words the code itself)
    "uin_empty": "enter the resident's UIN",
    "uin_digits": "a UIN is digits only",
    "uin_length": "a UIN has {length} digits",
    "uin_leading_zero": "a UIN does not start with 0",
    "uin_check_digit": "the UIN's check digit is wrong: a digit is mistyped",
    "no_group": "choose at least one thing that changes",
    "group_empty": "{group} is chosen to change: enter its new value",
    "document_needed": "documents are chosen to change: attach at least one",
    "rid_format": "a registration ID (RID) has 29 digits",
    "nothing_to_send": "enter or attach at least one thing the server asked for",
}


class ProcessProblem(str):
    """Why a process step cannot go on, in English; ``code`` (a key of the table above) and ``fields``
    let a UI word it in its own language."""

    code: str
    fields: dict[str, Any]

    def __new__(cls, code: str, **fields: Any) -> ProcessProblem:
        problem = super().__new__(cls, _PROBLEMS[code].format(**fields))
        problem.code, problem.fields = code, fields
        return problem


@dataclass(frozen=True)
class ProcessChoice:
    """The process of one registration and what its packet's meta carries for it."""

    flow: str = "new"
    uin: str | None = None  # update: the resident whose identity changes
    update_groups: tuple[str, ...] = ()  # update: demographic groups, "documents", "biometrics"
    correction_of: str | None = None  # correction: the RID of the held packet this answers

    @property
    def authenticating(self) -> bool:
        """An update that keeps the stored biometrics: its captures only authenticate the resident."""
        return self.flow == "update" and "biometrics" not in self.update_groups

    @property
    def chosen(self) -> bool:
        """The officer's choice is made (always, for a process without one)."""
        if self.flow == "update":
            return bool(self.uin and self.update_groups)
        if self.flow == "correction":
            return bool(self.correction_of)
        return True


def check_update_choice(
    engine: FormEngine, *, uin: str, groups: Iterable[str], uin_length: int = UIN_LENGTH
) -> tuple[ProcessChoice | None, dict[str, ProcessProblem]]:
    """An update's choice if ``uin`` is well formed and ``groups`` are among the spec's; else the
    problems by key (``uin``, ``update_groups``)."""
    errors: dict[str, ProcessProblem] = {}
    checked_uin = None
    try:
        checked_uin = check_uin(uin, length=uin_length)
    except UinError as exc:
        errors["uin"] = ProcessProblem(f"uin_{exc.code}", length=exc.length)
    offered = [g.id for g in engine.ui_spec.groups] if engine.ui_spec else []
    chosen: tuple[str, ...] = ()
    try:
        chosen = check_update_groups(engine.schema, groups, offered=offered)
    except FormSpecError:
        errors["update_groups"] = ProcessProblem("no_group")
    if errors:
        return None, errors
    ordered = tuple(g for g in offered if g in chosen)  # the spec's order, whatever the clicks were
    return ProcessChoice(flow="update", uin=checked_uin, update_groups=ordered), {}


def check_correction_choice(rid: str) -> tuple[ProcessChoice | None, dict[str, ProcessProblem]]:
    """A correction's choice if ``rid`` is a well-formed RID; else the problem under ``rid``."""
    text = "".join(c for c in rid[:64] if c not in " -")
    try:
        parse_rid(text)
    except RidError:
        return None, {"rid": ProcessProblem("rid_format")}
    return ProcessChoice(flow="correction", correction_of=text), {}

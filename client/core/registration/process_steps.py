"""The part of the registration state machine that knows processes: the officer's choice that opens an
update or a correction, which steps a registration walks, and moving on to the next one.

A base class of :class:`client.core.registration.workflow.Registration` (which holds the state these
methods read: ``form``, ``engine``, ``process``, ``step``, ``values``, ``documents``, the supervisor's
approval); kept apart so each file keeps one purpose. No I/O.
"""

from __future__ import annotations

from typing import Any

from client.core.registration.process import (
    CHOICE_FLOWS,
    ProcessChoice,
    ProcessProblem,
    check_correction_choice,
    check_update_choice,
)
from client.core.registration.workflow_types import Step, WorkflowError
from shared.forms import ValidationResult, process_engine


class ProcessSteps:
    """Process choice and step order of a :class:`Registration` (see there for the attributes)."""

    @property
    def flow(self) -> str:
        return self.process.flow

    # -- the process: what an update changes, which packet a correction answers -------------------
    def choose_update(self, *, uin: str, groups: list[str]) -> dict[str, ProcessProblem]:
        """The resident's UIN and what changes (the spec's ``groups``); returns the problems by key
        (``uin``, ``update_groups``), or {} and moves to the first step of what changes. Values already
        entered for groups no longer chosen are dropped."""
        self._expect(Step.PROCESS)
        choice, errors = check_update_choice(self.form, uin=uin, groups=groups, uin_length=self.uin_length)
        if choice is not None:
            self._choose(choice)
        return errors

    def choose_correction(self, *, rid: str) -> dict[str, ProcessProblem]:
        """The RID of the held packet this correction answers; {} and on to the form, else the problem."""
        self._expect(Step.PROCESS)
        choice, errors = check_correction_choice(rid)
        if choice is not None:
            self._choose(choice)
        return errors

    def _choose(self, choice: ProcessChoice) -> None:
        if choice.flow != self.flow:
            raise WorkflowError(f"this registration is a {self.flow}, not a {choice.flow}")
        self.process = choice
        self.engine = process_engine(self.form, flow=choice.flow, update_groups=choice.update_groups)
        scope = self.engine.scope
        if scope is not None:
            self.values = {k: v for k, v in self.values.items() if k in scope}
            self.documents = {k: d for k, d in self.documents.items() if k in scope}
        self.step = self.steps()[1]

    def steps(self) -> list[Step]:
        """The data steps this registration walks, in order (the process choice first, when it has one)."""
        steps = [Step.PROCESS] if self.flow in CHOICE_FLOWS else []
        if self.flow == "new":
            return [*steps, Step.DEMOGRAPHICS, Step.DOCUMENTS, Step.BIOMETRICS]
        if not self.process.chosen:
            return steps
        spec, scope = self.engine.ui_spec, self.engine.scope
        kinds = {
            s.kind
            for s in (spec.screens if spec else ())
            for f in s.fields
            if scope is None or f.id in scope or s.kind == "biometrics"
        }
        steps += [s for s in (Step.DEMOGRAPHICS, Step.DOCUMENTS) if s.value in kinds]
        if "biometrics" in kinds and self.flow in ("update", "lost"):
            steps.append(Step.BIOMETRICS)
        return steps

    def _advance(self) -> None:
        """On to the step after this one; after the last data step, the approval or the preview."""
        steps = self.steps()
        later = steps[steps.index(self.step) + 1 :]
        if later:
            self.step = later[0]
            return
        kept = self.supervisor_id is not None and self._approved == self._biometric_state()
        if not self.approval_reasons() or not kept:  # changed since approved: ask again
            self.supervisor_id = self._approved = None
        needs = self.approval_reasons() and self.supervisor_id is None
        self.step = Step.SUPERVISOR_APPROVAL if needs else Step.PREVIEW

    # -- helpers ---------------------------------------------------------------------------------
    def _expect(self, *steps: Step) -> None:
        if self.step not in steps:
            raise WorkflowError(f"not allowed in step {self.step}; expected {', '.join(steps)}")

    def _screens(self, kind: str) -> list[str]:
        spec = self.engine.ui_spec
        return [s.id for s in spec.screens if s.kind == kind] if spec else []

    def _field_of_type(self, kind: str) -> list[str]:
        return [f.id for f in self.engine.schema.fields.values() if f.type == kind]

    def _check_groups_given(self, result: ValidationResult) -> None:
        """An update changes each demographic group it names: at least one of its fields has a value."""
        groups = self.engine.schema.groups()
        for group in self.process.update_groups if self.flow == "update" else ():
            ids = groups.get(group, ())
            if ids and not any(f in result.cleaned for f in ids):
                result.errors[ids[0]] = ProcessProblem("group_empty", group=group)

    def _given(self) -> dict[str, Any]:
        """What the person gave beyond their consent (a correction must send something)."""
        return {k: v for k, v in self.values.items() if self.engine.schema.fields[k].type != "consent"}

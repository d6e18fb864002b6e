"""The registration state machine: GUI-agnostic, fed with plain dicts and bytes, no I/O.

    [process] -> demographics -> documents -> biometrics -> [supervisor_approval] -> preview -> signed_off

Every process of the UI spec (new, update, lost, correction) walks it. An update or a correction starts
with the officer's choice (``process``: the UIN and what changes, or the held packet's RID); the form is
then scoped to what the process asks (shared.forms.process_engine), and a step with nothing in scope is
skipped (an update of the address alone has no documents step unless documents are chosen; a correction
has no biometrics). In an update that keeps the stored biometrics, the captures only authenticate the
resident: any one accepted capture will do.

The GUI (or the headless demo, or a test) drives it; each ``submit_*`` validates its step with the
form engine and either advances or returns per-field messages and changes nothing. Sealing, RIDs and
receipts happen in :mod:`client.core.registration.service`, which owns the I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from client.core.registration.biometrics import (
    CAPTURE_GROUPS,
    EXCEPTION_REASONS,
    BiometricCapture,
    BiometricException,
    BiometricPolicy,
)
from client.core.registration.consent import ConsentRecord, ConsentText
from client.core.registration.process import CHOICE_FLOWS, ProcessChoice, ProcessProblem
from client.core.registration.process_steps import ProcessSteps
from client.core.registration.workflow_types import (  # noqa: F401 - re-exported
    _SLOT_MESSAGES,
    CaptureOutcome,
    Document,
    SignedOffRegistration,
    SlotProblem,
    Step,
    WorkflowError,
)
from shared.forms import CONSENT_AGREED, FormEngine, ValidationResult, process_engine
from shared.uin import UIN_LENGTH


@dataclass
class Registration(ProcessSteps):
    engine: FormEngine
    policy: BiometricPolicy
    operator_id: str
    prereg_id: str | None = None
    prefill: dict[str, Any] = field(default_factory=dict)
    today: date | None = None
    step: Step = Step.DEMOGRAPHICS
    values: dict[str, Any] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    captures: dict[tuple[str, str], BiometricCapture] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    exceptions: dict[tuple[str, str], BiometricException] = field(default_factory=dict)
    exception_photo: bytes | None = None
    supervisor_id: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    consent: ConsentText | None = None  # the text the form's consent field shows (from master data)
    consent_shown: tuple[str, ...] = ()  # its languages on screen when the consent was accepted
    process: ProcessChoice = field(default_factory=ProcessChoice)  # the flow; its choice once made
    uin_length: int = UIN_LENGTH
    _approved: tuple | None = field(default=None, init=False, repr=False)  # the biometrics the supervisor saw

    def __post_init__(self) -> None:
        # Prefill only what the schema knows; the officer still confirms it on the demographics screen.
        # Consent is never prefilled: the applicant gives it at the kiosk.
        fields = self.engine.schema.fields
        self.values = {
            k: v for k, v in self.prefill.items() if k in fields and fields[k].type != "consent"
        } | self.values
        self.form = self.engine  # the spec on its schema; ``engine`` is it scoped to the process
        self.engine = process_engine(
            self.form, flow=self.process.flow, update_groups=self.process.update_groups
        )
        if self.process.flow in CHOICE_FLOWS and not self.process.chosen:
            self.step = Step.PROCESS

    # -- demographics ----------------------------------------------------------------------------
    def submit_demographics(self, values: dict[str, Any], *, language: str | None = None) -> ValidationResult:
        """Validate every demographics screen; advance to documents only when there is no error."""
        self._expect(Step.DEMOGRAPHICS)
        merged = {
            k: v
            for k, v in {**self.values, **values}.items()
            if self.engine.schema.fields.get(k)
            and self.engine.schema.fields[k].type not in {"document", "biometrics"}
        }
        ids = (
            [f.id for s in self._screens("demographics") for f in self.engine.ui_spec.screen(s).fields]
            if self.engine.ui_spec
            else [i for i in merged]
        )
        unknown = {
            k: f"{k} is not a field of the ID schema" for k in values if k not in self.engine.schema.fields
        }
        result = self.engine.validate(merged, fields=ids, language=language, today=self.today)
        result.errors.update(unknown)
        self._note_consent(result, language)
        if result.ok:
            self._check_groups_given(result)
        if result.ok:
            self.values = result.cleaned
            self._advance()
        return result

    def _note_consent(self, result: ValidationResult, language: str | None) -> None:
        """Record the languages the consent text was shown in (the screen's and the spec's second)."""
        consent, spec = self.consent, self.engine.ui_spec
        if consent is None or spec is None or result.cleaned.get(consent.field_id) != CONSENT_AGREED:
            return
        self.consent_shown = consent.shown(
            language, default=spec.default_language, second=spec.second_language
        )
        if not self.consent_shown:
            result.errors[consent.field_id] = "the consent text is not in this kiosk's master data; sync"

    # -- documents -------------------------------------------------------------------------------
    def document_fields(self, screen_id: str | None = None) -> dict[str, bool]:
        """The document fields that apply to this applicant, in spec order, each with whether it is
        required: a field whose ``visible_on`` fails for the demographics entered (say, proof of
        relationship for an adult) is left out. ``screen_id`` limits it to one documents screen."""
        screens = [screen_id] if screen_id else self._screens("documents")
        ids = (
            [f.id for s in screens for f in self.engine.ui_spec.screen(s).fields]
            if self.engine.ui_spec
            else list(self.engine.schema.fields)
        )
        return {
            f: self.engine.is_required(f, self.values, today=self.today)
            for f in ids
            if self.engine.schema.fields[f].type == "document"
            and self.engine.is_visible(f, self.values, today=self.today)
        }

    def add_document(
        self, *, field_id: str, doc_type: str, name: str, content_type: str, data: bytes
    ) -> None:
        """Attach (or replace) the document of ``field_id``; its type must be chosen (never a default)."""
        self._expect(Step.DOCUMENTS)
        spec = self.engine.schema.fields.get(field_id)
        if spec is None or spec.type != "document":
            raise WorkflowError(f"{field_id} is not a document field")
        if not doc_type:
            raise WorkflowError("a document needs its type chosen")
        if not data:
            raise WorkflowError("a document needs content")
        self.documents[field_id] = Document(field_id, doc_type, name, content_type, data)

    def retype_document(self, field_id: str, doc_type: str) -> None:
        """The officer corrected the type of a document already attached (no-op when none is)."""
        self._expect(Step.DOCUMENTS)
        doc = self.documents.get(field_id)
        if doc is not None and doc_type:
            self.documents[field_id] = replace(doc, doc_type=doc_type)

    def remove_document(self, field_id: str) -> None:
        self._expect(Step.DOCUMENTS)
        self.documents.pop(field_id, None)

    def submit_documents(self, *, language: str | None = None) -> ValidationResult:
        self._expect(Step.DOCUMENTS)
        doc_fields = self._field_of_type("document")
        view = {**self.values, **{f: {"type": d.doc_type, "name": d.name} for f, d in self.documents.items()}}
        result = self.engine.validate(view, fields=doc_fields, language=language, today=self.today)
        if result.ok:
            self.documents = {  # a document that no longer applies (a date of birth corrected) is dropped
                f: d
                for f, d in self.documents.items()
                if self.engine.is_visible(f, self.values, today=self.today)
            }
            if self.flow == "update" and not self.documents:
                result.errors["documents"] = ProcessProblem("document_needed")
            elif self.flow == "correction" and not self.documents and not self._given():
                result.errors["correction"] = ProcessProblem("nothing_to_send")
        if result.ok:
            self._advance()
        return result

    # -- biometrics ------------------------------------------------------------------------------
    def required_slots(self) -> list[tuple[str, str, str]]:
        """(group, modality, bio_subtype) for every modality the schema's biometrics field asks for."""
        modalities = {
            m for f in self._field_of_type("biometrics") for m in self.engine.schema.fields[f].modalities
        }
        return [
            (g, mod, sub) for g, (mod, subs) in CAPTURE_GROUPS.items() if mod in modalities for sub in subs
        ]

    def record_capture(self, *, group: str, records: list[BiometricCapture]) -> CaptureOutcome:
        """Take one capture attempt of a group; keep the best record per subtype across attempts."""
        self._expect(Step.BIOMETRICS)
        modality, subtypes = CAPTURE_GROUPS[group]
        attempts = self.attempts.get(group, 0) + 1
        self.attempts[group] = attempts
        for record in records:
            if record.modality != modality or record.bio_subtype not in subtypes:
                raise WorkflowError(f"{record.modality}/{record.bio_subtype} does not belong to {group}")
            key = (modality, record.bio_subtype)
            if key in self.exceptions:
                continue
            best = self.captures.get(key)
            if best is None or record.quality > best.quality:
                self.captures[key] = record
        threshold = self.policy.thresholds.get(modality, 0)
        missing = [
            s for s in subtypes if (modality, s) not in self.captures and (modality, s) not in self.exceptions
        ]
        poor = [
            s
            for s in subtypes
            if (modality, s) in self.captures and self.captures[(modality, s)].quality < threshold
        ]
        if not missing and not poor:
            return CaptureOutcome(True, False, attempts, threshold=threshold)
        short = tuple(missing + poor)
        if attempts < self.policy.max_retries:
            return CaptureOutcome(False, True, attempts, short, threshold)
        return CaptureOutcome(not missing, False, attempts, short, threshold)  # kept the best

    def mark_exception(self, *, modality: str, bio_subtype: str, reason: str = "missing") -> None:
        """A finger or eye that cannot be captured, and why (one of ``EXCEPTION_REASONS``; blank reads as
        "missing"); needs an exception photo and usually a supervisor. Drops a capture of that slot."""
        self._expect(Step.BIOMETRICS)
        reason = reason.strip() or "missing"
        if reason not in EXCEPTION_REASONS:
            raise WorkflowError(f"unknown exception reason {reason!r}; expected one of {EXCEPTION_REASONS}")
        if not any(m == modality and s == bio_subtype for _, m, s in self.required_slots()):
            raise WorkflowError(f"{modality}/{bio_subtype} is not captured in this registration")
        if modality == "face":
            raise WorkflowError("the face cannot be marked as an exception")
        self.captures.pop((modality, bio_subtype), None)
        self.exceptions[(modality, bio_subtype)] = BiometricException(modality, bio_subtype, reason)

    def clear_exception(self, *, modality: str, bio_subtype: str) -> None:
        """Undo :meth:`mark_exception` (the slot is to be captured after all)."""
        self._expect(Step.BIOMETRICS)
        self.exceptions.pop((modality, bio_subtype), None)

    def set_exception_photo(self, photo: bytes) -> None:
        self._expect(Step.BIOMETRICS)
        self.exception_photo = photo

    def approval_reasons(self) -> list[str]:
        reasons = []
        if "always" in self.policy.approval_for:
            reasons.append("always")
        if self.exceptions and "exceptions" in self.policy.approval_for:
            reasons.append("exceptions")
        poor = [
            f"{m}/{s}" for (m, s), c in self.captures.items() if c.quality < self.policy.thresholds.get(m, 0)
        ]
        if poor and "poor_quality" in self.policy.approval_for:
            reasons.append("poor_quality")
        return reasons

    def submit_biometrics(self) -> dict[str, SlotProblem]:
        """Check every slot is captured or excepted; return the problems by slot (empty = advanced)."""
        self._expect(Step.BIOMETRICS)
        errors: dict[str, SlotProblem] = {}
        authenticating = self.process.authenticating  # any one capture authenticates the resident
        if authenticating and not self.captures:
            errors["authentication"] = SlotProblem("auth_capture_needed")
        for group, modality, sub in self.required_slots():
            key = (modality, sub)
            slot = {"group": group, "modality": modality, "subtype": sub}
            if key not in self.captures and key not in self.exceptions:
                if not authenticating:
                    errors[f"{modality}/{sub}"] = SlotProblem("not_captured", **slot)
            elif key in self.captures:
                quality = self.captures[key].quality
                if (
                    quality < self.policy.thresholds.get(modality, 0)
                    and self.attempts.get(group, 0) < self.policy.max_retries
                ):
                    errors[f"{modality}/{sub}"] = SlotProblem("quality_low", **slot, quality=quality)
        if self.exceptions and not self.exception_photo:
            errors["exception_photo"] = SlotProblem("photo_required")
        if not errors:
            self._advance()
        return errors

    def _biometric_state(self) -> tuple:
        """Every capture, exception and the exception photo: what a supervisor approval covers."""
        return dict(self.captures), dict(self.exceptions), self.exception_photo

    def approve_by_supervisor(self, *, supervisor_id: str) -> None:
        """Record a supervisor verified by AuthenticationService.supervisor_approval (the service checks credentials)."""
        self._expect(Step.SUPERVISOR_APPROVAL)
        if supervisor_id == self.operator_id:
            raise WorkflowError("a supervisor cannot approve their own registration")
        self.supervisor_id = supervisor_id
        self._approved = self._biometric_state()
        self.step = Step.PREVIEW

    # -- preview, sign-off -----------------------------------------------------------------------
    def back(self) -> None:
        """One step back; from the preview or the approval, back to the last data step."""
        steps = self.steps()
        if self.step in (Step.PREVIEW, Step.SUPERVISOR_APPROVAL) and steps:
            self.go_to(steps[-1])
        elif self.step in steps[1:]:
            self.go_to(steps[steps.index(self.step) - 1])
        else:
            raise WorkflowError(f"cannot go back from {self.step}")

    def go_to(self, step: Step) -> None:
        """Return to an earlier data step (the preview's Edit links), keeping everything entered.

        The officer then moves forward with the ``submit_*`` steps again; a supervisor approval stays
        only if the biometrics are unchanged when they are submitted again (see ``submit_biometrics``).
        """
        order = [*self.steps(), Step.SUPERVISOR_APPROVAL, Step.PREVIEW]
        if step not in order[:-2] or self.step not in order:
            raise WorkflowError(f"cannot go from {self.step} to {step}")
        if order.index(step) > order.index(self.step):
            raise WorkflowError(f"{step} is ahead of {self.step}: submit the steps in between")
        self.step = step

    def preview(self) -> dict[str, Any]:
        self._expect(Step.PREVIEW)
        return {
            "demographics": dict(self.values),
            "documents": {f: d.name for f, d in self.documents.items()},
            "biometrics": sorted(f"{m}/{s}:{c.quality}" for (m, s), c in self.captures.items()),
            "exceptions": sorted(f"{m}/{s}" for (m, s) in self.exceptions),
            "supervisor_id": self.supervisor_id,
            "process": self.process,
        }

    def sign_off(self, *, operator_id: str) -> SignedOffRegistration:
        self._expect(Step.PREVIEW)
        if operator_id != self.operator_id:
            raise WorkflowError("only the officer who made the registration can sign it off")
        self.step = Step.SIGNED_OFF
        spec = self.engine.ui_spec
        return SignedOffRegistration(
            demographics=dict(self.values),
            documents=list(self.documents.values()),
            biometrics=list(self.captures.values()),
            exceptions=list(self.exceptions.values()),
            exception_photo=self.exception_photo,
            operator_id=operator_id,
            supervisor_id=self.supervisor_id,
            approval_reasons=self.approval_reasons(),
            started_at=self.started_at,
            signed_off_at=datetime.now(UTC),
            schema_version=self.engine.schema.version,
            ui_spec_version=spec.version if spec else None,
            prereg_id=self.prereg_id,
            retries=dict(self.attempts),
            consent=(
                ConsentRecord.of(self.consent, self.consent_shown)
                if self.consent and self.values.get(self.consent.field_id) == CONSENT_AGREED
                else None
            ),
            process=self.process,
        )

    def cancel(self) -> None:
        if self.step in (Step.SIGNED_OFF, Step.SEALED):
            raise WorkflowError("a signed-off registration cannot be cancelled")
        self.step = Step.CANCELLED

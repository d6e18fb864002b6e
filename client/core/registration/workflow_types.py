"""The registration workflow's vocabulary: its steps, its error, and the values it hands out
(documents, capture outcomes, worded-by-code slot problems, the signed-off registration). Plain data,
no I/O; :mod:`client.core.registration.workflow` re-exports every name.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from client.core.registration.biometrics import BiometricCapture, BiometricException
from client.core.registration.consent import ConsentRecord
from client.core.registration.process import ProcessChoice


class Step(enum.StrEnum):
    PROCESS = "process"  # update: the UIN and what changes; correction: the held packet's RID
    DEMOGRAPHICS = "demographics"
    DOCUMENTS = "documents"
    BIOMETRICS = "biometrics"
    SUPERVISOR_APPROVAL = "supervisor_approval"
    PREVIEW = "preview"
    SIGNED_OFF = "signed_off"
    SEALED = "sealed"
    CANCELLED = "cancelled"


_ORDER = (Step.DEMOGRAPHICS, Step.DOCUMENTS, Step.BIOMETRICS, Step.SUPERVISOR_APPROVAL, Step.PREVIEW)


class WorkflowError(RuntimeError):
    """An action that is not allowed in the current step (a programming or GUI error)."""


@dataclass(frozen=True)
class Document:
    field_id: str
    doc_type: str
    name: str
    content_type: str
    data: bytes


@dataclass
class CaptureOutcome:
    """One capture of a group: ``short`` names the subtypes still missing or below ``threshold`` (the
    kiosk words this for the officer)."""

    accepted: bool
    retry_allowed: bool
    attempts: int
    short: tuple[str, ...] = ()
    threshold: int = 0


_SLOT_MESSAGES = {  # the English default of each biometric problem (the kiosk words the code itself)
    "not_captured": "{subtype} ({modality}) is not captured yet",
    "quality_low": "{subtype} ({modality}) quality {quality} is too low; retry",
    "photo_required": "an exception photo is required when a biometric is marked missing",
    "auth_capture_needed": "capture at least one finger, eye or the face to authenticate the resident",
}


class SlotProblem(str):
    """Why the biometrics step cannot advance, in English; ``code`` (a key of the table above) and
    ``fields`` (group, modality, subtype, quality) let a UI word it in its own language."""

    code: str
    fields: dict[str, Any]

    def __new__(cls, code: str, **fields: Any) -> SlotProblem:
        problem = super().__new__(cls, _SLOT_MESSAGES[code].format(**fields))
        problem.code, problem.fields = code, fields
        return problem


@dataclass
class SignedOffRegistration:
    """Everything the packet needs; produced by :meth:`Registration.sign_off`."""

    demographics: dict[str, Any]
    documents: list[Document]
    biometrics: list[BiometricCapture]
    exceptions: list[BiometricException]
    exception_photo: bytes | None
    operator_id: str
    supervisor_id: str | None
    approval_reasons: list[str]
    started_at: datetime
    signed_off_at: datetime
    schema_version: int
    ui_spec_version: int | None
    prereg_id: str | None
    retries: dict[str, int]
    consent: ConsentRecord | None = None  # None: the form asks for no consent
    process: ProcessChoice = field(default_factory=ProcessChoice)  # the flow and what its meta carries

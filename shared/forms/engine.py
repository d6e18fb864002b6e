"""FormEngine: visibility, requiredness and validation of form values against schema + UI spec.

Values are plain JSON-like dicts (field id -> value): text/number as str/number, dates as ISO
``YYYY-MM-DD`` strings, dropdown/location as master-data ids, documents and biometrics as any non-empty
value (the workflow stores references there). The engine is pure: no I/O, no clock unless ``today`` is
omitted, so the kiosk and the server reach the same verdict for the same packet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.forms.conditions import age_in_years, evaluate_condition
from shared.forms.schema import FieldSpec, IdSchema, UiField, UiSpec, Validator

# (source entity or "location:<level>", parent value or None) -> allowed ids, or None when unknown
OptionsLookup = Callable[[str, str | None], list[str] | None]

_DEFAULT_MESSAGES = {
    "required": "{label} is required",
    "regex": "{label} has an invalid format",
    "length_min": "{label} must be at least {min} characters",
    "length_max": "{label} must be at most {max} characters",
    "date": "{label} must be a date (YYYY-MM-DD)",
    "date_min": "{label} must be on or after {min}",
    "date_max": "{label} must be on or before {max}",
    "age_min": "{label}: age must be at least {min}",
    "age_max": "{label}: age must be at most {max}",
    "number": "{label} must be a number",
    "range_min": "{label} must be at least {min}",
    "range_max": "{label} must be at most {max}",
    "option": "{label}: {value!r} is not one of the allowed values",
    "type": "{label} has the wrong kind of value",
    "consent": "{label}: the applicant has not agreed",
}
CONSENT_AGREED = "I_AGREE"  # the one value a consent field holds in the identity record


class RuleMessage(str):
    """A message worded from the engine's default (English) table; ``rule`` and ``fields`` let a UI
    word it again in its own language (``rule`` is a key of the default table, ``fields`` its format
    fields). A UI-spec validator's own message is a plain ``str``: it is already in the right language."""

    rule: str
    fields: dict[str, Any]

    def __new__(cls, rule: str, **fields: Any) -> RuleMessage:
        message = super().__new__(cls, _DEFAULT_MESSAGES[rule].format(**fields))
        message.rule, message.fields = rule, fields
        return message


@dataclass
class ValidationResult:
    """Per-field messages; ``ok`` when there are none. ``cleaned`` holds only visible, set fields."""

    errors: dict[str, str] = field(default_factory=dict)
    cleaned: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {}, ())


class FormEngine:
    """Evaluate one UI spec over its ID schema. Thread-safe: holds no per-registration state.

    ``scope`` (None: every field) limits the form to some fields: the others read as hidden, so they are
    never required, validated or kept. ``schema_required`` (None: every field) names the fields whose
    schema requiredness applies; the UI spec's own ``required`` / ``required_on`` always apply. An update
    scopes the form to the groups it changes; a lost-UIN search requires nothing the person may not
    remember (shared.forms.processes)."""

    def __init__(
        self,
        *,
        schema: IdSchema,
        ui_spec: UiSpec | None = None,
        options: OptionsLookup | None = None,
        scope: frozenset[str] | None = None,
        schema_required: frozenset[str] | None = None,
    ):
        self.schema = schema
        self.ui_spec = ui_spec
        self.scope, self.schema_required = scope, schema_required
        self._options = options
        self._ui_fields: dict[str, UiField] = (
            {f.id: f for s in ui_spec.screens for f in s.fields} if ui_spec else {}
        )

    def restricted(
        self, *, scope: frozenset[str] | None = None, schema_required: frozenset[str] | None = None
    ) -> FormEngine:
        """The same form limited to ``scope``, with schema requiredness only for ``schema_required``."""
        return FormEngine(
            schema=self.schema,
            ui_spec=self.ui_spec,
            options=self._options,
            scope=scope,
            schema_required=schema_required,
        )

    # -- labels -------------------------------------------------------------------------------
    def label(self, field_id: str, language: str | None = None) -> str:
        """The field label in ``language``, else the spec's default language, else the field id."""
        labels = self._ui_fields[field_id].labels if field_id in self._ui_fields else {}
        default = self.ui_spec.default_language if self.ui_spec else "eng"
        return labels.get(language or default) or labels.get(default) or field_id

    def labels(self, field_id: str) -> tuple[str, str | None]:
        """(default-language label, second-language label or None) for bilingual rendering."""
        second = self.ui_spec.second_language if self.ui_spec else None
        first = self.label(field_id)
        other = (
            self._ui_fields[field_id].labels.get(second) if second and field_id in self._ui_fields else None
        )
        return first, other

    # -- conditions ---------------------------------------------------------------------------
    def is_visible(self, field_id: str, values: Mapping[str, Any], *, today: date | None = None) -> bool:
        if self.scope is not None and field_id not in self.scope:
            return False
        ui = self._ui_fields.get(field_id)
        return ui is None or ui.visible_on is None or evaluate_condition(ui.visible_on, values, today=today)

    def is_required(self, field_id: str, values: Mapping[str, Any], *, today: date | None = None) -> bool:
        if not self.is_visible(field_id, values, today=today):
            return False
        spec = self.schema.fields[field_id]
        from_schema = self.schema_required is None or field_id in self.schema_required
        if from_schema and (spec.required or any(v.type == "required" for v in spec.validators)):
            return True
        if field_id in self._ui_fields and self._ui_fields[field_id].required:
            return True
        ui_condition = self._ui_fields.get(field_id, UiField(field_id, "", {})).required_on
        conditions = [spec.required_on if from_schema else None, ui_condition]
        return any(c and evaluate_condition(c, values, today=today) for c in conditions)

    def marked_required(self, field_id: str) -> bool:
        """Required whatever the values (the form marks it with a star): by the schema, when its
        requiredness applies here, or by the UI spec."""
        spec, ui = self.schema.fields[field_id], self._ui_fields.get(field_id)
        from_schema = self.schema_required is None or field_id in self.schema_required
        return (from_schema and spec.required) or (ui is not None and ui.required)

    def screen_fields(
        self, screen_id: str, values: Mapping[str, Any], *, today: date | None = None
    ) -> list[str]:
        """Visible field ids of a screen, in spec order (what the GUI renders right now)."""
        assert self.ui_spec is not None, "screen_fields needs a UI spec"
        screen = self.ui_spec.screen(screen_id)
        return [f.id for f in screen.fields if self.is_visible(f.id, values, today=today)]

    # -- validation ---------------------------------------------------------------------------
    def validate(
        self,
        values: Mapping[str, Any],
        *,
        fields: list[str] | None = None,
        language: str | None = None,
        today: date | None = None,
    ) -> ValidationResult:
        """Validate ``fields`` (default: the whole schema); unknown keys in ``values`` are errors."""
        today = today or date.today()
        result = ValidationResult()
        for key in values:
            if key not in self.schema.fields:
                result.errors[key] = f"{key} is not a field of the ID schema"
        for field_id in fields if fields is not None else list(self.schema.fields):
            if not self.is_visible(field_id, values, today=today):
                continue
            value = values.get(field_id)
            message = self._check_field(self.schema.fields[field_id], value, values, language, today)
            if message:
                result.errors[field_id] = message
            elif not _empty(value):
                result.cleaned[field_id] = value.strip() if isinstance(value, str) else value
        return result

    def validate_screen(
        self,
        screen_id: str,
        values: Mapping[str, Any],
        *,
        language: str | None = None,
        today: date | None = None,
    ) -> ValidationResult:
        assert self.ui_spec is not None, "validate_screen needs a UI spec"
        ids = [f.id for f in self.ui_spec.screen(screen_id).fields]
        own = {k: v for k, v in values.items() if k in self.schema.fields}
        return self.validate(own, fields=ids, language=language, today=today)

    def _message(self, key: str, validator: Validator | None, language: str | None, **kw: Any) -> str:
        if validator and validator.messages:
            default = self.ui_spec.default_language if self.ui_spec else "eng"
            messages = validator.messages  # the asked language, else the spec's default, else any
            custom = (
                messages.get(language or default) or messages.get(default) or next(iter(messages.values()))
            )
            return custom.format(**kw) if "{" in custom else f"{kw['label']}: {custom}"
        return RuleMessage(key, **kw)

    def _check_field(
        self, spec: FieldSpec, value: Any, values: Mapping[str, Any], language: str | None, today: date
    ) -> str | None:
        label = self.label(spec.id, language)
        if _empty(value):
            if self.is_required(spec.id, values, today=today):
                return self._message("required", None, language, label=label)
            return None
        if spec.type in {"text", "dropdown", "location", "date"} and not isinstance(value, str):
            return self._message("type", None, language, label=label)
        text = value.strip() if isinstance(value, str) else value
        if spec.type == "consent" and text != CONSENT_AGREED:
            return self._message("consent", None, language, label=label)
        if spec.type == "date":
            try:
                date.fromisoformat(text)
            except ValueError:
                return self._message("date", None, language, label=label)
        if spec.type == "number" and (not isinstance(value, int | float) or isinstance(value, bool)):
            try:
                text = float(str(value))
            except ValueError:
                return self._message("number", None, language, label=label)
        if spec.type in {"dropdown", "location"} and self._options is not None:
            key = spec.source if spec.type == "dropdown" else f"location:{spec.level}"
            parent = values.get(spec.parent) if spec.parent else None
            allowed = self._options(key, parent)
            if allowed is not None and text not in allowed:
                return self._message("option", None, language, label=label, value=text)
        for validator in spec.validators:
            message = self._run_validator(validator, text, label, language, today)
            if message:
                return message
        return None

    def _run_validator(
        self, v: Validator, value: Any, label: str, language: str | None, today: date
    ) -> str | None:
        p = v.params
        if v.type == "regex":
            if not re.fullmatch(p["pattern"], str(value)):
                return self._message("regex", v, language, label=label)
        elif v.type == "length":
            size = len(str(value))
            if p.get("min") is not None and size < p["min"]:
                return self._message("length_min", v, language, label=label, min=p["min"])
            if p.get("max") is not None and size > p["max"]:
                return self._message("length_max", v, language, label=label, max=p["max"])
        elif v.type == "date_range":
            try:
                when = date.fromisoformat(str(value))
            except ValueError:
                return self._message("date", v, language, label=label)
            low, high = (_bound(p.get(k), today) for k in ("min", "max"))
            if low and when < low:
                return self._message("date_min", v, language, label=label, min=low.isoformat())
            if high and when > high:
                return self._message("date_max", v, language, label=label, max=high.isoformat())
        elif v.type == "age":
            years = age_in_years(value, today)
            if years is None:
                return self._message("date", v, language, label=label)
            if p.get("min") is not None and years < p["min"]:
                return self._message("age_min", v, language, label=label, min=p["min"])
            if p.get("max") is not None and years > p["max"]:
                return self._message("age_max", v, language, label=label, max=p["max"])
        elif v.type == "range":
            number = float(value)
            if p.get("min") is not None and number < p["min"]:
                return self._message("range_min", v, language, label=label, min=p["min"])
            if p.get("max") is not None and number > p["max"]:
                return self._message("range_max", v, language, label=label, max=p["max"])
        return None


def _bound(raw: str | None, today: date) -> date | None:
    if raw is None:
        return None
    return today if raw == "today" else date.fromisoformat(raw)

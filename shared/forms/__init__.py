"""The form/schema engine shared by the kiosk (rendering + validation) and the server (packet checks).

``id_schema`` says which fields an identity record has and what makes a value valid; ``ui_spec`` says how
the kiosk lays them out (screens, order, controls, labels, conditions). Both arrive as master data; see
docs/forms.md for the JSON format.
"""

from shared.forms.conditions import ConditionError, evaluate_condition, parse_condition
from shared.forms.consent import consent_digest, template_texts
from shared.forms.engine import CONSENT_AGREED, FormEngine, ValidationResult
from shared.forms.processes import check_update_groups, process_engine, process_scope
from shared.forms.schema import (
    FIELD_TYPES,
    FLOWS,
    RESERVED_GROUPS,
    FieldSpec,
    FormSpecError,
    IdSchema,
    ScreenSpec,
    UiField,
    UiSpec,
    UpdateGroup,
    load_id_schema,
    load_ui_spec,
)

__all__ = [
    "CONSENT_AGREED",
    "FIELD_TYPES",
    "FLOWS",
    "RESERVED_GROUPS",
    "ConditionError",
    "FieldSpec",
    "FormEngine",
    "FormSpecError",
    "IdSchema",
    "ScreenSpec",
    "UiField",
    "UiSpec",
    "UpdateGroup",
    "ValidationResult",
    "check_update_groups",
    "consent_digest",
    "evaluate_condition",
    "load_id_schema",
    "load_ui_spec",
    "parse_condition",
    "process_engine",
    "process_scope",
    "template_texts",
]

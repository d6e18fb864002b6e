"""The consent a registration asks for: its text from master data, and the record of what was shown.

The service resolves the text once when a registration starts (:func:`consent_text`); the screen shows
it; the workflow records, when the demographics step is accepted, which languages were on screen; the
packet's meta then carries :class:`ConsentRecord` (docs/forms.md, Consent).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.forms import FormEngine, consent_digest, template_texts


@dataclass(frozen=True)
class ConsentText:
    """A consent field, the ``templates`` row its text comes from, and the text per language."""

    field_id: str
    template_id: str
    texts: dict[str, str] = field(default_factory=dict)

    def shown(self, language: str | None, *, default: str, second: str | None) -> tuple[str, ...]:
        """The languages the kiosk shows the text in: ``language`` (else ``default``) and the form's
        ``second`` language, each only if the template has a text in it. Empty: nothing to show."""
        first = next((lang for lang in (language, default) if lang in self.texts), None)
        return tuple(dict.fromkeys(lang for lang in (first, second) if lang and lang in self.texts))


@dataclass(frozen=True)
class ConsentRecord:
    """What the applicant agreed to, as the packet's meta records it."""

    template_id: str
    languages: tuple[str, ...]
    sha256: str

    @classmethod
    def of(cls, consent: ConsentText, languages: tuple[str, ...]) -> ConsentRecord:
        return cls(consent.template_id, languages, consent_digest(consent.texts, languages))


def consent_text(
    engine: FormEngine, template: Callable[[str], Mapping[str, Any] | None]
) -> ConsentText | None:
    """The UI spec's consent field with its text (``template``: master-data row by id); None without one.
    A template missing from master data gives no texts: the screen then cannot take the consent."""
    spec = engine.ui_spec
    for ui_field in (f for s in spec.screens for f in s.fields) if spec else ():
        if engine.schema.fields[ui_field.id].type == "consent" and ui_field.template:
            return ConsentText(ui_field.id, ui_field.template, template_texts(template(ui_field.template)))
    return None

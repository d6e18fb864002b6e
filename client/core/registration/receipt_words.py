"""The receipt's words in each language it can be printed in (ISO 639-3 codes, as in the UI spec).

The receipt is made by the core (no Qt), so its words live here rather than in ``client.ui.strings``.
"""

from __future__ import annotations

from shared.forms.schema import UiSpec

RECEIPT_WORDS: dict[str, dict[str, str]] = {
    "eng": {
        "title": "Registration acknowledgement",
        "rid": "Registration ID (RID)",
        "name": "Name",
        "center": "Center",
        "registered_at": "Registered at (UTC)",
        "biometrics": "Biometrics captured",
        "exceptions": "Exceptions",
        "officer": "Officer",
        "none": "none",
        "separator": ", ",
        "keep": "Keep this receipt. Quote the RID to follow your registration.",
        "finger": "fingerprints",
        "iris": "irises",
        "face": "face",
    },
    "fra": {
        "title": "Accusé d'enregistrement",
        "rid": "N° d'enregistrement (RID)",
        "name": "Nom",
        "center": "Centre",
        "registered_at": "Enregistré le (UTC)",
        "biometrics": "Biométrie capturée",
        "exceptions": "Exceptions",
        "officer": "Agent",
        "none": "aucune",
        "separator": ", ",
        "keep": "Conservez ce reçu. Citez le RID pour suivre votre enregistrement.",
        "finger": "empreintes digitales",
        "iris": "iris",
        "face": "visage",
    },
    "ara": {
        "title": "إشعار التسجيل",
        "rid": "رقم التسجيل (RID)",
        "name": "الاسم",
        "center": "المركز",
        "registered_at": "تاريخ التسجيل (UTC)",
        "biometrics": "البيانات الحيوية الملتقطة",
        "exceptions": "الاستثناءات",
        "officer": "الموظف",
        "none": "لا شيء",
        "separator": "، ",
        "keep": "احتفظ بهذا الإيصال. اذكر رقم التسجيل لمتابعة تسجيلك.",
        "finger": "بصمات الأصابع",
        "iris": "القزحية",
        "face": "الوجه",
    },
}
RIGHT_TO_LEFT = frozenset({"ara"})
FALLBACK = "eng"


def receipt_languages(ui_spec: UiSpec | None, *, kiosk_language: str | None = None) -> tuple[str, ...]:
    """The languages the applicant filled the form in (the spec's default and second language, those the
    receipt has words for), in that order; with fewer than two, the kiosk's language (if given) and English
    join them."""
    form = (ui_spec.default_language, ui_spec.second_language) if ui_spec else ()
    chosen = [lang for lang in form if lang in RECEIPT_WORDS]
    if len(chosen) < 2:
        chosen += [lang for lang in (kiosk_language, FALLBACK) if lang in RECEIPT_WORDS]
    return tuple(dict.fromkeys(chosen))

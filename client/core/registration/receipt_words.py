"""The receipt's words in each language it can be printed in (ISO 639-3 codes, as in the UI spec).

The receipt is made by the core (no Qt), so its words live here rather than in ``client.ui.strings``.
"""

from __future__ import annotations

from shared.forms.schema import UiSpec

RECEIPT_WORDS: dict[str, dict[str, str]] = {
    "eng": {
        "title": "Registration acknowledgement",
        "title_update": "Update request acknowledgement",
        "title_lost": "Lost UIN request acknowledgement",
        "title_correction": "Additional information acknowledgement",
        "uin": "UIN to update",
        "changes": "Changes requested",
        "answers": "In answer to RID",
        "keep_update": "Keep this receipt. Quote the RID to follow your request.",
        "keep_correction": "Keep this receipt. Quote the RID to follow your request.",
        "keep_lost": "Keep this receipt. Quote the RID to follow your request; your UIN is given when found.",
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
        "title_update": "Accusé de demande de mise à jour",
        "title_lost": "Accusé de demande de NIU perdu",
        "title_correction": "Accusé de complément d'information",
        "uin": "NIU à mettre à jour",
        "changes": "Modifications demandées",
        "answers": "En réponse au RID",
        "keep_update": "Conservez ce reçu. Citez le RID pour suivre votre demande.",
        "keep_correction": "Conservez ce reçu. Citez le RID pour suivre votre demande.",
        "keep_lost": "Conservez ce reçu. Citez le RID pour suivre votre demande ; votre NIU vous sera donné une fois retrouvé.",
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
        "title_update": "إشعار طلب التحديث",
        "title_lost": "إشعار طلب رقم هوية مفقود",
        "title_correction": "إشعار استكمال المعلومات",
        "uin": "رقم الهوية المراد تحديثه",
        "changes": "التغييرات المطلوبة",
        "answers": "ردًا على رقم التسجيل",
        "keep_update": "احتفظ بهذا الإيصال. اذكر رقم التسجيل لمتابعة طلبك.",
        "keep_correction": "احتفظ بهذا الإيصال. اذكر رقم التسجيل لمتابعة طلبك.",
        "keep_lost": "احتفظ بهذا الإيصال. اذكر رقم التسجيل لمتابعة طلبك؛ يُعطى رقم هويتك عند العثور عليه.",
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

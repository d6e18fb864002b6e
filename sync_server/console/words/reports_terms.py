"""Words for the terms of a report definition that every reports page shows: file formats, parameter
types, business-day rules, validation kinds and severities, days of the week."""

_DAYS = {
    "eng": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fra": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "ara": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
}
_SHORT_DAYS = {
    "eng": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fra": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "ara": ("اثنين", "ثلاثاء", "أربعاء", "خميس", "جمعة", "سبت", "أحد"),
}


def _days(lang: str) -> dict[str, str]:
    days = {f"reports.day_{i}": name for i, name in enumerate(_DAYS[lang])}
    return days | {f"reports.day_short_{i}": name for i, name in enumerate(_SHORT_DAYS[lang])}


WORDS = {
    "eng": _days("eng")
    | {
        "reports.format_csv": "CSV",
        "reports.format_json": "JSON",
        "reports.format_xml": "XML",
        "reports.format_pdf": "PDF",
        "reports.format_meta": "Run facts (JSON)",
        "reports.business_any": "Run on any day",
        "reports.business_skip": "Skip weekends and holidays",
        "reports.business_next": "Move to the next business day",
        "reports.business_previous": "Move to the previous business day",
        "reports.severity_blocking": "Blocking",
        "reports.severity_warning": "Warning",
        "reports.check_rule": "Row rule",
        "reports.check_sql": "SQL check",
        "reports.expect_no_rows": "no rows",
        "reports.expect_count": "a count",
        "reports.type_string": "text",
        "reports.type_integer": "whole number",
        "reports.type_number": "number",
        "reports.type_date": "date",
        "reports.type_boolean": "yes or no",
    },
    "fra": _days("fra")
    | {
        "reports.format_csv": "CSV",
        "reports.format_json": "JSON",
        "reports.format_xml": "XML",
        "reports.format_pdf": "PDF",
        "reports.format_meta": "Faits de l'exécution (JSON)",
        "reports.business_any": "Exécuter n'importe quel jour",
        "reports.business_skip": "Sauter les week-ends et jours fériés",
        "reports.business_next": "Reporter au jour ouvré suivant",
        "reports.business_previous": "Avancer au jour ouvré précédent",
        "reports.severity_blocking": "Bloquant",
        "reports.severity_warning": "Avertissement",
        "reports.check_rule": "Règle de ligne",
        "reports.check_sql": "Contrôle SQL",
        "reports.expect_no_rows": "aucune ligne",
        "reports.expect_count": "un nombre",
        "reports.type_string": "texte",
        "reports.type_integer": "nombre entier",
        "reports.type_number": "nombre",
        "reports.type_date": "date",
        "reports.type_boolean": "oui ou non",
    },
    "ara": _days("ara")
    | {
        "reports.format_csv": "CSV",
        "reports.format_json": "JSON",
        "reports.format_xml": "XML",
        "reports.format_pdf": "PDF",
        "reports.format_meta": "بيانات التشغيل (JSON)",
        "reports.business_any": "التشغيل في أي يوم",
        "reports.business_skip": "تخطي عطل نهاية الأسبوع والعطل الرسمية",
        "reports.business_next": "التأجيل إلى يوم العمل التالي",
        "reports.business_previous": "التقديم إلى يوم العمل السابق",
        "reports.severity_blocking": "مانع",
        "reports.severity_warning": "تحذير",
        "reports.check_rule": "قاعدة صفوف",
        "reports.check_sql": "تحقق SQL",
        "reports.expect_no_rows": "لا صفوف",
        "reports.expect_count": "عددًا",
        "reports.type_string": "نص",
        "reports.type_integer": "عدد صحيح",
        "reports.type_number": "عدد",
        "reports.type_date": "تاريخ",
        "reports.type_boolean": "نعم أو لا",
    },
}

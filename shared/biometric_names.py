"""Biometric positions (SBI/ISO bio sub-types) named in each language.

The kiosk's receipt prints them and its string tables take their ``bio.subtype.*`` entries from here,
so the screen and the paper name a finger the same way; server pages may use them too.
"""

from __future__ import annotations

SUBTYPE_NAMES: dict[str, dict[str, str]] = {
    "eng": {
        "Left Thumb": "Left thumb",
        "Left IndexFinger": "Left index finger",
        "Left MiddleFinger": "Left middle finger",
        "Left RingFinger": "Left ring finger",
        "Left LittleFinger": "Left little finger",
        "Right Thumb": "Right thumb",
        "Right IndexFinger": "Right index finger",
        "Right MiddleFinger": "Right middle finger",
        "Right RingFinger": "Right ring finger",
        "Right LittleFinger": "Right little finger",
        "Left": "Left eye",
        "Right": "Right eye",
        "Face": "Face",
    },
    "fra": {
        "Left Thumb": "Pouce gauche",
        "Left IndexFinger": "Index gauche",
        "Left MiddleFinger": "Majeur gauche",
        "Left RingFinger": "Annulaire gauche",
        "Left LittleFinger": "Auriculaire gauche",
        "Right Thumb": "Pouce droit",
        "Right IndexFinger": "Index droit",
        "Right MiddleFinger": "Majeur droit",
        "Right RingFinger": "Annulaire droit",
        "Right LittleFinger": "Auriculaire droit",
        "Left": "Œil gauche",
        "Right": "Œil droit",
        "Face": "Visage",
    },
    "ara": {
        "Left Thumb": "الإبهام الأيسر",
        "Left IndexFinger": "السبابة اليسرى",
        "Left MiddleFinger": "الوسطى اليسرى",
        "Left RingFinger": "البنصر الأيسر",
        "Left LittleFinger": "الخنصر الأيسر",
        "Right Thumb": "الإبهام الأيمن",
        "Right IndexFinger": "السبابة اليمنى",
        "Right MiddleFinger": "الوسطى اليمنى",
        "Right RingFinger": "البنصر الأيمن",
        "Right LittleFinger": "الخنصر الأيمن",
        "Left": "العين اليسرى",
        "Right": "العين اليمنى",
        "Face": "الوجه",
    },
}


def subtype_name(subtype: str, language: str) -> str:
    """``subtype`` in ``language`` (English when the language has no table, the code when no name)."""
    return SUBTYPE_NAMES.get(language, SUBTYPE_NAMES["eng"]).get(subtype, subtype)


def string_entries(language: str) -> dict[str, str]:
    """The ``bio.subtype.<code>`` entries of the kiosk's string table for ``language``."""
    return {f"bio.subtype.{code.replace(' ', '_')}": name for code, name in SUBTYPE_NAMES[language].items()}

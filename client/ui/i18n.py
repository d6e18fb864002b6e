"""Looking up the kiosk's own words, and immediate language switching (incl. right-to-left).

The words themselves are plain tables in :mod:`client.ui.strings`, one module per language. Form labels
come from the UI spec (master data); only the application's own words live in those tables. Every
screen implements ``retranslate()``; :class:`Language` emits ``changed`` and flips the layout direction
so Arabic mirrors the whole window at once.
"""

from __future__ import annotations

import re
import string
import unicodedata

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from client.ui.strings import LANGUAGES, REFERENCE

RTL_LANGUAGES = frozenset(code for code, table in LANGUAGES.items() if table.RIGHT_TO_LEFT)
LANGUAGE_NAMES = {code: table.NAME for code, table in LANGUAGES.items()}
_TABLES = {code: table.STRINGS for code, table in LANGUAGES.items()}


FSI, PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate (Unicode bidi, UAX #9)
_LTR_CLASSES = frozenset({"L", "LRE", "LRO", "LRI"})


def isolate(value: str) -> str:
    """``value`` in a first-strong isolate when right-to-left text would reorder it: when it holds Latin
    (an id such as ``op1``, a name, an address) or numbers split by spaces or signs (``+000 555 0101``,
    ``2 / 5``). Plain numbers and Arabic words read right as they are and stay bare."""
    latin = any(unicodedata.bidirectional(c) in _LTR_CLASSES for c in value)
    split_number = bool(re.search(r"\d[^\d.,:-]+\d", value))
    return f"{FSI}{value}{PDI}" if (latin or split_number) and not value.startswith(FSI) else value


class _IsolatingFormatter(string.Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        return isolate(super().format_field(value, format_spec))


_ISOLATING = _IsolatingFormatter()


def tr(key: str, language: str, **kw: object) -> str:
    """The chrome string ``key`` in ``language`` (falls back to English, then the key itself). In a
    right-to-left language each field that would be reordered is isolated (:func:`isolate`), so
    "Center 10001 · kiosk K-7" or a RID after Arabic words reads in the right order."""
    text = _TABLES.get(language, {}).get(key) or _TABLES[REFERENCE].get(key) or key
    if not kw:
        return text
    return _ISOLATING.format(text, **kw) if language in RTL_LANGUAGES else text.format(**kw)


def tr_code(group: str, code: str, language: str) -> str:
    """A code the core or a device reports (device status, approval reason, finger) in words: the table
    entry ``group.code`` (spaces in ``code`` read as ``_``), or the code itself when no table has it."""
    key = f"{group}.{code.replace(' ', '_')}"
    return tr(key, language) if key in _TABLES[REFERENCE] else code


def tr_message(message: str, language: str) -> str:
    """A message the form engine worded from its default English table (``shared.forms.engine.RuleMessage``,
    read by attribute) in ``language``'s ``validation.<rule>`` entry; any other message as it is (a UI
    spec's own validator messages are already in the form's language)."""
    rule, code = getattr(message, "rule", None), getattr(message, "code", None)
    if code:  # the workflow's ProcessProblem (an update's group left empty)
        return tr(f"process.problem.{code}", language, **message.fields)  # type: ignore[attr-defined]
    return tr(f"validation.{rule}", language, **message.fields) if rule else message  # type: ignore[attr-defined]


class Language(QObject):
    """The current UI language. ``set`` switches immediately; screens listen to ``changed``."""

    changed = Signal(str)

    def __init__(self, code: str = "eng", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.code = code

    @property
    def rtl(self) -> bool:
        return self.code in RTL_LANGUAGES

    def t(self, key: str, **kw: object) -> str:
        return tr(key, self.code, **kw)

    def set(self, code: str) -> None:
        self.code = code
        app = QApplication.instance()
        if app is not None:
            app.setLayoutDirection(
                Qt.LayoutDirection.RightToLeft if self.rtl else Qt.LayoutDirection.LeftToRight
            )
        self.changed.emit(code)

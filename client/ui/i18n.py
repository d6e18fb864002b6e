"""Looking up the kiosk's own words, and immediate language switching (incl. right-to-left).

The words themselves are plain tables in :mod:`client.ui.strings`, one module per language. Form labels
come from the UI spec (master data); only the application's own words live in those tables. Every
screen implements ``retranslate()``; :class:`Language` emits ``changed`` and flips the layout direction
so Arabic mirrors the whole window at once.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from client.ui.strings import LANGUAGES, REFERENCE

RTL_LANGUAGES = frozenset(code for code, table in LANGUAGES.items() if table.RIGHT_TO_LEFT)
LANGUAGE_NAMES = {code: table.NAME for code, table in LANGUAGES.items()}
_TABLES = {code: table.STRINGS for code, table in LANGUAGES.items()}


def tr(key: str, language: str, **kw: object) -> str:
    """The chrome string ``key`` in ``language`` (falls back to English, then the key itself)."""
    text = _TABLES.get(language, {}).get(key) or _TABLES[REFERENCE].get(key) or key
    return text.format(**kw) if kw else text


def tr_code(group: str, code: str, language: str) -> str:
    """A code the core or a device reports (device status, approval reason, finger) in words: the table
    entry ``group.code`` (spaces in ``code`` read as ``_``), or the code itself when no table has it."""
    key = f"{group}.{code.replace(' ', '_')}"
    return tr(key, language) if key in _TABLES[REFERENCE] else code


def tr_message(message: str, language: str) -> str:
    """A message the form engine worded from its default English table (``shared.forms.engine.RuleMessage``,
    read by attribute) in ``language``'s ``validation.<rule>`` entry; any other message as it is (a UI
    spec's own validator messages are already in the form's language)."""
    rule = getattr(message, "rule", None)
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

"""Walk a widget tree and report what an officer would read: every visible label, button, check box,
group title, table header, tooltip, placeholder, combo item and message box text. Generic (no screen is
named), so a screen changed or added later is covered as soon as a test shows it.

:func:`english_leaks` flags texts left in English while the kiosk speaks another language: a text equal to
an English table entry (format fields match anything), or a word that only English uses. "Only English"
is computed from the tables themselves: words of the English table minus words of the French table (so
"Documents", "Photo" or "Scanner", the same in French, never count) minus :data:`ALLOWED`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QWidget,
)

from client.ui.strings import eng, fra

# Proper nouns, ids and master data that stay as they are in every language (the demo kiosk's names).
ALLOWED = frozenset(
    {"openreg", "amina", "diallo", "palm", "olu", "bakare", "sara", "haddad", "pdf", "uin", "rid", "totp"}
)
# English function words no table entry may hold alone, e.g. in the form engine's "{label} is required".
COMMON_ENGLISH = frozenset({"is", "the", "not", "yet", "must", "required", "please", "has", "invalid", "too"})
_WORD = re.compile(r"[A-Za-z]{2,}")  # no apostrophe: French d'exception holds exception
_NOT_WORDS = re.compile(r"\S+://\S+|\S+\.(png|jpe?g|pdf|pkt)\b", re.IGNORECASE)  # addresses, file names


def _words(texts: Iterable[str]) -> set[str]:
    return {w.lower() for text in texts for w in _WORD.findall(re.sub(r"\{[^}]*\}", " ", text))}


ENGLISH_ONLY = frozenset(w for w in _words(eng.STRINGS.values()) - _words(fra.STRINGS.values()) if len(w) > 2)
ENGLISH_ONLY = (ENGLISH_ONLY | COMMON_ENGLISH) - ALLOWED


def _pattern(text: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^}]*\}", text)
    return re.compile(".*".join(re.escape(p) for p in parts), re.DOTALL)


_ENGLISH_ENTRIES = {
    key: _pattern(text)
    for key, text in eng.STRINGS.items()
    # words outside the format fields ("{device}: {state}" is punctuation only); "Total", "Documents": the
    # same in French
    if _WORD.search(re.sub(r"\{[^}]*\}", " ", text)) and text != fra.STRINGS.get(key)
}


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every text shown in ``root`` and its visible descendants (hidden pages skipped)."""
    found: list[tuple[str, str]] = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible():
            continue
        where = f"{type(w).__name__}#{w.objectName() or '?'}"
        texts: list[str] = [w.toolTip()]
        if w.isWindow():
            texts.append(w.windowTitle())
        if isinstance(w, QLabel) and w.textFormat() != Qt.TextFormat.RichText:
            texts.append(w.text())
        elif isinstance(w, QLabel):
            texts.append(re.sub(r"<[^>]+>", " ", w.text()))
        if isinstance(w, QAbstractButton):
            texts.append(w.text())
        if isinstance(w, QGroupBox):
            texts.append(w.title())
        if isinstance(w, QLineEdit):
            texts.append(w.placeholderText())
        if isinstance(w, QComboBox):
            texts += [w.itemText(i) for i in range(w.count())]
        if isinstance(w, QMessageBox):
            texts += [w.text(), w.informativeText()]
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            model = w.model()
            if isinstance(w, QListView):  # a list has no header: its entries are what the officer reads
                texts += [str(model.index(r, 0).data() or "") for r in range(model.rowCount(QModelIndex()))]
            else:
                texts += [
                    str(model.headerData(c, Qt.Orientation.Horizontal) or "")
                    for c in range(model.columnCount())
                ]
        found += [(where, t.replace("&", "")) for t in texts if t and t.strip()]
    return found


def english_leaks(texts: Iterable[tuple[str, str]], *, allowed: Iterable[str] = ()) -> list[str]:
    """Texts that read as English: an English table entry, or containing a word only English uses."""
    extra = {a.lower() for a in allowed}
    leaks = []
    for where, text in texts:
        entry = next((k for k, p in _ENGLISH_ENTRIES.items() if p.fullmatch(text.strip())), None)
        words = sorted({w.lower() for w in _WORD.findall(_NOT_WORDS.sub(" ", text))} & ENGLISH_ONLY - extra)
        if entry is not None or words:
            leaks.append(f"{where}: {text!r} ({entry or ', '.join(words)})")
    return leaks

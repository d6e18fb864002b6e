"""The console's languages: which one a request gets, and its words.

Words live in plain tables, one module per page under ``words/`` (``WORDS = {"eng": {...}, "fra":
{...}, "ara": {...}}``), merged here; a key missing in one language is a test failure, never a blank.
The language comes from ``?lang=``, then the ``openreg_lang`` cookie, then Accept-Language.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from functools import cache

from sync_server.console import words

LANGUAGES = ("eng", "fra", "ara")
RTL = frozenset({"ara"})
LANG_COOKIE = "openreg_lang"
# Accept-Language's two-letter codes to ours
_ISO639_1 = {"en": "eng", "fr": "fra", "ar": "ara"}
NATIVE_NAMES = {"eng": "English", "fra": "Français", "ara": "العربية"}


@cache
def tables() -> Mapping[str, Mapping[str, str]]:
    """Every page's words merged per language; a key defined twice is a programming error."""
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for info in sorted(pkgutil.iter_modules(words.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{words.__name__}.{info.name}")
        for lang, table in module.WORDS.items():
            clash = merged[lang].keys() & table.keys()
            if clash:
                raise ValueError(f"console words defined twice: {sorted(clash)}")
            merged[lang].update(table)
    return merged


def pick_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept or "").split(",")[:20]:
        code = part.split(";")[0].strip().lower()[:2]
        if code in _ISO639_1:
            return _ISO639_1[code]
    return "eng"


@cache
def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)``: the word in ``lang`` (English when a table lacks it), formatted."""
    table, english = tables()[lang], tables()["eng"]

    def t(key: str, **values: object) -> str:
        text = table.get(key) or english.get(key) or key
        return text.format(**values) if values else text

    return t

"""The kiosk's own words, one table per language (``eng.py``, ``fra.py``, ``ara.py``).

Each module holds ``CODE`` (ISO 639-3, as in the UI spec), ``NAME`` (as its speakers write it),
``RIGHT_TO_LEFT`` and ``STRINGS`` (key -> text with ``str.format`` fields). English is the reference:
every table has exactly its keys (tests/unit/client/ui/test_strings.py). Adding a language is adding a
module here and listing it in ``LANGUAGES``. Plain data: no Qt, so tests and tools read it anywhere.
"""

from __future__ import annotations

from types import ModuleType

from client.ui.strings import ara, eng, fra

LANGUAGES: dict[str, ModuleType] = {table.CODE: table for table in (eng, fra, ara)}
REFERENCE = eng.CODE

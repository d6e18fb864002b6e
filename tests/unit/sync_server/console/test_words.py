"""Every console word exists in English, French and Arabic, and every key the templates and pages ask
for exists: a missing translation is a failure here, never a blank or an English word on an Arabic page."""

from __future__ import annotations

import re
from pathlib import Path

from sync_server.console import i18n

CONSOLE = Path(i18n.__file__).parent
# t('key') in templates and pages, and *_key="key" / error="key" values handed to templates
_USED = re.compile(r"""\bt\(\s*['"]([a-z_]+\.[a-z0-9_.]*)['"]|_key\s*=\s*['"]([a-z_]+\.[a-z0-9_]+)['"]""")


def test_every_language_has_every_word():
    tables = i18n.tables()
    english = set(tables["eng"])
    for lang in i18n.LANGUAGES:
        assert set(tables[lang]) == english, (lang, sorted(set(tables[lang]) ^ english))
        blank = [k for k, v in tables[lang].items() if not v.strip()]
        assert not blank, (lang, blank)


def test_every_word_asked_for_exists():
    english = i18n.tables()["eng"]
    used: set[str] = set()
    for path in [*CONSOLE.rglob("*.html"), *CONSOLE.rglob("*.py")]:
        for match in _USED.finditer(path.read_text(encoding="utf-8")):
            used.add(match.group(1) or match.group(2))
    # a key ending in "." or "_" is the fixed part of one built at run time (t('md.op_' ~ op))
    missing = sorted(k for k in used if k not in english and not k.endswith((".", "_")))
    assert not missing, missing


def test_arabic_pages_are_right_to_left_and_the_language_choice_is_remembered(console_client):
    page = console_client.get("/console/sign-in", params={"lang": "ara"})
    assert '<html lang="ar" dir="rtl">' in page.text
    assert page.cookies.get(i18n.LANG_COOKIE) == "ara"
    assert i18n.pick_language(None, None, "de-DE, fr;q=0.8") == "fra"
    assert i18n.pick_language("xx", None, None) == "eng"

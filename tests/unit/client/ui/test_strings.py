"""The kiosk's word tables: every language says every thing, with the same blanks to fill in."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from client.core.registration.biometrics import CAPTURE_GROUPS
from client.ui.i18n import tr_code
from client.ui.strings import LANGUAGES, REFERENCE
from device_drivers.camera import face_checks

REFERENCE_STRINGS = LANGUAGES[REFERENCE].STRINGS
OTHERS = [code for code in LANGUAGES if code != REFERENCE]
ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("code", OTHERS)
def test_every_key_exists_in_every_language(code):
    table = LANGUAGES[code].STRINGS
    assert sorted(set(REFERENCE_STRINGS) - set(table)) == []  # missing here
    assert sorted(set(table) - set(REFERENCE_STRINGS)) == []  # unknown to English


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_text_is_filled_and_keeps_the_format_fields(code):
    table = LANGUAGES[code].STRINGS
    for key, text in table.items():
        assert text.strip(), key
        assert _fields(text) == _fields(REFERENCE_STRINGS[key]), key


def test_each_table_names_itself():
    for code, table in LANGUAGES.items():
        assert code == table.CODE and table.NAME and isinstance(table.RIGHT_TO_LEFT, bool)


def test_every_face_check_code_has_words_for_the_officer():
    used = set(re.findall(r'CheckFailure\("(\w+)"\)', Path(face_checks.__file__).read_text(encoding="utf-8")))
    assert used and used <= set(face_checks.CHECK_CODES)
    assert [c for c in face_checks.CHECK_CODES if f"face_check.{c}" not in REFERENCE_STRINGS] == []


def test_arabic_is_written_in_arabic_and_right_to_left():
    table = LANGUAGES["ara"]
    assert table.RIGHT_TO_LEFT
    english_left = [key for key, text in table.STRINGS.items() if not ARABIC_LETTER.search(text)]
    assert english_left == []


def test_codes_from_the_core_and_the_devices_read_as_words_or_stay_as_they_are():
    assert tr_code("device_status", "not ready", "fra") == "pas prêt"
    assert tr_code("approval", "poor_quality", "ara") == LANGUAGES["ara"].STRINGS["approval.poor_quality"]
    assert tr_code("device", "thermometer", "ara") == "thermometer"  # unknown: the code, not a key


def test_every_capture_group_and_subtype_has_words():
    for group, (_modality, subtypes) in CAPTURE_GROUPS.items():
        assert f"bio.group.{group}" in REFERENCE_STRINGS
        for sub in subtypes:
            assert f"bio.subtype.{sub.replace(' ', '_')}" in REFERENCE_STRINGS, sub

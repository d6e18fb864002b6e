"""Right-to-left strings keep ids, Latin names and spaced numbers in their own order: each such field
is wrapped in a first-strong isolate (U+2068 … U+2069) in Arabic; left-to-right languages are untouched."""

from client.ui.i18n import FSI, PDI, isolate, tr


def test_latin_ids_and_names_are_isolated_in_arabic():
    text = tr("home.place", "ara", center="10001", machine="K-7")
    assert f"{FSI}K-7{PDI}" in text and f"{FSI}10001" not in text  # a bare number already reads right
    assert f"{FSI}op1{PDI}" in tr("auth.not_supervisor", "ara", user="op1")
    assert f"{FSI}Olu Bakare{PDI}" in tr("home.title", "ara", name="Olu Bakare")
    assert tr("home.title", "ara", name="سارة") == tr("home.title", "ara", name="سارة").replace(FSI, "")


def test_numbers_split_by_spaces_or_signs_are_isolated():
    assert isolate("2 / 5") == f"{FSI}2 / 5{PDI}"
    assert isolate("+000 555 0101") == f"{FSI}+000 555 0101{PDI}"
    assert isolate("2026-12-05") == "2026-12-05" and isolate("12:30") == "12:30"  # one number run
    assert isolate(f"{FSI}x{PDI}") == f"{FSI}x{PDI}"  # never twice


def test_format_specs_still_apply_and_left_to_right_is_untouched():
    assert "12" in tr("setup.waiting", "ara", s=12.4) and "12.4" not in tr("setup.waiting", "ara", s=12.4)
    assert tr("auth.not_supervisor", "eng", user="op1") == "User op1 is not a supervisor."
    assert FSI not in tr("home.place", "fra", center="10001", machine="K-7")

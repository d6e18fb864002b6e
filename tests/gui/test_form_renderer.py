"""The form renderer builds pages from a UI spec alone: fields, cascades, visibility, inline messages."""

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit

from client.ui.form_renderer import FormPage
from shared.forms import FormEngine, load_id_schema, load_ui_spec

SCHEMA = {
    "version": 1,
    "fields": [
        {"id": "fullName", "type": "text", "required": True, "validators": [{"type": "length", "min": 2}]},
        {"id": "dateOfBirth", "type": "date", "required": True},
        {"id": "gender", "type": "dropdown", "source": "genders", "required": True},
        {"id": "region", "type": "location", "level": "region"},
        {"id": "province", "type": "location", "level": "province", "parent": "region"},
        {"id": "guardianName", "type": "text", "required_on": "age(dateOfBirth) < 18"},
        {"id": "nickname", "type": "text"},
    ],
}
SPEC = {
    "version": 1,
    "languages": {"default": "eng", "second": "ara", "available": ["eng", "fra", "ara"], "rtl": ["ara"]},
    "screens": [
        {
            "id": "who",
            "kind": "demographics",
            "labels": {"eng": "Who", "fra": "Qui"},
            "fields": [
                {"id": "fullName", "labels": {"eng": "Full name", "fra": "Nom", "ara": "الاسم"}},
                {"id": "dateOfBirth", "labels": {"eng": "Born"}},
                {"id": "gender", "labels": {"eng": "Gender"}},
                {"id": "region", "labels": {"eng": "Region"}},
                {"id": "province", "labels": {"eng": "Province"}},
                {"id": "guardianName", "labels": {"eng": "Guardian"}, "visible_on": "age(dateOfBirth) < 18"},
            ],
        },
        {"id": "extra", "fields": [{"id": "nickname", "labels": {"eng": "Nickname"}}]},
    ],
}
OPTIONS = {
    "genders": [
        {"id": "FLE", "labels": {"eng": "Female", "fra": "Femme"}},
        {"id": "MLE", "labels": {"eng": "Male"}},
    ],
    "locations": [
        {"id": "R1", "level": "region", "labels": {"eng": "North"}},
        {"id": "R2", "level": "region", "labels": {"eng": "South"}},
        {"id": "P1", "level": "province", "parent_id": "R1", "labels": {"eng": "Hills"}},
        {"id": "P2", "level": "province", "parent_id": "R2", "labels": {"eng": "Coast"}},
        {"id": "P3", "level": "province", "parent_id": "R2", "labels": {"eng": "Delta"}},
    ],
}


@pytest.fixture
def engine():
    schema = load_id_schema(SCHEMA)
    return FormEngine(schema=schema, ui_spec=load_ui_spec(SPEC, schema))


def page(qtbot, engine, screen="who", language="eng"):
    p = FormPage(engine=engine, screen_id=screen, options=OPTIONS, language=language)
    qtbot.addWidget(p)
    p.show()
    return p


def test_fields_come_from_the_spec_in_order_with_second_language(qtbot, engine):
    p = page(qtbot, engine)
    assert list(p.inputs) == ["fullName", "dateOfBirth", "gender", "region", "province", "guardianName"]
    assert isinstance(p.inputs["fullName"], QLineEdit) and isinstance(p.inputs["gender"], QComboBox)
    label, second = p._labels["fullName"]
    assert label.text() == "Full name *" and second.text() == "الاسم"
    other = page(qtbot, engine, screen="extra")
    assert list(other.inputs) == ["nickname"]


def test_location_cascade_follows_the_parent(qtbot, engine):
    p = page(qtbot, engine)
    province = p.inputs["province"]
    assert province.count() == 1  # only the "choose" entry until a region is chosen
    region = p.inputs["region"]
    region.setCurrentIndex(region.findData("R2"))
    assert [province.itemData(i) for i in range(1, province.count())] == ["P2", "P3"]
    province.setCurrentIndex(province.findData("P3"))
    region.setCurrentIndex(region.findData("R1"))
    assert p.value("province") is None  # a stale child is cleared when the parent changes
    assert [province.itemData(i) for i in range(1, province.count())] == ["P1"]


def test_inline_validation_and_visibility_conditions(qtbot, engine):
    p = page(qtbot, engine)
    name = p.inputs["fullName"]
    qtbot.keyClicks(name, "A")
    name.editingFinished.emit()
    assert p.errors["fullName"].isVisible() and "at least 2" in p.errors["fullName"].text()
    qtbot.keyClicks(name, "mina")
    name.editingFinished.emit()
    assert not p.errors["fullName"].isVisible()
    assert not p.inputs["guardianName"].isVisible()
    qtbot.keyClicks(p.inputs["dateOfBirth"], "20200101")
    p.inputs["dateOfBirth"].editingFinished.emit()
    assert p.value("dateOfBirth") == "2020-01-01"
    assert p.inputs["guardianName"].isVisible()  # a child needs a guardian: the field appears at once
    p.show_errors({"gender": "Gender is required"})
    assert p.errors["gender"].text() == "Gender is required" and p.focusWidget() is p.inputs["gender"]


def test_prefill_and_language_switch_keep_values(qtbot, engine):
    p = page(qtbot, engine)
    p.set_values({"fullName": "Amina", "gender": "FLE", "region": "R2", "province": "P3"})
    assert p.values() == {"fullName": "Amina", "gender": "FLE", "region": "R2", "province": "P3"}
    p.retranslate("fra")
    assert p.inputs["gender"].currentText() == "Femme" and p.value("province") == "P3"
    assert p._labels["fullName"][0].text() == "Nom *" and p.title() == "Qui"


def test_form_dropdowns_ignore_the_wheel_unless_focused(qtbot, engine):
    from tests.gui.test_wheel_guard import _wheel

    p = page(qtbot, engine)
    gender = p.inputs["gender"]
    assert isinstance(gender, QComboBox) and not gender.hasFocus()
    _wheel(gender)
    assert p.value("gender") is None  # scrolling past it chose nothing


def test_a_date_field_says_its_format_and_takes_typed_digits(qtbot, engine):
    p = page(qtbot, engine)
    label, _second = p._labels["dateOfBirth"]
    assert "(YYYY-MM-DD)" in label.text()
    p.retranslate("fra")
    assert "(AAAA-MM-JJ)" in label.text()
    p.retranslate("ara")
    assert "1991-04-12" in label.text()
    field = p.inputs["dateOfBirth"]
    field.setFocus()
    qtbot.keyClicks(field, "19910412")  # the dashes are the mask's
    assert field.text() == "1991-04-12" and p.value("dateOfBirth") == "1991-04-12"

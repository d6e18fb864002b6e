"""The kiosk works on a 1024×768 screen and uses a 1920×1080 one: every screen of the tour, in English,
French and Arabic, shows no one-line label or button narrower than its text, nothing squeezed below its
height, nothing outside the window, and no screen that needs scrolling (tests/gui/layout_check.py).
At 150 % text a screen may scroll down, never sideways and never clip."""

import pytest
from PySide6.QtWidgets import QScrollArea

from client.ui.app import build_window
from client.ui.theme import FORM_MAX_WIDTH
from demo.kiosk_fixture import seeded_kiosk

from .layout_check import layout_problems
from .screen_tour import SampleDevices, tour


@pytest.mark.parametrize(
    ("language", "width", "height", "text_size"),
    [
        ("eng", 1024, 768, 100),
        ("fra", 1024, 768, 100),
        ("ara", 1024, 768, 100),
        ("fra", 1920, 1080, 100),
        ("ara", 1024, 768, 150),
        ("fra", 1024, 768, 150),
    ],
)
def test_every_screen_fits(qtbot, tmp_path, language, width, height, text_size):
    client = seeded_kiosk(tmp_path / "kiosk")
    window = build_window(client, language=language, devices=SampleDevices())
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    window.text_size.setCurrentIndex(window.text_size.findData(text_size))
    problems: dict[str, None] = {}

    def visit(name, widget):
        qtbot.wait(10)
        assert (window.width(), window.height()) == (width, height)  # nothing forced the window larger
        found = layout_problems(widget, may_scroll=text_size > 100)
        problems.update(dict.fromkeys(f"{name}: {p}" for p in found))
        if name == "home" and width >= 1920:  # and the home screen, rather than stretching it
            home = window.screens["home"]
            body = home.layout().contentsRect()
            assert body.width() <= FORM_MAX_WIDTH
            assert abs(home.mapTo(window, body.center()).x() - window.width() / 2) < 60
        if name == "form (empty)" and width >= 1920:  # a wide screen centres the form
            form = window.screens["registration"].current_page()
            assert form.width() <= FORM_MAX_WIDTH
            assert isinstance(form.parentWidget().parentWidget(), QScrollArea)
            centre = form.mapTo(window, form.rect().center()).x()
            assert abs(centre - window.width() / 2) < 60

    try:
        tour(qtbot, window, visit, tmp_path, client)
    finally:
        window.ctx.ops.wait()
        client.close()
    assert not problems, "\n".join(problems)

"""Every screen of the kiosk, walked in French and in Arabic, shows no English: no text equal to an
English table entry and no word only English uses (tests/gui/ui_walk.py says how that is decided)."""

import pytest

from client.ui.app import build_window
from client.ui.i18n import tr_message
from demo.kiosk_fixture import seeded_kiosk
from shared.forms.engine import RuleMessage

from .screen_tour import SampleDevices, tour
from .ui_walk import english_leaks, visible_texts


@pytest.mark.parametrize("language", ["fra", "ara"])
def test_every_screen_speaks_the_chosen_language(qtbot, tmp_path, language):
    client = seeded_kiosk(tmp_path / "kiosk")
    window = build_window(client, language=language, devices=SampleDevices())
    qtbot.addWidget(window)
    window.resize(1200, 820)
    window.show()
    leaks: dict[str, None] = {}
    seen: list[str] = []

    def visit(name, widget):
        seen.append(name)
        leaks.update(dict.fromkeys(f"{name}: {leak}" for leak in english_leaks(visible_texts(widget))))

    try:
        tour(qtbot, window, visit, tmp_path, client)
    finally:
        window.ctx.ops.wait()
        client.close()
    assert {"login", "setup", "home", "form (errors)", "documents", "biometrics", "preview", "lock"} <= set(
        seen
    )
    assert not leaks, "\n".join(leaks)


def test_the_walk_catches_english():
    assert english_leaks([("QLabel#x", "Sign in")])  # an English table entry
    assert english_leaks([("QLabel#x", "Nom complet is required")])  # an English sentence around a label
    assert not english_leaks([("QLabel#x", "Documents")])  # the same word in French
    assert not english_leaks([("QLineEdit#x", "https://registration.example.org")])


def test_form_messages_are_worded_in_the_kiosk_language():
    message = RuleMessage("length_min", label="Nom", min=3)
    assert message == "Nom must be at least 3 characters"  # the engine's own (server-side) wording
    assert tr_message(message, "fra") == "Nom doit compter au moins 3 caractères"
    assert tr_message("Nom : format attendu AB-123", "fra") == "Nom : format attendu AB-123"  # spec's own

"""Home (issue 14): every count shows a figure (0 as 0) or says in words that it could not be read;
the network state is worded and marked."""

from __future__ import annotations

from client.core.registration.repository import COUNT_KEYS
from demo.kiosk_fixture import OPERATOR

from .conftest import sign_in


def test_an_empty_kiosk_shows_zeros_not_blanks(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    home = window.screens["home"]
    qtbot.waitUntil(lambda: home._read, timeout=10000)
    assert {key: home.cards[key].number.text() for key in COUNT_KEYS} == dict.fromkeys(COUNT_KEYS, "0")
    assert home.network_label.text() == "✘ Network: offline"  # enrolled, but no server answers
    assert not home.counts_message.text()


def test_counts_that_cannot_be_read_say_so(qtbot, window, kiosk, monkeypatch):
    def broken() -> dict:
        raise RuntimeError("database disk image is malformed")

    monkeypatch.setattr(kiosk.registrations, "counts", broken)
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    home = window.screens["home"]
    qtbot.waitUntil(lambda: home._read, timeout=10000)
    assert {home.cards[key].number.text() for key in COUNT_KEYS} == {"could not be read"}
    assert "could not be read" in home.counts_message.text()
    assert "malformed" in home.counts_message.details()  # the cause, behind Details
    window.language_box.setCurrentIndex(window.language_box.findData("ara"))
    assert home.cards["today"].number.text() == "تعذرت القراءة"


def test_the_network_state_is_worded_and_marked(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    home = window.screens["home"]
    qtbot.waitUntil(lambda: home._read, timeout=10000)
    home._show({**home._figures, "online": False})
    assert home.network_label.text() == "✘ Network: offline"
    home._show({**home._figures, "online": True})
    assert home.network_label.text() == "✔ Network: online"


def test_the_cards_take_four_a_row_where_they_fit_so_the_actions_stay_in_view(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    home = window.screens["home"]
    qtbot.waitUntil(lambda: home._read, timeout=10000)
    window.resize(1024, 768)
    qtbot.waitUntil(lambda: home._columns == 4, timeout=5000)
    assert home.grid.getItemPosition(home.grid.indexOf(home.cards[COUNT_KEYS[4]]))[:2] == (1, 0)
    assert home.new_button.geometry().bottom() < home.height()
    home.resize(700, home.height())  # too narrow for four (the kiosk's window is never this narrow)
    assert home._columns == 3

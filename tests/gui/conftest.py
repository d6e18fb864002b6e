"""GUI fixtures: a real kiosk (SQLCipher store, core services) seeded locally, and its main window."""

import pytest

from client.ui.app import build_window
from demo.kiosk_fixture import seeded_kiosk


@pytest.fixture
def kiosk(tmp_path):
    client = seeded_kiosk(tmp_path / "kiosk")
    yield client
    client.close()


@pytest.fixture
def window(qtbot, kiosk):
    win = build_window(kiosk)
    qtbot.addWidget(win)
    win.resize(1200, 820)
    win.show()
    yield win
    win.ctx.ops.wait()


def sign_in(qtbot, window, user, password):
    login = window.screens["login"]
    login.user.setText(user)
    login.password.setText(password)
    qtbot.mouseClick(login.submit, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton)
    return login

"""An error reads as one sentence saying what happened and what to do; the technical cause sits behind a
Details button (selectable) and in the log, and stays put when the officer switches language."""

from PySide6.QtCore import Qt

from client.ui.app import build_window
from client.ui.i18n import tr
from client.ui.widgets import ErrorMessage
from demo.kiosk_fixture import OPERATOR, seeded_kiosk
from tests.support.ports import free_port

from .conftest import sign_in


def test_error_message_keeps_the_cause_behind_details(qtbot, caplog):
    message = ErrorMessage("probe")
    qtbot.addWidget(message)
    message.retranslate(lambda key, **kw: tr(key, "fra"))
    message.show()
    message.show_error("Something failed. Try again.", ValueError("bad byte 0x1f at offset 12"))
    assert message.text() == "Something failed. Try again." and message.toggle.text() == "Détails"
    assert message.toggle.isVisible() and not message.detail.isVisible()
    message.toggle.click()
    assert message.detail.isVisible() and message.details() == "ValueError: bad byte 0x1f at offset 12"
    assert message.detail.isReadOnly()
    assert message.detail.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert "bad byte 0x1f" in caplog.text
    message.clear()
    assert not message.toggle.isVisible() and not message.detail.isVisible() and not message.details()


def test_sync_centre_names_the_server_and_keeps_details_across_languages(qtbot, tmp_path):
    client = seeded_kiosk(tmp_path / "k")
    url = f"http://127.0.0.1:{free_port()}"
    client.settings.server_url = url
    client.settings.request_timeout_s = 1.0
    window = build_window(client)
    qtbot.addWidget(window)
    window.show()
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.show_screen("sync")
    sync = window.screens["sync"]
    qtbot.mouseClick(sync.now_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not sync.running, timeout=15000)
    assert sync.message.text() == tr("error.offline_at", "eng", url=url)
    details = sync.message.details()
    assert details.startswith("TransportError") and sync.message.toggle.isVisible()
    window.ctx.language.set("ara")
    assert sync.message.text() == tr("error.offline_at", "ara", url=url)
    assert sync.message.details() == details and sync.message.toggle.text() == tr("details.show", "ara")
    window.ctx.ops.wait()
    client.close()


def test_login_words_an_unexpected_failure_and_keeps_the_cause(qtbot, window, monkeypatch):
    def broken(**_kw):
        raise RuntimeError("file is not a database")

    monkeypatch.setattr(window.ctx.authentication, "login", broken)
    login = sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: login.submit.isEnabled() and bool(login.message.details()))
    assert login.message.text() == tr("error.unexpected", "eng")
    assert login.message.details() == "RuntimeError: file is not a database"

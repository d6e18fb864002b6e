"""First run: an unenrolled kiosk opens on the setup screen; an unreachable server is explained."""

from client.core.bootstrap import build_client
from client.core.settings import ClientSettings
from client.ui.app import build_window
from demo.kiosk_fixture import UnavailableSealer
from tests.support.ports import free_port


def test_unenrolled_kiosk_starts_on_setup_and_explains_failures(qtbot, tmp_path, caplog):
    settings = ClientSettings(data_dir=tmp_path / "k", keyring_file=tmp_path / "k.cfg", request_timeout_s=1.0)
    client = build_client(settings, sealer=UnavailableSealer())
    window = build_window(client)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.current_name() == "setup")
    setup = window.screens["setup"]
    setup.enrol()
    assert setup.message.text()  # nothing typed: explained, nothing sent
    url = f"http://127.0.0.1:{free_port()}"
    setup.server.setText(url)
    setup.center.setText("10001")
    setup.enrol()
    qtbot.waitUntil(lambda: setup.enrol_button.isEnabled(), timeout=15000)
    assert not client.machine.identity().enrolled
    # one sentence naming the address and what to check; the technical cause behind Details and in the log
    assert setup.message.text() == window.ctx.t("error.offline_at", url=url)
    assert "Check the network cable or the address." in setup.message.text()
    assert setup.message.toggle.isVisible() and not setup.message.detail.isVisible()
    setup.message.toggle.click()
    assert setup.message.detail.isVisible() and setup.message.details().startswith("TransportError")
    assert setup.message.toggle.text() == window.ctx.t("details.hide")
    assert setup.message.details() in caplog.text
    window.ctx.ops.wait()
    client.close()


def test_enrolled_kiosk_asks_for_a_supervisor_before_enrolling_again(qtbot, window, kiosk):
    from client.core.totp import totp_code
    from demo.kiosk_fixture import SUPERVISOR, SUPERVISOR_TOTP

    before = kiosk.machine.identity()
    window.show_screen("setup")
    setup = window.screens["setup"]
    qtbot.waitUntil(lambda: setup.needs_supervisor and setup.supervisor.isVisible())
    setup.server.setText(f"http://127.0.0.1:{free_port()}")
    setup.center.setText("10001")
    setup.enrol()  # no supervisor typed: explained, nothing sent
    assert setup.message.text() == window.ctx.t("setup.reenrol_hint") and setup.enrol_button.isEnabled()

    setup.supervisor.setText(SUPERVISOR[0])
    setup.supervisor_password.setText("wrong password")
    setup.supervisor_totp.setText(totp_code(SUPERVISOR_TOTP))
    setup.enrol()
    qtbot.waitUntil(lambda: setup.enrol_button.isEnabled(), timeout=15000)
    assert "wrong password" in setup.message.text()

    setup.server.setText("http://192.0.2.10:8765")  # right supervisor, but plain http to another host
    setup.supervisor_password.setText(SUPERVISOR[2])
    setup.supervisor_totp.setText(totp_code(SUPERVISOR_TOTP))
    setup.enrol()
    qtbot.waitUntil(lambda: setup.enrol_button.isEnabled(), timeout=15000)
    assert setup.message.text() == window.ctx.t("error.insecure_url")  # in the officer's words
    assert "refusing plain http" in setup.message.details()  # the technical cause stays at hand
    window.ctx.ops.wait()
    assert kiosk.machine.identity() == before

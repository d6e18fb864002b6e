"""First run: an unenrolled kiosk opens on the setup screen; an unreachable server is explained."""

from client.core.bootstrap import build_client
from client.core.settings import ClientSettings
from client.ui.app import build_window
from client.ui.kiosk_fixture import UnavailableSealer
from tests.support.ports import free_port


def test_unenrolled_kiosk_starts_on_setup_and_explains_failures(qtbot, tmp_path):
    settings = ClientSettings(data_dir=tmp_path / "k", keyring_file=tmp_path / "k.cfg", request_timeout_s=1.0)
    client = build_client(settings, sealer=UnavailableSealer())
    window = build_window(client)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.current_name() == "setup")
    setup = window.screens["setup"]
    setup.enrol()
    assert setup.message.text()  # nothing typed: explained, nothing sent
    setup.server.setText(f"http://127.0.0.1:{free_port()}")
    setup.center.setText("10001")
    setup.enrol()
    qtbot.waitUntil(lambda: setup.enrol_button.isEnabled(), timeout=15000)
    assert setup.message.text() and not client.machine.identity().enrolled
    window.ctx.ops.wait()
    client.close()

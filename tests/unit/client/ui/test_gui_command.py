"""``openreg client gui`` hands its device options to the kiosk's settings (options win over variables)."""

from pathlib import Path

from click.testing import CliRunner

from client.ui import app
from client.ui.cli import gui


def test_device_options_reach_the_settings(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(app, "run_kiosk", lambda settings: seen.append(settings) or 0)
    monkeypatch.setenv("OPENREG_CLIENT_FACE_CAMERA", "7")  # the option below wins
    ca = tmp_path / "device-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    args = ["--data", str(tmp_path / "kiosk"), "--device-ca", str(ca), "--face-camera", "1"]
    result = CliRunner().invoke(gui, [*args, "--document-camera", str(tmp_path / "slips")])
    assert result.exit_code == 0, result.output
    [settings] = seen
    assert settings.device_ca_file == ca and settings.face_camera in (1, "1")
    assert Path(str(settings.document_camera)) == tmp_path / "slips"


def test_without_options_the_variables_configure_the_cameras(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(app, "run_kiosk", lambda settings: seen.append(settings) or 0)
    monkeypatch.setenv("OPENREG_CLIENT_FACE_CAMERA", "0")
    result = CliRunner().invoke(gui, ["--data", str(tmp_path / "kiosk")])
    assert result.exit_code == 0, result.output
    assert seen[0].face_camera in (0, "0") and seen[0].document_camera is None

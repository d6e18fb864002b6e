"""Plain http:// is refused except to loopback or with the explicit demo flag, with a clear message and
before anything is sent; a stored address changed behind the kiosk's back is refused too."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from client.cli import client
from client.core.machine import MachineKeys
from client.core.settings import ClientSettings
from client.core.sync.http import HttpServer

REFUSED = ["http://192.0.2.10:8765", "http://registration.example.org", "http://10.0.0.1/api"]
LOOPBACK = ["http://127.0.0.1:8765", "http://127.9.9.9:1", "http://[::1]:8765", "http://localhost:8765/"]


@pytest.mark.parametrize("url", REFUSED)
def test_plain_http_to_another_host_is_refused_everywhere(tmp_path, store, url):
    with pytest.raises(ValidationError, match="refusing plain http"):
        ClientSettings(data_dir=tmp_path, server_url=url)
    with pytest.raises(ValueError, match="refusing plain http"):
        HttpServer(base_url=url, machine=MachineKeys(store=store))
    # the demo flag is explicit, never implied
    assert ClientSettings(data_dir=tmp_path, server_url=url, allow_insecure_http=True).server_url


@pytest.mark.parametrize("url", [*LOOPBACK, "https://registration.example.org", "https://10.0.0.1:8443"])
def test_loopback_http_and_any_https_are_accepted(tmp_path, store, url):
    assert ClientSettings(data_dir=tmp_path, server_url=url).server_url == url.rstrip("/")
    assert HttpServer(base_url=url, machine=MachineKeys(store=store)).base_url == url.rstrip("/")


@pytest.mark.parametrize("url", ["ftp://example.org", "https://", "example.org", "https://u:p@example.org"])
def test_malformed_addresses_are_refused(tmp_path, url):
    with pytest.raises(ValidationError):
        ClientSettings(data_dir=tmp_path, server_url=url)


def test_enrol_command_refuses_plain_http_before_sending_anything(tmp_path):
    data, kr = tmp_path / "kiosk", tmp_path / "kr.cfg"
    args = ["enrol", "--data", str(data), "--keyring-file", str(kr), "--center", "10001", "--wait", "0"]
    result = CliRunner().invoke(client, [*args, "--server", "http://192.0.2.10:8765"])
    assert result.exit_code == 1 and "refusing plain http:// to 192.0.2.10" in result.output
    assert not data.exists()  # nothing was created: refused while reading the settings


def test_pinned_address_and_recipients_do_not_change_without_a_signed_key_set(store):
    machine = MachineKeys(store=store)
    machine.record_enrolment(
        status="approved",
        machine_id="10001",
        center_id="10001",
        signing_key="A" * 43 + "=",
        recipients=["age1old"],
        server_url="https://registration.example.org",
    )
    for change in ({"recipients": ["age1evil"]}, {"server_url": "https://evil.example.org"}):
        with pytest.raises(PermissionError, match="unsigned change"):
            machine.record_enrolment(status="approved", **change)
    ident = machine.identity()
    assert ident.server_recipients == ["age1old"]
    assert machine.server_url() == "https://registration.example.org"


def test_enrol_command_on_an_enrolled_kiosk_needs_a_supervisor(tmp_path):
    from client.core.bootstrap import build_client
    from tests.support.ports import free_port

    data, kr = tmp_path / "kiosk", tmp_path / "kr.cfg"
    app = build_client(ClientSettings(data_dir=data, keyring_file=kr))
    try:
        app.machine.record_enrolment(
            status="approved",
            machine_id="10001",
            center_id="10001",
            signing_key="A" * 43 + "=",
            recipients=["r"],
        )
    finally:
        app.close()
    args = ["enrol", "--data", str(data), "--keyring-file", str(kr), "--center", "10001", "--wait", "0"]
    result = CliRunner().invoke(client, [*args, "--server", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 1 and "needs a supervisor's approval" in result.output, result.output
    result = CliRunner().invoke(
        client,
        [*args, "--server", f"http://127.0.0.1:{free_port()}", "--supervisor", "nobody"],
        input="pw\n\n",
    )
    assert result.exit_code == 1 and "unknown user or wrong password" in result.output, result.output

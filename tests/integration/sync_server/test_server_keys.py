"""GET /api/v1/keys (the signed key set), `openreg admin keys rotate-packet-key`, and the HTTPS options
of `openreg server`, against the real server process."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import requests

from shared.packet import recipient_key_id
from shared.signing import key_id
from shared.sync import verify_server_keys

NONCE = "kiosk-nonce-0123456789"


def openreg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shared", *args], capture_output=True, text=True, timeout=60, check=False
    )


def key_set(url: str, nonce: str = NONCE) -> requests.Response:
    return requests.get(f"{url}/api/v1/keys", params={"nonce": nonce}, timeout=10)


def test_key_set_is_signed_with_the_server_key_and_echoes_the_nonce(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server", args=("--public-url", "https://reg.example.org"))
    health = requests.get(f"{server.url}/health", timeout=10).json()
    response = key_set(server.url)
    assert response.status_code == 200
    signed = verify_server_keys(health["signing_key"], response.json())
    assert signed.nonce == NONCE and signed.packet_recipients == health["packet_recipients"]
    assert signed.signing_key_id == key_id(health["signing_key"])
    assert signed.recipient_key_id == recipient_key_id(signed.packet_recipients[0])
    assert signed.server_url == "https://reg.example.org"
    for bad in ("short", "x" * 65, "has spaces in it!!!!"):
        refused = key_set(server.url, bad)
        assert refused.status_code == 422 and refused.json()["code"] == "validation_error"
    assert requests.get(f"{server.url}/api/v1/keys", timeout=10).status_code == 422


def test_rotating_the_packet_key_publishes_a_newer_set_and_keeps_the_old_identity(
    start_sync_server, tmp_path
):
    server = start_sync_server(tmp_path / "server")
    before = key_set(server.url).json()["payload"]
    result = openreg("admin", "keys", "rotate-packet-key", "--data", str(server.data_dir))
    assert result.returncode == 0, result.stderr
    assert key_set(server.url).json()["payload"]["packet_recipients"] == before["packet_recipients"]
    server.restart()  # the running server publishes what it loaded at start
    after = key_set(server.url).json()["payload"]
    assert after["packet_recipients"] != before["packet_recipients"]
    assert after["recipient_key_id"] in result.stdout
    assert dt.datetime.fromisoformat(after["issued_at"]) > dt.datetime.fromisoformat(before["issued_at"])
    health = requests.get(f"{server.url}/health", timeout=10).json()
    assert health["packet_recipients"] == after["packet_recipients"]
    identity_files = sorted(p.name for p in (server.data_dir / "keys").glob("packet-identity*.txt"))
    assert len(identity_files) == 2 and "packet-identity.txt" in identity_files


def test_rotation_and_https_options_refuse_bad_input_clearly(tmp_path):
    empty = tmp_path / "nothing-here"
    result = openreg("admin", "keys", "rotate-packet-key", "--data", str(empty))
    assert result.returncode == 1 and "start the server once first" in result.stderr
    assert not (empty / "keys").exists() or not any((empty / "keys").iterdir())
    cert = tmp_path / "cert.pem"
    cert.write_text("not used")
    result = openreg("server", "--data", str(tmp_path / "s"), "--port", "0", "--certfile", str(cert))
    assert result.returncode == 65 and "needs both a certificate file and its key file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one line, the input not echoed
    assert not (tmp_path / "s" / "server.json").exists()

"""The rig against the real demo server process reports no finding, with every check run (none skipped
but TLS, which a loopback http server does not have); and the command's exit codes and refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from security_rig import EXIT_CLEAN, EXIT_COULD_NOT_RUN
from security_rig.cli import security_rig
from tests.integration.security_rig.conftest import DEMO_USERS, run_rig

# The server's slow-client bounds shortened so the slowloris probe ends in seconds (defaults: 30 s head,
# 10 s body window; the rig's default bound is 40 s). Everything else is the demo server as shipped.
QUICK_SLOW_CLIENTS = {"OPENREG_SERVER_HEADER_TIMEOUT_S": "3", "OPENREG_SERVER_BODY_RATE_WINDOW_S": "3"}


def test_the_demo_server_has_no_finding(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server", env=QUICK_SLOW_CLIENTS)
    report = run_rig(server.url, users=tuple(DEMO_USERS), slow_bound_s=8)
    text = report.to_text()
    print(text)  # the report pasted into docs/security.md comes from here (pytest -s)
    assert report.findings == [], text
    assert report.exit_code() == EXIT_CLEAN, text
    statuses = {o.check: o.status for o in report.outcomes}
    assert statuses.pop("tls") == "skipped"
    assert set(statuses.values()) == {"passed"}, text
    assert len(statuses) == 17
    assert any("enrolled test machine" in n for n in report.notes)
    data = json.loads(report.to_json())
    assert data["exit_code"] == 0 and data["findings"] == [] and len(data["checks"]) == 18


def test_off_loopback_targets_are_refused_without_the_flag():
    answer = CliRunner().invoke(security_rig, ["--server", "http://192.0.2.10:8765"])
    assert answer.exit_code == EXIT_COULD_NOT_RUN
    assert "not a loopback address" in answer.output and "--i-own-this-target" in answer.output


def test_bad_command_lines_and_credentials_files(tmp_path):
    runner = CliRunner()
    assert runner.invoke(security_rig, []).exit_code == 2  # neither --server nor --kiosk
    assert runner.invoke(security_rig, ["--server", "ftp://127.0.0.1"]).exit_code == EXIT_COULD_NOT_RUN
    broken = tmp_path / "creds.toml"
    broken.write_text('[[users]]\nusername = "admin"\n')  # no password
    answer = runner.invoke(
        security_rig, ["--server", "http://127.0.0.1:9", "--admin-credentials", str(broken)]
    )
    assert answer.exit_code == EXIT_COULD_NOT_RUN and "users.0.password" in answer.output
    secret = tmp_path / "secret.json"
    secret.write_text('{"users": [{"username": "admin", "password": "s3cret-pw", "role": "x"}]}')
    answer = runner.invoke(
        security_rig, ["--server", "http://127.0.0.1:9", "--admin-credentials", str(secret)]
    )
    assert answer.exit_code == EXIT_COULD_NOT_RUN and "s3cret-pw" not in answer.output


def test_an_unreachable_server_could_not_run():
    answer = CliRunner().invoke(security_rig, ["--server", "http://127.0.0.1:9"])  # discard port: closed
    assert answer.exit_code == EXIT_COULD_NOT_RUN and "OpenAPI document" in answer.output


def test_the_openreg_command_runs_the_rig(tmp_path):
    folder = tmp_path / "kiosk"
    folder.mkdir(mode=0o700)
    answer = subprocess.run(
        [sys.executable, "-m", "shared", "security-rig", "--kiosk", str(folder), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"},
        check=False,
    )
    assert answer.returncode == EXIT_CLEAN, answer.stdout + answer.stderr
    assert json.loads(answer.stdout)["mode"] == "kiosk"

"""``--admin-credentials`` with a machine of the operator's own (enrolled like a kiosk), through the
command line, against the app served in process with nothing opened: no finding, JSON report."""

from __future__ import annotations

import base64
import json

from click.testing import CliRunner

from security_rig.cli import security_rig
from shared.signing import private_key_to_bytes
from tests.integration.security_rig.holes import served
from tests.integration.sync_server.kiosk import Kiosk


def test_a_machine_from_the_credentials_file_is_used(template, tmp_path):
    with served(template, tmp_path) as url:
        kiosk = Kiosk(url)  # the demo server approves it at once
        kiosk.enrol()
        key = base64.b64encode(private_key_to_bytes(kiosk.key)).decode()
        creds = tmp_path / "rig.json"
        creds.write_text(
            json.dumps(
                {
                    "users": [{"username": "auditor", "password": "auditor-demo"}],
                    "machines": [{"machine_id": kiosk.machine_id, "center_id": "10001", "private_key": key}],
                }
            )
        )
        only = ["--only", "tokens.challenge", "--only", "packets", "--only", "access.roles"]
        answer = CliRunner().invoke(
            security_rig, ["--server", url, "--admin-credentials", str(creds), "--json", *only]
        )
    report = json.loads(answer.output)
    assert answer.exit_code == 0 and report["findings"] == [], answer.output
    assert {c["check"]: c["status"] for c in report["checks"]} == {
        "access.roles": "passed",
        "tokens.challenge": "passed",
        "packets": "passed",
    }
    assert not any("enrolled test machine" in n for n in report["notes"])
    roles = next(c for c in report["checks"] if c["check"] == "access.roles")
    assert any(n.startswith(f"machine {kiosk.machine_id}") for n in roles["notes"])
    assert "auditor-demo" not in answer.output and key not in answer.output

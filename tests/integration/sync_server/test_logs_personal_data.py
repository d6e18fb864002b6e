"""No personal data in the logs: the headless demo registers its sample people through a real server
logging JSON at debug level, and neither the server's log nor the demo's own log lines name them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from demo.samples import NAMES

ROOT = Path(__file__).resolve().parents[3]


def test_a_demo_run_logs_nobody_s_name_address_or_phone(tmp_path):
    env = {**os.environ, "OPENREG_SERVER_LOG_FORMAT": "json", "OPENREG_SERVER_LOG_LEVEL": "debug"}
    run = subprocess.run(
        [sys.executable, "-m", "shared", "demo", "--headless", "--data", str(tmp_path / "demo")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    registered = [name for name in NAMES if name in run.stdout]  # the demo's report to the person names them
    assert len(registered) == 4, run.stdout

    log = (tmp_path / "demo" / "server" / "server.log").read_text()
    records = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line is JSON
    requests = [r for r in records if r["logger"] == "openreg.access"]
    assert any(r["route"].startswith("/api/v1/packets") for r in requests)
    assert all(len(r["request_id"]) == 32 for r in requests)
    assert any(r["level"] == "DEBUG" for r in records)  # the most talkative level was on
    words = {part for name in registered for part in name.split()}
    for text, where in ((log, "server log"), (run.stderr, "demo's log")):
        lowered = text.lower()
        for word in words:
            assert word.lower() not in lowered, f"{word!r} in the {where}"
        assert "baobab" not in lowered, f"an address in the {where}"
        assert "+221" not in text, f"a phone number in the {where}"

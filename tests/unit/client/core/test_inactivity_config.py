"""The inactivity lock reads one key, and the demo master data ships that key."""

import json
from pathlib import Path

from client.core.authentication import inactivity_minutes

DEMO_MASTERDATA = Path(__file__).resolve().parents[4] / "sync_server" / "demo_data" / "masterdata.json"


class Config:
    """Just the ``config`` lookup of MasterData, over plain rows."""

    def __init__(self, rows):
        self.values = {r["id"]: r["value"] for r in rows}

    def config(self, key, default=None):
        return self.values.get(key, default)


def test_the_demo_master_data_sets_the_key_the_kiosk_reads():
    rows = json.loads(DEMO_MASTERDATA.read_text(encoding="utf-8"))["entities"]["config"]
    session_keys = {r["id"] for r in rows if r["id"].startswith("session.")}
    assert session_keys == {"session.inactivity_minutes"}
    assert inactivity_minutes(Config(rows)) == 5  # the demo's value, not the built-in default


def test_older_master_data_with_seconds_still_locks_on_time():
    assert inactivity_minutes(Config([{"id": "session.lock_after_s", "value": 300}])) == 5
    both = [{"id": "session.lock_after_s", "value": 300}, {"id": "session.inactivity_minutes", "value": 2}]
    assert inactivity_minutes(Config(both)) == 2  # the current key wins
    assert inactivity_minutes(Config([])) == 10

"""Set up an enrolled kiosk folder without a server (pinned keys + master data applied directly)."""

from __future__ import annotations

import json
from pathlib import Path

import pyrage

from client.core.authentication import hash_password
from client.core.bootstrap import build_client
from client.core.master_data import apply_changes
from shared.signing import generate_private_key, public_key_b64
from tests.integration.client.kiosk_child import settings

DEMO = Path(__file__).resolve().parents[3] / "sync_server" / "demo_data"


def prepare_offline_kiosk(data_dir: Path, keyring: Path, *, max_pending: int = 100_000) -> str:
    """Enrolled kiosk with demo form + one operator; returns the age identity that can open its packets."""
    identity = pyrage.x25519.Identity.generate()
    app = build_client(settings(data_dir, keyring))
    try:
        app.machine.record_enrolment(
            status="approved",
            machine_id="10042",
            center_id="10001",
            signing_key=public_key_b64(generate_private_key()),
            recipients=[str(identity.to_public())],
            recipient_key_id="test",
        )
        rows = [
            (e, r)
            for f in ("id_schema.json", "ui_spec.json")
            for e, rs in json.loads((DEMO / f).read_text())["entities"].items()
            for r in rs
        ]
        rows += [
            (
                "users",
                {
                    "id": "op1",
                    "name": "Olu",
                    "roles": ["operator"],
                    "password_hash": hash_password("op-pass"),
                    "center_id": "10001",
                },
            ),
            ("config", {"id": "registration.max_pending", "value": max_pending}),
        ]
        with app.store.transaction() as conn:
            apply_changes(conn, [{"entity": e, "id": r["id"], "op": "upsert", "data": r} for e, r in rows])
    finally:
        app.close()
    return str(identity)

"""Runs INSIDE the frozen protocol-1 kiosk (its folder first on PYTHONPATH): enrol with the server, sync
master data, register people, approve them at end of day, upload and wait for their outcomes; print
one JSON line. Imports only what the frozen tree has, so it exercises the released code, unchanged.

``python old_kiosk_child.py SERVER_URL DATA_DIR COUNT``
"""

import json
import sys
from pathlib import Path

import client
import demo.headless as released
from client.core.bootstrap import build_client
from client.core.settings import ClientSettings


def main(url: str, data_dir: Path, count: int) -> None:
    settings = ClientSettings(
        data_dir=data_dir, server_url=url, keyring_file=data_dir / "keyring.cfg", upload_chunk_bytes=64 * 1024
    )
    app = build_client(settings)
    app.enrolment().wait_for_approval(center_id=released.CENTER_ID, timeout_s=30, poll_s=0.3)
    app.close()
    app = build_client(settings)
    try:
        synced = app.master_data_sync().sync(progress=lambda _p: None)
        rids = released.register_people(app, count=count, echo=lambda _m: None)
        supervisor = app.authentication.login(
            user_id=released.SUPERVISOR, password=released.SUPERVISOR_PASSWORD
        )
        for pending in app.end_of_day.pending(session=supervisor):
            app.end_of_day.approve(session=supervisor, rid=pending["rid"])
        report = app.upload_agent().upload_approved(progress=None)
        outcomes = released.wait_for_outcomes(app, app.packet_outcomes(), rids, timeout_s=60)
    finally:
        app.close()
    print(
        json.dumps(
            {
                "code": str(Path(client.__file__).resolve().parent),
                "synced_rows": synced.rows,
                "upload_ok": report.ok,
                "outcomes": outcomes,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))

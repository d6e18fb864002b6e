"""`openreg worker` as a real process over a server database (the server's Alembic migrations): queued sealed packets get processed, SIGTERM stops it cleanly."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa
from sqlalchemy import create_engine, insert

from shared.packet import BiometricRecord, Document, PacketContents, generate_identity_file, seal_packet
from shared.rid import format_rid
from shared.signing import generate_private_key, public_key_b64
from sync_server.db.migrate import migrate
from sync_server.processing import queue
from tests.integration.sync_server.processing.world import SCHEMA

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def server_tables(engine):
    """The server's real schema (its Alembic migrations), reflected: no hand-kept copy to drift."""
    migrate(engine)
    md = sa.MetaData()
    return [
        sa.Table(name, md, autoload_with=engine) for name in ("masterdata_changes", "machines", "packets")
    ]


def test_worker_command_processes_the_queue(tmp_path):
    data = tmp_path / "data"
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = create_engine(url)
    changes, machines, packets = server_tables(engine)
    key = generate_private_key()
    recipient = generate_identity_file(data / "keys" / "packet-identity.txt")
    with engine.begin() as conn:
        conn.execute(
            insert(machines).values(
                machine_id="10001",
                public_key=public_key_b64(key),
                center_id="10001",
                name="kiosk",
                status="approved",
                created_at=NOW - dt.timedelta(days=1),
            )
        )
        for entity, entity_id, row in [
            ("users", "op1", {"id": "op1", "roles": ["operator"], "center_id": "10001", "active": True}),
            ("id_schema", "default", {"id": "default", "version": 1, "schema": SCHEMA}),
        ]:
            conn.execute(
                insert(changes).values(
                    entity=entity,
                    entity_id=entity_id,
                    op="upsert",
                    data=row,
                    created_at=NOW - dt.timedelta(hours=1),
                )
            )
    rids = []
    for i, name in enumerate(["Ana Lee", "Bo Chan"]):
        rid = format_rid(center_id=10001, machine_id=10001, sequence=i + 1, created_at=NOW)
        sealed = seal_packet(
            PacketContents(
                demographics={
                    "fullName": name,
                    "dateOfBirth": "1990-01-01",
                    "gender": "F",
                    "region": "R",
                    "province": "P",
                    "city": "C",
                    "addressLine": "1 Main Street",
                },
                documents=[Document("DOC", "application/pdf", b"%PDF", "proofOfIdentity", "a.pdf")],
                biometrics=[
                    BiometricRecord(m, "S", "ISO", 90, {}, b"ISO") for m in ("finger", "iris", "face")
                ],
                meta={
                    "rid": rid,
                    "center_id": "10001",
                    "operator_id": "op1",
                    "started_at": NOW.isoformat(),
                    "id_schema_version": 1,
                },
            ),
            machine_key=key,
            recipients=[recipient],
            out_dir=data / "packets",
        )
        with engine.begin() as conn:
            # As the server's intake leaves it; the worker sweeps received rows into its queue.
            conn.execute(
                insert(packets).values(
                    rid=rid,
                    status="received",
                    sha256=sealed.sha256,
                    size=sealed.size,
                    center_id="10001",
                    machine_id="10001",
                    operator_id="op1",
                    registered_at=NOW,
                )
            )
        rids.append(rid)

    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from sync_server.worker_cli import worker; worker()",
            "--db",
            url,
            "--data",
            str(data),
            "--threads",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
            (queue.job_status(engine, r) or {}).get("status") not in ("processed", "rejected") for r in rids
        ):
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    states = [queue.job_status(engine, r) or {"status": None} for r in rids]
    assert [s["status"] for s in states] == ["processed", "processed"], output
    assert f"{rids[0]} processed" in output and states[0]["uin"] != states[1]["uin"]
    with engine.connect() as conn:  # the server's packet rows (status endpoint) show the outcome too
        shown = {r.rid: (r.status, r.uin) for r in conn.execute(sa.select(packets))}
    assert shown == {s["rid"]: ("processed", s["uin"]) for s in states}

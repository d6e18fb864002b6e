"""A processing world on disk: sealed packets, server identity, master data and a queue in a DB.

Shared by the multi-process tests and bench/bench_processing.py: ``prepare`` writes everything
under a folder; ``build_worker`` (run in any process) rebuilds the real stages over it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import string
from pathlib import Path

from sqlalchemy import insert

from shared.packet import (
    BiometricRecord,
    Document,
    PacketContents,
    generate_identity_file,
    load_identities,
    seal_packet,
)
from shared.rid import format_rid
from shared.signing import generate_private_key, public_key_b64
from sync_server.db.engine import make_engine
from sync_server.db.migrate import migrate
from sync_server.db.tables import ChangeRow, MachineRow
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.processing import queue
from sync_server.processing.dedupe import DedupeConfig
from sync_server.processing.flows import build_stages
from sync_server.processing.pipeline import Pipeline, RetryPolicy
from sync_server.processing.stages import make_packet_opener
from sync_server.processing.worker import ProcessingWorker
from sync_server.services.masterdata_history import DbMasterDataHistory

ROOT = Path(__file__).resolve().parents[4]
SCHEMA = json.loads((ROOT / "sync_server/demo_data/id_schema.json").read_text())["entities"]["id_schema"][0][
    "schema"
]
CAPTURED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


class Master:
    """The world's master data in memory, for tests that bypass the database; ``prepare`` writes the
    same rows into the server tables, which ``build_worker`` reads through DbMasterDataHistory."""

    def __init__(self, machine_key: str) -> None:
        self.rows = {
            ("machines", "10001"): {"id": "10001", "center_id": "10001", "public_key": machine_key},
            ("users", "op1"): {"id": "op1", "roles": ["operator"], "center_id": "10001", "active": True},
            ("users", "sup1"): {"id": "sup1", "roles": ["supervisor"], "center_id": "10001", "active": True},
        }

    def entity_at(self, entity, entity_id, at):
        return self.rows.get((entity, entity_id))

    def id_schema(self, schema_id, version):
        return SCHEMA if (schema_id, version) == ("default", 1) else None


class Packets:
    def __init__(self, root: Path, registered: dict[str, list]) -> None:
        self.root, self.registered_hashes = root, registered

    def blob_path(self, rid):
        return self.root / f"{rid}.age"

    def registered(self, rid):
        sha, size = self.registered_hashes[rid]
        return sha, size


def _name(number: int) -> str:
    # Names may not hold digits (demo schema), and distinct people must not look alike to the fuzzy
    # dedupe (same birth date and city): two random 8-letter words per person.
    rng = random.Random(number)
    return " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(8)).capitalize() for _ in "ab")


def create_tables(db_url: str, *, machine_key: str) -> None:
    """The server's real schema (its Alembic migrations) with the world's master data in it: the
    machine's enrolment, the operator and supervisor, and the ID schema, as the server would hold them."""
    engine = make_engine(db_url)
    migrate(engine)
    long_ago = CAPTURED - dt.timedelta(days=30)
    with engine.begin() as conn:
        conn.execute(
            insert(MachineRow.__table__).values(
                machine_id="10001",
                public_key=machine_key,
                center_id="10001",
                name="world kiosk",
                status="approved",
                created_at=long_ago,
            )
        )
        rows = [("id_schema", "default", {"id": "default", "version": 1, "schema": SCHEMA})]
        rows += [(entity, entity_id, row) for (entity, entity_id), row in Master(machine_key).rows.items()]
        conn.execute(
            insert(ChangeRow.__table__),
            [
                {
                    "entity": e,
                    "entity_id": i,
                    "op": "upsert",
                    "data": d,
                    "center_id": None,
                    "created_at": long_ago,
                }
                for e, i, d in rows
            ],
        )
    engine.dispose()


def prepare(folder: Path, db_url: str, *, count: int, document_bytes: int = 0) -> list[str]:
    """Seal ``count`` packets of distinct people (each with ``document_bytes`` of document) and queue them."""
    folder.mkdir(parents=True, exist_ok=True)
    key = generate_private_key()
    recipient = generate_identity_file(folder / "server-identity.txt")
    create_tables(db_url, machine_key=public_key_b64(key))
    engine = make_engine(db_url)
    registered, rids = {}, []
    blob = os.urandom(max(document_bytes, 16))
    for i in range(count):
        rid = format_rid(center_id=10001, machine_id=10001, sequence=i + 1, created_at=CAPTURED)
        contents = PacketContents(
            demographics={
                "fullName": _name(i),
                "dateOfBirth": "1985-02-14",
                "gender": "F",
                "region": "R1",
                "province": "P1",
                "city": "C1",
                "addressLine": "1 Main St",
            },
            documents=[Document("DOC001", "application/pdf", blob, "proofOfIdentity", "poi.pdf")],
            biometrics=[
                BiometricRecord(m, s, "ISO19794", 80, {}, b"ISO" + s.encode() * 50)
                for m, s in (("finger", "Left Thumb"), ("iris", "Left"), ("face", "Face"))
            ],
            meta={
                "rid": rid,
                "center_id": "10001",
                "machine_id": "10001",
                "operator_id": "op1",
                "supervisor_id": "sup1",
                "started_at": CAPTURED.isoformat(),
                "id_schema_version": 1,
            },
        )
        sealed = seal_packet(contents, machine_key=key, recipients=[recipient], out_dir=folder / "packets")
        registered[rid] = [sealed.sha256, sealed.size]
        queue.enqueue(engine, rid=rid)
        rids.append(rid)
    (folder / "world.json").write_text(
        json.dumps({"machine_key": public_key_b64(key), "registered": registered})
    )
    engine.dispose()
    return rids


def build_worker(folder: Path, db_url: str, *, lease_seconds: float = 30, hooks=None) -> ProcessingWorker:
    """A real worker (real stages, real packet opener, real ID store) over a prepared folder."""
    world = json.loads((folder / "world.json").read_text())
    engine = make_engine(db_url, pre_ping=False, pool_size=4)  # as the server builds its workers' engine
    store = IdStore(engine=engine, keyring=DataKeyring(folder / "data"))
    stages = build_stages(
        packets=Packets(folder / "packets", world["registered"]),
        master=DbMasterDataHistory(engine),
        opener=make_packet_opener(load_identities(folder / "server-identity.txt")),
        store=store,
        dedupe=DedupeConfig(),
        engine=engine,
    )
    return ProcessingWorker(
        engine=engine,
        pipeline_factory=lambda: Pipeline(stages, hooks=hooks or {}),
        lease=dt.timedelta(seconds=lease_seconds),
        policy=RetryPolicy(base_seconds=0.1),
        poll_seconds=0.05,
    )

"""Alembic owns the schema: on SQLite and on a real PostgreSQL the migrations reach head, the result
matches the table models exactly, 0003 splits old ``"<code>: <text>"`` reasons (and back), and 0008
encrypts existing ID store demographics (and back), and 0010 turns report definitions into versioned
specs with their deliveries as destinations (and back)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, insert, select, text

from sync_server.abis.tables import metadata as abis_metadata
from sync_server.db.engine import make_engine
from sync_server.db.migrate import SchemaError, alembic_config, migrate
from sync_server.db.tables import Base, MachineRow, PacketRow
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.idstore.tables import metadata as idstore_metadata
from sync_server.idstore.tables import uins
from sync_server.notifications.tables import metadata as notifications_metadata
from sync_server.processing.dedupe import DedupeConfig, dedupe_key
from sync_server.processing.tables import metadata as processing_metadata
from sync_server.processing.tables import processing_jobs
from sync_server.reports.tables import metadata as reports_metadata

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
CFG = DedupeConfig()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _all_models() -> MetaData:
    combined = MetaData()
    for metadata in (
        Base.metadata,
        processing_metadata,
        idstore_metadata,
        reports_metadata,
        notifications_metadata,
        abis_metadata,
    ):
        for table in metadata.tables.values():
            table.to_metadata(combined)
    return combined


def test_migrations_reach_head_and_match_the_models(engine):
    head = migrate(engine)
    assert head == "0012_masterdata_history_index"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _all_models())
    # APScheduler creates its own job store table at runtime; it is not ours to model.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name == "apscheduler_jobs")]
    assert diff == []
    assert migrate(engine) == head  # idempotent on a migrated database


def test_0003_splits_old_combined_reasons_and_downgrade_joins_them(engine):
    config = alembic_config(engine)
    command.upgrade(config, "0002_machine_masterdata_sync")
    packet = {
        "machine_id": "10001",
        "center_id": "10001",
        "sha256": "ab" * 32,
        "size": 10,
        "registered_at": NOW,
        "uin": None,
    }
    with engine.begin() as conn:
        conn.execute(
            insert(PacketRow.__table__),
            [
                packet | {"rid": "1" * 29, "status": "rejected", "reason": "duplicate: duplicate of UIN 42"},
                packet
                | {
                    "rid": "2" * 29,
                    "status": "rejected",
                    "reason": "rejected by the supervisor at the kiosk: blurry",
                },
                packet | {"rid": "3" * 29, "status": "processed", "uin": "42", "reason": None},
                packet | {"rid": "4" * 29, "status": "failed", "reason": "decrypt_failed: None"},
                packet | {"rid": "5" * 29, "status": "rejected", "reason": "bad_signature: forged"},
            ],
        )
        job = {"attempts": 1, "next_attempt_at": NOW, "enqueued_at": NOW, "info": {}}
        conn.execute(
            insert(processing_jobs),
            [
                job
                | {
                    "rid": "1" * 29,
                    "status": "rejected",
                    "reason_code": "duplicate",
                    "reason_text": "duplicate of UIN 42",
                },
                job | {"rid": "3" * 29, "status": "processed", "reason_code": None, "reason_text": None},
                job
                | {"rid": "4" * 29, "status": "failed", "reason_code": "decrypt_failed", "reason_text": None},
            ],
        )
    command.upgrade(config, "head")
    columns = (PacketRow.rid, PacketRow.reason_code, PacketRow.reason)
    with engine.connect() as conn:
        rows = {r.rid[0]: (r.reason_code, r.reason) for r in conn.execute(select(*columns))}
    assert rows == {
        "1": ("duplicate", "duplicate of UIN 42"),
        "2": ("supervisor_rejected", "rejected by the supervisor at the kiosk: blurry"),
        "3": (None, None),
        "4": ("decrypt_failed", None),
        "5": (None, "bad_signature: forged"),  # no queue row: left as it was
    }
    command.downgrade(config, "0002_machine_masterdata_sync")
    with engine.connect() as conn:
        reasons = dict(conn.execute(text("SELECT rid, reason FROM packets ORDER BY rid")).all())
    assert reasons["1" * 29] == "duplicate: duplicate of UIN 42"
    assert reasons["2" * 29] == "rejected by the supervisor at the kiosk: blurry"
    assert reasons["3" * 29] is None
    assert reasons["4" * 29] == "decrypt_failed"  # no text: just the code, not "decrypt_failed: None"
    assert reasons["5" * 29] == "bad_signature: forged"
    command.downgrade(config, "0001_initial")
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.execute(select(MachineRow.last_masterdata_sync_at)).all() == []


_OLD_IDENTITIES = sa.table(
    "idstore_identities",
    *(sa.column(c) for c in ("uin", "rid", "version", "dedupe_key", "center_id", "created_at", "updated_at")),
    sa.column("demographics", sa.JSON),
)
PEOPLE = {
    "5000000008": {"fullName": "Amina Diallo", "dateOfBirth": "1990-04-03", "city": "CAP01"},
    "5000000016": {"fullName": "Binta Sow", "dateOfBirth": "", "city": "CAP02"},  # no date of birth
}


def _old_identity_rows(engine) -> dict[str, str]:
    """Identities as revision 0003 stored them (plain JSON, unkeyed SHA-256 dedupe key)."""
    keys = {}
    with engine.begin() as conn:
        for n, (uin, person) in enumerate(PEOPLE.items()):
            rid = f"R{n}"
            keys[uin] = dedupe_key(
                person | {"dateOfBirth": person["dateOfBirth"] or "2000-01-01"}, config=CFG
            )
            conn.execute(insert(uins).values(uin=uin, rid=rid, issued_at=NOW))
            conn.execute(
                insert(_OLD_IDENTITIES).values(
                    uin=uin,
                    rid=rid,
                    version=1,
                    demographics=person,
                    dedupe_key=keys[uin],
                    center_id="10001",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    return keys


def test_0008_encrypts_existing_identities_and_downgrade_decrypts_them(engine, tmp_path):
    data = tmp_path / "data"
    command.upgrade(alembic_config(engine), "0003_packet_reason_code")
    keys = _old_identity_rows(engine)
    # Without the data key the revision refuses, before changing anything.
    with pytest.raises(SchemaError, match="data dir"):
        migrate(engine)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            == "0003_packet_reason_code"
        )
        assert conn.execute(select(_OLD_IDENTITIES.c.demographics)).scalars().all()[0]["fullName"]

    # A data dir without the server's data key (a wrong --data) is refused, and makes no key.
    with pytest.raises(SchemaError, match="does not hold it"):
        migrate(engine, data_dir=tmp_path / "wrong")
    assert not list((tmp_path / "wrong" / "keys").glob("data-key-*"))
    DataKeyring(data).rotate()  # the key the server made when it wrote its first identity
    assert migrate(engine, data_dir=data) == "0012_masterdata_history_index"
    with engine.connect() as conn:
        raw = " ".join(
            str(v) for row in conn.exec_driver_sql("SELECT * FROM idstore_identities") for v in row
        )
    assert "Amina" not in raw and "1990" not in raw and not any(k in raw for k in keys.values())
    store = IdStore(engine=engine, keyring=DataKeyring(data))
    assert store.find_by_dedupe_key(keys["5000000008"]) == ("5000000008", "R0")
    assert [c.uin for c in store.candidates(blocking_text="1990-04-03")] == ["5000000008"]
    for uin, person in PEOPLE.items():
        assert store.get_by_uin(uin, actor="t", purpose="migration test").demographics == person

    command.downgrade(alembic_config(engine, data_dir=data), "0003_packet_reason_code")
    with engine.connect() as conn:
        rows = conn.execute(
            select(_OLD_IDENTITIES.c.uin, _OLD_IDENTITIES.c.demographics, _OLD_IDENTITIES.c.dedupe_key)
        )
        back = {r.uin: (r.demographics, r.dedupe_key) for r in rows}
    assert back["5000000008"] == (PEOPLE["5000000008"], keys["5000000008"])
    assert back["5000000016"][0] == PEOPLE["5000000016"]  # its plain key cannot be rebuilt: kept hashed


def test_0010_turns_definitions_into_versioned_specs_and_deliveries_into_destinations(engine, tmp_path):
    from sync_server.reports.secrets import ReportSecrets

    data = tmp_path / "data"
    config = alembic_config(engine, data_dir=data)
    command.upgrade(config, "0009_console")
    (tmp_path / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n")
    (tmp_path / "known_hosts").write_text(
        "[sftp.example]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey\n"
    )
    old = sa.table(
        "report_definitions",
        *(sa.column(c, sa.String) for c in ("id", "title", "function", "cron")),
        *(sa.column(c, sa.JSON) for c in ("parameters", "formats", "delivery")),
        sa.column("active", sa.Boolean),
    )
    sftp = {
        "host": "sftp.example",
        "port": 2222,
        "username": "reports",
        "key_file": str(tmp_path / "id_ed25519"),
        "known_hosts": str(tmp_path / "known_hosts"),
        "remote_dir": "in",
    }
    with engine.begin() as conn:
        conn.execute(
            insert(old),
            [
                {
                    "id": "rej",
                    "title": "Rejections",
                    "function": "rejection_reasons",
                    "parameters": {"days": 7},
                    "cron": "0 6 * * *",
                    "formats": ["csv"],
                    "delivery": {"folder": "/srv/out", "sftp": sftp},
                    "active": False,
                },
                {
                    "id": "ops",
                    "title": "Operators",
                    "function": "registrations_per_operator",
                    "parameters": {},
                    "cron": None,
                    "formats": ["csv", "pdf"],
                    "delivery": {},
                    "active": True,
                },
            ],
        )
    command.upgrade(config, "head")
    with engine.connect() as conn:
        specs = dict(conn.execute(text("SELECT id, spec FROM report_definitions")).all())
        versions = conn.execute(text("SELECT definition_id, version FROM report_definition_versions")).all()
        destinations = {
            r.id: r for r in conn.execute(text("SELECT id, kind, config FROM report_destinations"))
        }
    specs = {k: v if isinstance(v, dict) else json.loads(v) for k, v in specs.items()}
    assert sorted(versions) == [("ops", 1), ("rej", 1)]
    assert specs["rej"]["source"] == {
        "kind": "builtin",
        "function": "rejection_reasons",
        "parameters": {"days": 7},
    }
    assert specs["rej"]["schedule"]["cron"] == "0 6 * * *" and specs["rej"]["active"] is False
    assert specs["rej"]["routes"] == [{"destination": "rej-folder"}, {"destination": "rej-sftp"}]
    assert destinations["rej-folder"].kind == "folder" and destinations["rej-sftp"].kind == "sftp"
    secret = ReportSecrets(engine, DataKeyring(data)).get("destination:rej-sftp")
    assert secret.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    command.downgrade(config, "0009_console")
    with engine.connect() as conn:
        rows = {
            r.id: r for r in conn.execute(text("SELECT id, function, cron, delivery FROM report_definitions"))
        }
    assert rows["rej"].function == "rejection_reasons" and rows["rej"].cron == "0 6 * * *"
    delivery = rows["rej"].delivery
    assert (delivery if isinstance(delivery, dict) else __import__("json").loads(delivery)) == {
        "folder": "/srv/out"
    }

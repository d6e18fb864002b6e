"""``openreg admin masterdata import-mosip`` on a server database holding the demo form: MOSIP's published
identity schema and processes (../shared) and MOSIP-layout CSVs become a new version through the ordinary
import (or files in a folder), a refused import changes nothing, and a packet made with the converted form
passes the real processing stages with the schema read back from the server's own change log."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select

from shared.forms import FormEngine, load_id_schema, load_ui_spec, process_engine
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
from sync_server.cli import admin
from sync_server.db.engine import make_engine
from sync_server.db.tables import ChangeRow, CurrentRow, MachineRow
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.processing import queue
from sync_server.processing.dedupe import DedupeConfig
from sync_server.processing.flows import build_stages
from sync_server.processing.pipeline import Pipeline, RetryPolicy
from sync_server.processing.stages import make_packet_opener
from sync_server.processing.worker import ProcessingWorker
from sync_server.services.masterdata import append_changes
from sync_server.services.masterdata_history import DbMasterDataHistory
from tests.support.mosip import ADULT, PROCESS_FILES, SCHEMA_FILE, mosip_dir, write_csvs

DOCUMENTS = {  # the kiosk records each document under its field, with the type chosen
    "proofOfIdentity": {"type": "CIN", "name": "id.pdf"},
    "proofOfAddress": {"type": "RNC", "name": "lease.pdf"},
}
DEMO = ["sync_server/demo_data/id_schema.json", "sync_server/demo_data/ui_spec.json"]


def run(*args: str):
    return CliRunner().invoke(admin, ["masterdata", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server data dir with the demo schema, specs and consent template; MOSIP's files and CSVs."""
    folder = mosip_dir()
    root = tmp_path_factory.mktemp("mosip")
    data = root / "server"
    assert run("import", "--data", str(data), *DEMO).exit_code == 0
    inputs = ["--schema", str(folder / SCHEMA_FILE)]
    for name in PROCESS_FILES.values():
        inputs += ["--ui-spec", str(folder / name)]
    for path in write_csvs(root / "csv"):
        inputs += ["--csv", str(path)]
    return {
        "data": data,
        "root": root,
        "inputs": inputs,
        "engine": make_engine(f"sqlite:///{data / 'server.db'}"),
    }


def stored(engine, entity):
    with engine.connect() as conn:
        rows = conn.execute(select(CurrentRow.entity_id, CurrentRow.data).where(CurrentRow.entity == entity))
        return {entity_id: data for entity_id, data in rows}


def log_head(engine):
    with engine.connect() as conn:
        return conn.scalar(select(func.max(ChangeRow.seq)))


def test_dry_run_reports_and_writes_nothing(server):
    before = log_head(server["engine"])
    result = run("import-mosip", *server["inputs"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["schema"]["converted"] == 31 and summary["processes"]["new"]["converted"] == 25
    assert "mosip_identity_schema.json $.properties.identity.properties.zone: not converted" in result.stderr
    assert log_head(server["engine"]) == before


def test_import_as_a_new_version_and_out_folder(server):
    engine, out = server["engine"], server["root"] / "out"
    schema_before = stored(engine, "id_schema").get("mosip", {}).get("version", 0)
    newest_new = max(r["version"] for r in stored(engine, "ui_spec").values() if r["spec"]["flow"] == "new")
    result = run(
        "import-mosip", "--data", str(server["data"]), "--import", "--out", str(out), *server["inputs"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["imported"]["applied"] > 0
    specs = stored(engine, "ui_spec")
    assert specs["mosip_new"]["version"] == newest_new + 1  # past every new-registration spec: kiosks take it
    assert [specs[f"mosip_{f}"]["spec"]["flow"] for f in ("new", "update", "lost")] == [
        "new",
        "update",
        "lost",
    ]
    assert stored(engine, "id_schema")["mosip"]["version"] == schema_before + 1
    assert stored(engine, "genders")["FLE"]["labels"]["ara"] == "أنثى"
    assert stored(engine, "locations")["10101"]["parent_id"] == "CT1"
    written = {p.name for p in out.iterdir()}
    assert written == {"id_schema.json", "ui_spec.json", "masterdata.json", "report.json"}
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["schema"]["properties"] == 35 and report["items"]
    again = run("import-mosip", "--data", str(server["data"]), "--import", *server["inputs"])
    assert again.exit_code == 0, again.output
    assert stored(engine, "id_schema")["mosip"]["version"] == schema_before + 2
    assert stored(engine, "ui_spec")["mosip_new"]["version"] == newest_new + 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--consent-template", "no_such_text"], "names template 'no_such_text', which does not exist"),
        (["--age-groups", "INFANT=9-1"], "is not NAME=MIN-MAX"),
    ],
)
def test_refused_import_changes_nothing(server, extra, message):
    before = log_head(server["engine"])
    result = run("import-mosip", "--data", str(server["data"]), "--import", *server["inputs"], *extra)
    assert result.exit_code != 0 and message in result.output
    assert log_head(server["engine"]) == before


def test_unreadable_input_is_a_clear_error(server):
    bad = server["root"] / "location.xlsx"
    bad.write_bytes(b"PK\x03\x04")
    result = run("import-mosip", "--data", str(server["data"]), "--import", "--csv", str(bad))
    assert result.exit_code != 0 and "XLSX is not read" in result.output
    assert run("import-mosip", "--import", "--csv", str(bad)).exit_code != 0  # --import needs --data


def test_packet_made_with_the_converted_form_is_processed(server, tmp_path):
    engine = server["engine"]
    result = run("import-mosip", "--data", str(server["data"]), "--import", *server["inputs"])
    assert result.exit_code == 0, result.output
    schema_row, spec_row = stored(engine, "id_schema")["mosip"], stored(engine, "ui_spec")["mosip_new"]
    form = FormEngine(
        schema=load_id_schema(schema_row), ui_spec=load_ui_spec(spec_row, load_id_schema(schema_row))
    )
    values = dict(ADULT)
    checked = process_engine(form, flow="new").validate(
        values | DOCUMENTS | {"individualBiometrics": ["finger", "iris", "face"]}
    )
    assert checked.ok, checked.errors  # what the kiosk checks before it seals

    key = generate_private_key()
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(MachineRow.__table__).values(
                machine_id="10001",
                public_key=public_key_b64(key),
                center_id="10001",
                name="mosip kiosk",
                status="approved",
                created_at=now - dt.timedelta(days=1),
            )
        )
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        append_changes(
            session,
            upserts=[
                ("users", {"id": "op1", "roles": ["operator"], "center_id": "10001", "active": True}),
            ],
            deletes=[],
        )
    recipient = generate_identity_file(tmp_path / "server-identity.txt")
    rid = format_rid(center_id=10001, machine_id=10001, sequence=1, created_at=now)
    contents = PacketContents(
        demographics=checked.cleaned,
        documents=[
            Document(
                DOCUMENTS[f]["type"], "application/pdf", b"%PDF-1.4 " + f.encode(), f, DOCUMENTS[f]["name"]
            )
            for f in DOCUMENTS
        ],
        biometrics=[
            BiometricRecord(m, s, "ISO19794", 85, {}, b"ISO" + s.encode())
            for m, s in (("finger", "Left Thumb"), ("iris", "Left"), ("face", "Face"))
        ],
        meta={
            "rid": rid,
            "center_id": "10001",
            "machine_id": "10001",
            "operator_id": "op1",
            "started_at": now.isoformat(),
            "id_schema_id": "mosip",
            "id_schema_version": schema_row["version"],
        },
    )
    sealed = seal_packet(contents, machine_key=key, recipients=[recipient], out_dir=tmp_path / "packets")

    class Packets:
        def blob_path(self, _rid):
            return sealed.path

        def registered(self, _rid):
            return sealed.sha256, sealed.size

    queue.enqueue(engine, rid=rid)
    stages = build_stages(
        packets=Packets(),
        master=DbMasterDataHistory(engine),
        opener=make_packet_opener(load_identities(tmp_path / "server-identity.txt")),
        store=IdStore(engine=engine, keyring=DataKeyring(tmp_path / "data")),
        dedupe=DedupeConfig(),
        engine=engine,
    )
    worker = ProcessingWorker(
        engine=engine,
        pipeline_factory=lambda: Pipeline(stages, hooks={}),
        policy=RetryPolicy(base_seconds=0),
        poll_seconds=0.01,
    )
    while worker.run_once():
        pass
    state = queue.job_status(engine, rid)
    assert (state["status"], state["reason_text"]) == ("processed", None), state
    assert len(state["uin"]) == 10

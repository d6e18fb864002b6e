"""End to end: sealed packets uploaded to a real sync server process (demo master data) are processed
by a real `openreg worker` process and the outcome reaches the kiosk through the status endpoint,
rejections with a machine-readable ``reason_code`` beside the text."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import create_engine, delete, insert, select

from shared.packet import BiometricRecord, Document, PacketContents, seal_packet
from shared.signing import generate_private_key
from sync_server.db.tables import MachineRow, PacketRow
from tests.integration.sync_server.kiosk import Kiosk
from tests.support.packets import seal_unchecked

PERSON = {
    "fullName": "Amina Diallo",
    "dateOfBirth": "1985-02-14",
    "gender": "F",
    "region": "R1",
    "province": "P1",
    "city": "C1",
    "addressLine": "1 Rue de la Paix",
}


def _seal(kiosk, tmp_path, *, person=PERSON, documents=True, key=None, meta_update=None):
    rid = kiosk.new_rid()
    contents = PacketContents(
        demographics=person,
        documents=[Document("DOC001", "application/pdf", b"%PDF-1.4 id", "proofOfIdentity", "id.pdf")]
        if documents
        else [],
        biometrics=[
            BiometricRecord(m, s, "ISO19794", 85, {}, b"ISO" + s.encode())
            for m, s in (("finger", "Left Thumb"), ("iris", "Left"), ("face", "Face"))
        ],
        meta={
            "rid": rid,
            "center_id": "10001",
            "machine_id": kiosk.machine_id,
            "operator_id": "operator1",
            "started_at": dt.datetime.now(dt.UTC).isoformat(),
            "id_schema_version": 1,
        }
        | (meta_update or {}),
    )
    seal = seal_unchecked if meta_update else seal_packet  # meta the builder would refuse
    sealed = seal(
        contents,
        machine_key=key or kiosk.key,
        recipients=kiosk.enrolment["packet_recipients"],
        out_dir=tmp_path / "outbox",
    )
    data = sealed.path.read_bytes()
    assert kiosk.register(rid, data).status_code in (200, 201)
    kiosk.upload(rid, data)
    return rid


def test_uploaded_packets_are_processed_or_rejected_with_reasons(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server")
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    good = _seal(kiosk, tmp_path)
    duplicate = _seal(kiosk, tmp_path, person=PERSON | {"fullName": "amina  DIALLO"})
    missing_document = _seal(kiosk, tmp_path, person=PERSON | {"fullName": "Bo Chan"}, documents=False)
    foreign_key = _seal(kiosk, tmp_path, person=PERSON | {"fullName": "Cy Diaz"}, key=generate_private_key())
    # A faulty kiosk's meta (a number as text): intake takes it, processing refuses it, never a 500.
    bad_meta = _seal(
        kiosk, tmp_path, person=PERSON | {"fullName": "Ed Fox"}, meta_update={"id_schema_version": "1"}
    )
    rids = [good, duplicate, missing_document, foreign_key, bad_meta]
    # A machine whose enrolment the server no longer holds by processing time (say, its database was
    # restored from a backup older than the enrolment): its packet names an unknown machine.
    stranger_kiosk = Kiosk(server.url, name="restored away")
    stranger_kiosk.enrol()
    stranger_kiosk.login()
    stranger = _seal(stranger_kiosk, tmp_path, person=PERSON | {"fullName": "Di Eze"})
    engine = create_engine(f"sqlite:///{server.data_dir / 'server.db'}")
    machine_row = select(MachineRow.__table__).where(MachineRow.machine_id == stranger_kiosk.machine_id)
    with engine.begin() as conn:
        enrolment = dict(conn.execute(machine_row).mappings().one())
        conn.execute(delete(MachineRow.__table__).where(MachineRow.machine_id == stranger_kiosk.machine_id))

    def stranger_done() -> bool:
        with engine.connect() as conn:
            return conn.scalar(select(PacketRow.status).where(PacketRow.rid == stranger)) == "rejected"

    worker = subprocess.Popen(
        [sys.executable, "-m", "shared", "worker", "--data", str(server.data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = kiosk.status(*rids)
            if all(states[r]["status"] in ("processed", "rejected") for r in rids) and stranger_done():
                break
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0]
    with engine.begin() as conn:  # enrolment restored: the kiosk can ask about its packet again
        conn.execute(insert(MachineRow.__table__).values(**enrolment))
    engine.dispose()
    states |= stranger_kiosk.status(stranger)

    assert states[good]["status"] == "processed" and len(states[good]["uin"]) == 10, (states, output)
    assert states[good].get("reason_code") is None and states[good].get("reason") is None
    codes = {rid: (states[rid]["status"], states[rid]["reason_code"]) for rid in [*rids[1:], stranger]}
    assert codes == {
        duplicate: ("rejected", "duplicate"),
        missing_document: ("rejected", "missing_document"),
        foreign_key: ("rejected", "tampered"),
        bad_meta: ("rejected", "invalid_packet"),
        stranger: ("rejected", "unknown_machine"),
    }, (states, output)
    # The text is for people and no longer repeats the code.
    assert states[duplicate]["reason"] == f"duplicate of UIN {states[good]['uin']}"
    assert "signature" in states[foreign_key]["reason"].lower(), states[foreign_key]
    assert f"machine {stranger_kiosk.machine_id} is not enrolled" in states[stranger]["reason"]
    assert "id_schema_version" in states[bad_meta]["reason"], states[bad_meta]
    assert states[missing_document]["reason"] and not states[missing_document]["reason"].startswith("missing")

"""End to end: sealed packets uploaded to a real sync server process (demo master data) are processed
by a real `openreg worker` process and the outcome reaches the kiosk through the status endpoint,
rejections (and packets held for an adjudicator) with a machine-readable ``reason_code`` beside the text."""

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import create_engine, delete, insert, select

from shared.signing import generate_private_key
from sync_server.db.tables import MachineRow, PacketRow
from tests.integration.sync_server.kiosk import Kiosk
from tests.support.packets import PERSON, seal_and_upload


def test_uploaded_packets_are_processed_or_rejected_with_reasons(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server")
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    good = seal_and_upload(kiosk, tmp_path)
    duplicate = seal_and_upload(kiosk, tmp_path, person=PERSON | {"fullName": "amina  DIALLO"})
    missing_document = seal_and_upload(
        kiosk, tmp_path, person=PERSON | {"fullName": "Bo Chan"}, documents=False
    )
    foreign_key = seal_and_upload(
        kiosk, tmp_path, person=PERSON | {"fullName": "Cy Diaz"}, key=generate_private_key()
    )
    # A faulty kiosk's meta (a number as text): intake takes it, processing refuses it, never a 500.
    bad_meta = seal_and_upload(
        kiosk, tmp_path, person=PERSON | {"fullName": "Ed Fox"}, meta_update={"id_schema_version": "1"}
    )
    rids = [good, duplicate, missing_document, foreign_key, bad_meta]
    # A machine whose enrolment the server no longer holds by processing time (say, its database was
    # restored from a backup older than the enrolment): its packet names an unknown machine.
    stranger_kiosk = Kiosk(server.url, name="restored away")
    stranger_kiosk.enrol()
    stranger_kiosk.login()
    stranger = seal_and_upload(stranger_kiosk, tmp_path, person=PERSON | {"fullName": "Di Eze"})
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
            settled = [
                s["status"] in ("processed", "rejected") or s.get("reason_code") == "adjudication"
                for s in states.values()
            ]
            if all(settled) and stranger_done():
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
        duplicate: ("processing", "adjudication"),  # an exact demographic match waits for a person
        missing_document: ("rejected", "missing_document"),
        foreign_key: ("rejected", "tampered"),
        bad_meta: ("rejected", "invalid_packet"),
        stranger: ("rejected", "unknown_machine"),
    }, (states, output)
    # The text is for people and no longer repeats the code.
    assert states[duplicate]["reason"] == "possible duplicate of 1 identity(ies): an adjudicator decides"
    assert "signature" in states[foreign_key]["reason"].lower(), states[foreign_key]
    assert f"machine {stranger_kiosk.machine_id} is not enrolled" in states[stranger]["reason"]
    assert "id_schema_version" in states[bad_meta]["reason"], states[bad_meta]
    assert states[missing_document]["reason"] and not states[missing_document]["reason"].startswith("missing")

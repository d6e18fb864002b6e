"""End to end: sealed packets uploaded to a real sync server process (demo master data) are processed
by a real `openreg worker` process and the outcome reaches the kiosk through the status endpoint."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time

from shared.packet import BiometricRecord, Document, PacketContents, seal_packet
from shared.signing import generate_private_key
from tests.integration.sync_server.kiosk import Kiosk

PERSON = {
    "fullName": "Amina Diallo",
    "dateOfBirth": "1985-02-14",
    "gender": "F",
    "region": "R1",
    "province": "P1",
    "city": "C1",
    "addressLine": "1 Rue de la Paix",
}


def _seal(kiosk, tmp_path, *, person=PERSON, documents=True, key=None):
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
        },
    )
    sealed = seal_packet(
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
    rids = [good, duplicate, missing_document, foreign_key]

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
            if all(states[r]["status"] in ("processed", "rejected") for r in rids):
                break
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0]
    assert states[good]["status"] == "processed" and len(states[good]["uin"]) == 10, (states, output)
    assert states[duplicate]["status"] == "rejected"
    assert states[duplicate]["reason"] == f"duplicate: duplicate of UIN {states[good]['uin']}"
    assert states[missing_document]["reason"].startswith("missing_document:")
    assert states[foreign_key]["reason"].startswith("tampered:")

"""Registration service around the state machine: RIDs, sealing, receipts, recovery, end of day, limits.

Uses a small file sealer implementing the PacketSealer port; the real shared.packet adapter is exercised
by the integration tests and the demo.
"""

import hashlib
import io
import json
import shutil
import subprocess
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from client.core.authentication import AuthenticationService, RoleRequired
from client.core.machine import MachineKeys
from client.core.master_data import apply_changes
from client.core.registration import receipt_fonts as receipt_fonts_module
from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture
from client.core.registration.end_of_day import EndOfDayService
from client.core.registration.receipt_fonts import ReceiptFontMissing
from client.core.registration.receipts import ReceiptNotFound, ReceiptStore, save_receipt
from client.core.registration.sealing import SealedFile
from client.core.registration.service import NotEnrolled, PendingLimitReached, RegistrationService
from device_drivers.iso import FaceImage, write_face_record
from shared import pdf_text
from shared.rid import parse_rid

DEMO = Path(__file__).resolve().parents[5] / "sync_server" / "demo_data"
ADULT = {
    "consent": "I_AGREE",
    "fullName": "Amina Diallo",
    "dateOfBirth": "1991-04-12",
    "gender": "FLE",
    "region": "R1",
    "province": "P1",
    "city": "C1",
    "addressLine": "12 Palm Street",
}


class FileSealer:
    def __init__(self):
        self.calls = 0

    def seal(self, *, registration, rid, meta, audit, out_dir):
        self.calls += 1
        body = json.dumps(
            {"meta": meta.as_written(), "id": registration.demographics, "audit": audit}
        ).encode()
        path = out_dir / f"{rid}.pkt"
        path.write_bytes(body)
        return SealedFile(rid, path, hashlib.sha256(body).hexdigest(), len(body))

    def find(self, *, rid, out_dir):
        path = out_dir / f"{rid}.pkt"
        if not path.exists():
            return None
        body = path.read_bytes()
        return SealedFile(rid, path, hashlib.sha256(body).hexdigest(), len(body))


@pytest.fixture
def env(store, master_data, tmp_path):
    rows = [json.loads((DEMO / f).read_text())["entities"] for f in ("id_schema.json", "ui_spec.json")]
    changes = [
        {"entity": e, "id": r["id"], "op": "upsert", "data": r}
        for ent in rows
        for e, rs in ent.items()
        for r in rs
    ]
    changes.append(
        {
            "entity": "config",
            "id": "registration.max_pending",
            "op": "upsert",
            "data": {"id": "registration.max_pending", "value": 2},
        }
    )
    with store.transaction() as conn:
        apply_changes(conn, changes)
    machine = MachineKeys(store=store)
    machine.record_enrolment(
        status="approved",
        machine_id="10042",
        center_id="10001",
        signing_key="pinned",
        recipients=["age1xyz"],
        recipient_key_id="k1",
    )
    people = AuthenticationService(store=store, master_data=master_data)
    sealer = FileSealer()
    service = RegistrationService(
        store=store,
        master_data=master_data,
        machine=machine,
        sealer=sealer,
        packets_dir=tmp_path / "packets",
    )
    return people, service, EndOfDayService(store=store), sealer


def complete(service, session, *, face: bytes = b"r"):
    reg = service.start(session=session)
    assert reg.submit_demographics(ADULT).ok
    reg.add_document(
        field_id="proofOfIdentity", doc_type="passport", name="p", content_type="image/jpeg", data=b"x"
    )
    assert reg.submit_documents().ok
    for group, (modality, subs) in CAPTURE_GROUPS.items():
        record = face if modality == "face" else b"r"
        reg.record_capture(group=group, records=[BiometricCapture(modality, s, 95, record) for s in subs])
    assert reg.submit_biometrics() == {}
    return service.finish(session=session, registration=reg)


def test_finish_seals_with_a_fresh_rid_and_keeps_the_receipt_in_the_store(env, store, tmp_path):
    people, service, _, _ = env
    op = people.login(user_id="op1", password="op-pass")
    first, second = complete(service, op), complete(service, op)
    rid = parse_rid(first.rid)
    assert (rid.center_id, rid.machine_id, rid.sequence) == (10001, 10042, 1)
    assert parse_rid(second.rid).sequence == 2
    receipts = ReceiptStore(store=store, legacy_dir=tmp_path / "receipts")
    assert first.packet_path.exists() and receipts.pdf(rid=first.rid).startswith(b"%PDF")
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes().startswith(b"%PDF")]
    meta = json.loads(first.packet_path.read_text())["meta"]
    assert meta["operator_id"] == "op1" and meta["recipient_key_id"] == "k1"
    with store.transaction() as conn:
        statuses = conn.execute(text("SELECT status FROM registrations ORDER BY rid")).scalars().all()
    assert statuses == ["pending_approval", "pending_approval"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_receipt_speaks_the_forms_languages_and_shows_the_face(env, store, tmp_path):
    people, service, _, _ = env
    photo = io.BytesIO()
    Image.new("RGB", (120, 160), (180, 150, 120)).save(photo, "PNG")
    face = write_face_record([FaceImage(photo.getvalue(), 120, 160, "png")])
    done = complete(service, people.login(user_id="op1", password="op-pass"), face=face)
    pdf = tmp_path / "r.pdf"
    ReceiptStore(store=store, legacy_dir=tmp_path / "receipts").export(rid=done.rid, target=pdf)
    words = unicodedata.normalize("NFKC", _run("pdftotext", str(pdf), "-"))
    assert "Registration acknowledgement" in words and "إشعار التسجيل" in words  # the spec: eng, ara
    assert "image" in _run("pdfimages", "-list", str(pdf)).splitlines()[-1]


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_no_receipt_font_refuses_to_start_before_anyone_is_captured(env, monkeypatch, tmp_path):
    people, service, _, _ = env
    monkeypatch.setattr(pdf_text, "_DIRS", (tmp_path,))
    monkeypatch.setattr(pdf_text.shutil, "which", lambda _name: None)
    receipt_fonts_module.receipt_fonts.cache_clear()
    pdf_text.pdf_fonts.cache_clear()
    try:
        with pytest.raises(ReceiptFontMissing, match="fonts-dejavu-core"):
            service.start(session=people.login(user_id="op1", password="op-pass"))
    finally:
        receipt_fonts_module.receipt_fonts.cache_clear()
        pdf_text.pdf_fonts.cache_clear()


def test_pending_limit_blocks_new_registrations_until_supervisor_acts(env):
    people, service, eod, _ = env
    op = people.login(user_id="op1", password="op-pass")
    done = [complete(service, op) for _ in range(2)]
    with pytest.raises(PendingLimitReached, match="waiting for supervisor approval"):
        service.start(session=op)
    with pytest.raises(RoleRequired):
        eod.approve(session=op, rid=done[0].rid)
    sup = people.login(user_id="sup1", password="sup-pass")
    pending = eod.pending(session=sup)
    assert [p["rid"] for p in pending] == [d.rid for d in done]
    assert pending[0]["summary"]["name"] == "Amina Diallo"  # the supervisor sees who, without the packet
    assert pending[0]["summary"]["modalities"] and pending[0]["operator_id"] == "op1"
    eod.approve(session=sup, rid=done[0].rid)
    with pytest.raises(ValueError, match="reason"):
        eod.reject(session=sup, rid=done[1].rid, reason=" ")
    eod.reject(session=sup, rid=done[1].rid, reason="blurred documents")
    assert eod.pending(session=sup) == []
    service.start(session=op)


def test_unenrolled_kiosk_cannot_register(env, store, master_data, tmp_path):
    people, _, _, _ = env
    fresh = MachineKeys(store=store)
    fresh.record_enrolment(status="pending")
    service = RegistrationService(
        store=store,
        master_data=master_data,
        machine=fresh,
        sealer=FileSealer(),
        packets_dir=tmp_path / "p",
    )
    with pytest.raises(NotEnrolled):
        service.start(session=people.login(user_id="op1", password="op-pass"))


def test_recover_keeps_a_whole_sealed_packet_and_fails_an_unsealed_one(env, store, tmp_path):
    people, service, _, _sealer = env
    op = people.login(user_id="op1", password="op-pass")
    done = complete(service, op)
    with store.transaction() as conn:  # simulate a crash after sealing but before the second transaction
        conn.execute(
            text("UPDATE registrations SET status = 'sealing', sha256 = NULL WHERE rid = :r"), {"r": done.rid}
        )
        conn.execute(
            text(
                "INSERT INTO registrations (rid, status, operator_id, created_at) "
                "VALUES ('10001100420000920260101000000', 'sealing', 'op1', 'x')"
            )
        )
        # the receipt is kept before sealing starts, so a crash can leave one for an unsealed packet
        save_receipt(
            conn, rid="10001100420000920260101000000", pdf=b"%PDF-1.4 x", created_at=datetime.now(UTC)
        )
    (tmp_path / "packets" / ".junk.tmp").write_bytes(b"half")
    assert service.recover() == {done.rid: "pending_approval", "10001100420000920260101000000": "failed"}
    receipts = ReceiptStore(store=store, legacy_dir=tmp_path / "receipts")
    assert receipts.pdf(rid=done.rid).startswith(b"%PDF")  # the recovered packet has its receipt
    with pytest.raises(ReceiptNotFound):  # and nothing acknowledges a packet that does not exist
        receipts.pdf(rid="10001100420000920260101000000")
    with store.transaction() as conn:
        assert (
            conn.execute(
                text("SELECT sha256 FROM registrations WHERE rid = :r"), {"r": done.rid}
            ).scalar_one()
            == done.sha256
        )
    assert not (tmp_path / "packets" / ".junk.tmp").exists()


def test_prefill_comes_from_cached_preregistration(env):
    people, service, _, _ = env
    service.cache_preregistration(prereg_id="PRE42", data={"fullName": "Cached Person", "city": "C1"})
    reg = service.start(session=people.login(user_id="op1", password="op-pass"), prereg_id="PRE42")
    assert reg.values == {"fullName": "Cached Person", "city": "C1"} and reg.prereg_id == "PRE42"


def test_rid_sequence_survives_restart(env, store):
    people, service, _, _ = env
    op = people.login(user_id="op1", password="op-pass")
    complete(service, op)
    with store.transaction() as conn:
        assert (
            json.loads(conn.execute(text("SELECT value FROM settings WHERE key='rid.sequence'")).scalar_one())
            == 1
        )


def test_no_personal_data_in_plaintext_in_the_db_files_after_registering(env, store, tmp_path):
    people, service, _, _ = env
    service.cache_preregistration(prereg_id="PRE1", data={"fullName": "Zebulon Quartermaine"})
    complete(service, people.login(user_id="op1", password="op-pass"))
    for file in tmp_path.glob("client.db*"):
        raw = file.read_bytes()
        assert b"Amina Diallo" not in raw and b"Zebulon" not in raw and b"Palm Street" not in raw, file

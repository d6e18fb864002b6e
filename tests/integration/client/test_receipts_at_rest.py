"""Receipts at rest: after a real registration (real SQLCipher store, real sealer) no receipt lies on
disk in clear; it prints/exports on demand from the store; old plaintext receipts move into the store."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from client.core.bootstrap import build_client
from client.core.registration.biometrics import CAPTURE_GROUPS
from demo.samples import capture_group, document_scan, sample_person
from tests.integration.client.kiosk_child import settings
from tests.integration.client.kiosk_setup import prepare_offline_kiosk

pytest.importorskip("shared.packet")

NAME = "Zanele Receipt-At-Rest"
CLI = [sys.executable, "-m", "shared", "client"]


def _register(app) -> str:
    session = app.authentication.login(user_id="op1", password="op-pass")
    reg = app.registrations.start(session=session)
    person = sample_person(2, locations={"region": "R1", "province": "P1", "city": "C1"}, gender="FLE")
    assert reg.submit_demographics({**person.demographics, "fullName": NAME}).ok
    reg.add_document(
        field_id="proofOfIdentity",
        doc_type="passport",
        name="p.jpg",
        content_type="image/jpeg",
        data=document_scan(1, target_bytes=5_000),
    )
    assert reg.submit_documents().ok
    for group in CAPTURE_GROUPS:
        reg.record_capture(
            group=group,
            records=[r for r in capture_group(group, seed=2) if r.bio_subtype != person.missing_finger],
        )
    reg.mark_exception(modality="finger", bio_subtype=person.missing_finger, reason="amputated")
    reg.set_exception_photo(b"\xff\xd8photo")
    assert reg.submit_biometrics() == {}
    reg.approve_by_supervisor(supervisor_id="sup1")
    return app.registrations.finish(session=session, registration=reg).rid


def _plaintext_pdfs(folder) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                if handle.read(5) == b"%PDF-" or path.suffix == ".pdf":
                    found.append(str(path))
    return found


def _export(data, keyring, rid: str, out) -> subprocess.CompletedProcess:
    """``openreg client export-receipt`` in a real process."""
    return subprocess.run(
        [*CLI, "export-receipt", "--data", str(data), "--keyring-file", str(keyring), rid, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("OPENREG_CLIENT")},
    )


@pytest.fixture
def kiosk(tmp_path):
    data, keyring = tmp_path / "kiosk", tmp_path / "kr"
    prepare_offline_kiosk(data, keyring)
    return data, keyring


def test_no_plaintext_receipt_after_registration_and_export_on_demand(kiosk, tmp_path):
    data, keyring = kiosk
    app = build_client(settings(data, keyring))
    try:
        rid = _register(app)
    finally:
        app.close()
    assert _plaintext_pdfs(data) == []
    assert not any(NAME.encode() in p.read_bytes() for p in data.rglob("*") if p.is_file())
    app = build_client(settings(data, keyring))
    try:
        in_store = app.receipts.pdf(rid=rid)  # printable: the preview rasterises these bytes
    finally:
        app.close()
    assert in_store.startswith(b"%PDF-")
    # export on demand through the real CLI process
    out = tmp_path / "export" / "receipt.pdf"
    out.parent.mkdir()
    done = _export(data, keyring, rid, out)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == in_store
    missing = _export(data, keyring, "1000110042" + "9" * 19, tmp_path / "none.pdf")
    assert missing.returncode == 1 and "no receipt is kept" in missing.stderr
    assert not (tmp_path / "none.pdf").exists()


def test_old_plaintext_receipts_move_into_the_store_on_upgrade(kiosk):
    data, keyring = kiosk
    legacy = data / "receipts"
    legacy.mkdir()
    rid = "10001100420000720260601120000"
    old_pdf = b"%PDF-1.4\n% an old version's receipt\n%%EOF\n"
    (legacy / f"{rid}.pdf").write_bytes(old_pdf)
    (legacy / "notes.pdf").write_bytes(b"%PDF-1.4 not a receipt name")  # not ours: left alone
    (legacy / "10001100420000820260601120000.pdf").write_bytes(b"garbage")  # not a PDF: left alone
    app = build_client(settings(data, keyring))
    try:
        assert app.receipts.pdf(rid=rid) == old_pdf
    finally:
        app.close()
    assert sorted(p.name for p in legacy.iterdir()) == ["10001100420000820260601120000.pdf", "notes.pdf"]

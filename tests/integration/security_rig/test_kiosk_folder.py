"""Kiosk mode on a real kiosk data folder (set up offline, SQLCipher store) and on one with planted
plaintext: a plain SQLite file, a JSON export of demographics, a plaintext packet, loose modes."""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from pathlib import Path

import pyrage
import pytest

from security_rig.kiosk_checks import run_kiosk
from tests.integration.client.kiosk_setup import prepare_offline_kiosk


@pytest.fixture
def kiosk(tmp_path: Path) -> tuple[Path, Path]:
    """A real enrolled kiosk folder (made under the usual umask 022) and its file keyring beside it."""
    old = os.umask(0o022)
    try:
        data, keyring = tmp_path / "kiosk", tmp_path / "keyring.cfg"
        prepare_offline_kiosk(data, keyring)
    finally:
        os.umask(old)
    return data, keyring


def _checks(report) -> dict[str, list]:
    found: dict[str, list] = {}
    for f in report.findings:
        found.setdefault(f.check, []).append(f)
    return found


def test_a_real_kiosk_folder_keeps_no_plaintext(kiosk):
    data, keyring = kiosk
    report = run_kiosk(data, keyring_file=keyring, demo=True)
    found = _checks(report)
    assert not found, report.to_text()
    assert any("encrypted store" in n for o in report.outcomes for n in o.notes), report.to_text()
    assert any("declared demo" in n for o in report.outcomes for n in o.notes)


def test_a_real_kiosk_folder_is_private(kiosk):
    data, keyring = kiosk
    report = run_kiosk(data, keyring_file=keyring, demo=True)
    assert "kiosk.permissions" not in _checks(report), report.to_text()


def test_a_file_keyring_outside_a_declared_demo_is_a_finding(kiosk, monkeypatch):
    data, keyring = kiosk
    monkeypatch.delenv("OPENREG_CLIENT_ALLOW_INSECURE_HTTP", raising=False)
    report = run_kiosk(data, keyring_file=keyring, demo=False)
    assert [f.target for f in _checks(report)["kiosk.keyring"]] == [str(keyring)], report.to_text()
    assert report.exit_code() == 1


def test_planted_plaintext_and_loose_modes_are_found(kiosk):
    data, keyring = kiosk
    with sqlite3.connect(data / "export.db") as db:
        db.execute("create table people (fullName text, dateOfBirth text)")
    person = {"fullName": "Ada Example", "dateOfBirth": "1990-01-01", "gender": "FLE", "phone": "+1 555 0100"}
    (data / "backup.json").write_text(json.dumps([person]))
    (data / "people.csv").write_text("fullName,dateOfBirth,gender\nAda Example,1990-01-01,FLE\n")
    packets = data / "packets"
    packets.mkdir()
    with zipfile.ZipFile(packets / "10001100420000120240101000000.zip", "w") as packet:
        packet.writestr("id.json", json.dumps(person))
    recipient = pyrage.x25519.Identity.generate().to_public()
    (packets / "10001100420000220240101000000.age").write_bytes(pyrage.encrypt(b"sealed", [recipient]))
    os.chmod(data, 0o777)
    os.chmod(data / "backup.json", 0o666)

    report = run_kiosk(data, keyring_file=keyring, demo=True)
    found = _checks(report)
    plaintext = {Path(f.target).name: f.summary for f in found["kiosk.plaintext"]}
    assert "plaintext SQLite" in plaintext["export.db"], report.to_text()
    assert "personal data" in plaintext["backup.json"] and "personal data" in plaintext["people.csv"]
    assert "plaintext packet" in plaintext["10001100420000120240101000000.zip"]
    assert [Path(f.target).name for f in found["kiosk.packets"]] == ["10001100420000120240101000000.zip"]
    loose = {Path(f.target).name: f.severity for f in found["kiosk.permissions"]}
    assert loose[data.name] == "high" and loose["backup.json"] == "high"
    assert "client.db" not in plaintext  # the real store stays SQLCipher
    text = report.to_text()
    assert "FAIL" in text and report.exit_code() == 1

"""The kiosk's USB stick side (client.core.media) on a real SQLCipher kiosk without a server: exports are
verified or clearly unfinished whatever happens (SIGKILL at random points, a stick that fills up, a
stick that is too small from the start), the next export repairs, only unacknowledged packets go, a
damaged sealed file is quarantined; the office's answer is applied once, never moves a status back,
and is refused when foreign, altered or from another server."""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from client.core.authentication import hash_password
from client.core.bootstrap import build_client
from client.core.master_data import apply_changes
from client.core.media.ack_import import import_ack
from client.core.media.errors import MediaProblem
from client.core.media.export import MediaExporter
from client.core.registration.biometrics import CAPTURE_GROUPS
from demo.samples import capture_group, document_scan, sample_person
from shared.media.envelope import read_document, verify_document
from shared.media.layout import kiosk_folder, packet_file
from shared.media.models import MANIFEST_NAME, ExportManifest
from shared.signing import generate_private_key
from shared.sync import ChangesPage, MasterDataChange, PacketStatus, sign_changes_page
from tests.integration.client.kiosk_child import settings
from tests.integration.client.kiosk_setup import prepare_offline_kiosk
from tests.support.media import answer_kiosk

ROOT = Path(__file__).resolve().parents[3]
SUPERVISOR = ("sup1", "sup-pass")
EXPORT = [sys.executable, "-m", "shared", "client", "export"]


@pytest.fixture(scope="module")
def _kiosk_template(tmp_path_factory):
    """An offline kiosk with a supervisor and six approved packets, made once and copied per test."""
    base = tmp_path_factory.mktemp("media-kiosk")
    data, keyring = base / "kiosk", base / "kr.cfg"
    prepare_offline_kiosk(data, keyring)
    app = build_client(settings(data, keyring))
    try:
        user = {
            "id": SUPERVISOR[0],
            "name": "Sara",
            "roles": ["operator", "supervisor"],
            "center_id": "10001",
        }
        user["password_hash"] = hash_password(SUPERVISOR[1])
        with app.store.transaction() as conn:
            apply_changes(conn, [{"entity": "users", "id": user["id"], "op": "upsert", "data": user}])
        operator = app.authentication.login(user_id="op1", password="op-pass")
        for index in range(6):
            reg = app.registrations.start(session=operator)
            locations = {"region": "R1", "province": "P1", "city": "C1"}
            assert reg.submit_demographics(
                sample_person(index, locations=locations, gender="FLE").demographics
            ).ok
            reg.add_document(
                field_id="proofOfIdentity",
                doc_type="passport",
                name="p.jpg",
                content_type="image/jpeg",
                data=document_scan(index, target_bytes=300_000),
            )
            assert reg.submit_documents().ok
            for group in CAPTURE_GROUPS:
                reg.record_capture(group=group, records=capture_group(group, seed=index))
            assert reg.submit_biometrics() == {}
            app.registrations.finish(session=operator, registration=reg)
        supervisor = app.authentication.login(user_id=SUPERVISOR[0], password=SUPERVISOR[1])
        for row in app.end_of_day.pending(session=supervisor):
            app.end_of_day.approve(session=supervisor, rid=row["rid"])
    finally:
        app.close()
    return base


def _copy_kiosk(source: Path, target: Path) -> None:
    """The kiosk folder and its database key, under a new path (the key is filed by database path)."""
    from client.core.store.keys import SERVICE, _file_backend, get_or_create_db_key

    key = get_or_create_db_key(db_path=source / "kiosk" / "client.db", keyring_file=source / "kr.cfg")
    shutil.copytree(source / "kiosk", target / "kiosk", symlinks=True)
    account = (
        "db-key:" + hashlib.sha256(str((target / "kiosk" / "client.db").resolve()).encode()).hexdigest()[:24]
    )
    _file_backend(target / "kr.cfg").set_password(SERVICE, account, key.hex())


@pytest.fixture
def kiosk(_kiosk_template, tmp_path):
    _copy_kiosk(_kiosk_template, tmp_path / "k")
    data, keyring = tmp_path / "k" / "kiosk", tmp_path / "k" / "kr.cfg"
    # the packet paths in the store are absolute: the copy's files stand where the template's stood
    app = build_client(settings(data, keyring))
    with app.store.transaction() as conn:
        conn.execute(
            text("UPDATE registrations SET packet_path = replace(packet_path, :old, :new)"),
            {"old": str(_kiosk_template / "kiosk"), "new": str(data)},
        )
    yield app, data, keyring
    app.close()


def supervisor(app):
    return app.authentication.login(user_id=SUPERVISOR[0], password=SUPERVISOR[1])


def approved(app) -> dict[str, dict]:
    with app.store.transaction() as conn:
        rows = conn.execute(text("SELECT rid, sha256, size, status, server_status, uin FROM registrations"))
        return {r.rid: dict(r._mapping) for r in rows}


def check_verified(app, folder: Path) -> ExportManifest:
    """The manifest holds under the machine key and every packet it lists is on the stick, whole."""
    document = read_document((folder / MANIFEST_NAME).read_bytes())
    manifest = verify_document(document, app.machine.identity().public_key, ExportManifest)
    for entry in manifest.packets:
        data = packet_file(folder, entry.rid).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry.sha256, entry.size)
    return manifest


def kiosk_options(data, keyring) -> list[str]:
    return ["--data", str(data), "--keyring-file", str(keyring)]


def export_cli(data, keyring, stick, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [*EXPORT, "--to", str(stick), "--supervisor", SUPERVISOR[0], *kiosk_options(data, keyring)],
        cwd=ROOT,
        env={**os.environ, "OPENREG_CLIENT_SUPERVISOR_PASSWORD": SUPERVISOR[1]},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def test_an_export_holds_what_is_not_acknowledged_and_nothing_changes_here(kiosk, tmp_path):
    app, _, _ = kiosk
    before = approved(app)
    with pytest.raises(Exception, match="supervisor"):
        MediaExporter(store=app.store, machine=app.machine).export(tmp_path, session=None)
    progress = []
    report = MediaExporter(store=app.store, machine=app.machine).export(
        tmp_path, session=supervisor(app), progress=progress.append
    )
    manifest = check_verified(app, report.folder)
    assert sorted(p.rid for p in manifest.packets) == sorted(before) and report.kept == []
    assert progress[-1].bytes_done == progress[-1].bytes_total == sum(r["size"] for r in before.values())
    assert approved(app) == before  # packets stay approved until the office answers
    # again: the packets already there are kept, not written again
    (report.folder / "packets" / "notes.txt").write_text("the field team's own file")
    again = MediaExporter(store=app.store, machine=app.machine).export(tmp_path, session=supervisor(app))
    assert sorted(again.kept) == sorted(before) and again.exported == []
    assert (report.folder / "packets" / "notes.txt").exists()


def test_sigkill_at_any_moment_leaves_a_verified_or_an_unfinished_export(kiosk, tmp_path):
    app, data, keyring = kiosk
    app.close()  # the children own the store now
    stick = tmp_path / "stick"
    stick.mkdir()
    rng = random.Random(int(os.environ.get("CRASH_SEED", "21")))
    folder = kiosk_folder(stick, "10042")
    outcomes = set()
    for _ in range(5):
        child = export_cli(data, keyring, stick)
        time.sleep(rng.uniform(0.3, 1.8))  # start-up, sign-in, then somewhere in the copy
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if (folder / MANIFEST_NAME).exists():
            outcomes.add("verified")
            reopened = build_client(settings(data, keyring))
            try:
                check_verified(reopened, folder)
            finally:
                reopened.close()
        else:
            outcomes.add("unfinished")
    done = export_cli(data, keyring, stick)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, out + err
    reopened = build_client(settings(data, keyring))
    try:
        assert len(check_verified(reopened, folder).packets) == 6
    finally:
        reopened.close()
    assert not [p for p in (folder / "packets").iterdir() if p.name.endswith(".part")]
    assert outcomes  # (which ones depends on timing; both are fine)


def test_a_stick_that_fills_up_leaves_an_unfinished_export_that_the_next_one_repairs(kiosk, tmp_path):
    app, data, keyring = kiosk
    sizes = sorted(r["size"] for r in approved(app).values())
    app.close()
    stick = tmp_path / "stick"
    stick.mkdir()
    limit = sizes[0] // 2  # no file may grow past this: the first packet write fails as on a full stick

    def small_stick() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    child = export_cli(data, keyring, stick, preexec_fn=small_stick)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 74 and "the stick is full" in err, out + err  # EX_IOERR
    folder = kiosk_folder(stick, "10042")
    assert not (folder / MANIFEST_NAME).exists()
    assert not [p for p in (folder / "packets").iterdir() if p.name.endswith(".part")]
    done = export_cli(data, keyring, stick)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, out + err
    assert "exported 6 packet(s)" in out


def test_a_stick_too_small_is_said_before_anything_changes(kiosk, tmp_path, monkeypatch):
    app, _, _ = kiosk
    exporter = MediaExporter(store=app.store, machine=app.machine)
    report = exporter.export(tmp_path, session=supervisor(app))
    before = (report.folder / MANIFEST_NAME).read_bytes()
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage._replace(free=1000))
    # the stale files count as room: make them not (another kiosk's bigger export, say)
    monkeypatch.setattr(MediaExporter, "_whole_on_stick", staticmethod(lambda folder, rows: set()))
    with pytest.raises(MediaProblem) as refused:
        exporter.export(tmp_path, session=supervisor(app))
    assert refused.value.code == "full" and refused.value.details["needed"] > refused.value.details["free"]
    assert (report.folder / MANIFEST_NAME).read_bytes() == before  # the previous export stands


def test_a_damaged_sealed_file_is_quarantined_not_exported(kiosk, tmp_path):
    app, _, _ = kiosk
    rows = approved(app)
    victim = sorted(rows)[0]
    with app.store.transaction() as conn:
        path = conn.execute(
            text("SELECT packet_path FROM registrations WHERE rid = :r"), {"r": victim}
        ).scalar()
    with open(path, "r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00" * 8)
    report = MediaExporter(store=app.store, machine=app.machine).export(tmp_path, session=supervisor(app))
    assert victim in report.quarantined and victim not in report.packets
    assert approved(app)[victim]["status"] == "quarantined"
    assert victim not in [p.rid for p in check_verified(app, report.folder).packets]


def test_the_answer_is_applied_once_and_an_older_one_never_moves_a_status_back(kiosk, tmp_path):
    app, _, _ = kiosk
    rids = sorted(approved(app))
    MediaExporter(store=app.store, machine=app.machine).export(tmp_path, session=supervisor(app))
    key = generate_private_key()
    with app.store.transaction() as conn:
        conn.execute(text("INSERT OR REPLACE INTO settings (key, value) VALUES ('masterdata.cursor', '5')"))
    page = ChangesPage(
        changes=[
            MasterDataChange(
                seq=6, entity="config", id="usb.k", op="upsert", data={"id": "usb.k", "value": 1}
            )
        ],
        next_cursor=6,
        complete=True,
    )
    bundle = {"since": 5, "pages": [sign_changes_page(key, page).model_dump(mode="json")]}
    old = datetime.now(UTC) - timedelta(hours=1)
    received = [PacketStatus(rid=r, status="received") for r in rids]
    processed = [PacketStatus(rid=rids[0], status="processed", uin="4825139076")]
    answer_kiosk(app, tmp_path, key, statuses=processed + received[1:], masterdata=bundle)
    report = import_ack(app, tmp_path)
    assert sorted(report.delivered) == rids and report.master_data.rows == 1
    assert app.master_data.config("usb.k") == 1
    state = approved(app)
    assert {state[r]["status"] for r in rids} == {"uploaded"} and state[rids[0]]["uin"] == "4825139076"
    assert import_ack(app, tmp_path).delivered == []  # the same answer again: nothing new
    assert approved(app) == state
    answer_kiosk(app, tmp_path, key, created_at=old, statuses=received, masterdata=bundle)
    assert import_ack(app, tmp_path).older
    assert approved(app)[rids[0]]["uin"] == "4825139076"  # an older word does not undo the UIN


def test_foreign_altered_and_unsigned_answers_are_refused(kiosk, tmp_path):
    app, _, _ = kiosk
    key = generate_private_key()
    folder = answer_kiosk(app, tmp_path, key, machine_id="10043")  # sealed to us, says another kiosk
    with pytest.raises(MediaProblem, match="for kiosk 10043") as refused:
        import_ack(app, tmp_path)
    assert refused.value.code == "foreign_ack"
    answer_kiosk(app, tmp_path, key)
    sealed = (folder / "ack.age").read_bytes()
    (folder / "ack.age").write_bytes(sealed[:-10] + bytes(b ^ 1 for b in sealed[-10:]))
    with pytest.raises(MediaProblem, match="altered") as refused:
        import_ack(app, tmp_path)
    assert refused.value.code == "bad_ack"
    answer_kiosk(app, tmp_path, key)
    from client.core.machine import write_setting
    from shared.signing import public_key_b64

    with app.store.transaction() as conn:  # the kiosk trusts another server key than the one that signed
        write_setting(conn, "server.signing_key", public_key_b64(generate_private_key()))
    with pytest.raises(MediaProblem, match="not signed by the server this kiosk is enrolled with"):
        import_ack(app, tmp_path)
    (folder / "ack.age").unlink()
    with pytest.raises(MediaProblem, match="no acknowledgement") as refused:
        import_ack(app, tmp_path)
    assert refused.value.code == "no_ack" and json.dumps(refused.value.details) == "{}"

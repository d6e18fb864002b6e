"""Back a running server up, restore into an empty data dir and database, start a server on the result:
kiosks see the same packet statuses, identities read back, keys and packet files are the same."""

from __future__ import annotations

import json

from tests.integration.backup.conftest import Source, db_args, openreg
from tests.integration.sync_server.kiosk import Kiosk


def _kiosk_of(source: Source, url: str) -> Kiosk:
    """The source's kiosk (same machine key and id) talking to the server at ``url``."""
    kiosk = Kiosk(url)
    kiosk.key, kiosk.machine_id, kiosk.enrolment = (
        source.kiosk.key,
        source.kiosk.machine_id,
        source.kiosk.enrolment,
    )
    kiosk.login()
    return kiosk


def test_round_trip_restores_a_working_server(source: Source, fresh_db_url, start_sync_server, tmp_path):
    manifest = json.loads((source.backup_dir / "manifest.json").read_text())
    assert manifest["database"]["kind"] == source.kind
    assert manifest["counts"]["packets_by_status"] == {"processed": 2, "processing": 1, "rejected": 1}
    assert manifest["counts"]["identities"] == 2
    packet_files = {f["path"] for f in manifest["files"] if f["path"].startswith("packets/")}
    assert packet_files == {f"packets/{rid}.age" for rid in source.statuses}
    keys = source.backup_dir / "keys.age"
    assert keys.read_bytes().startswith(b"age-encryption.org/v1")
    signing_key = (source.server.data_dir / "keys" / "signing-key.ed25519").read_bytes()
    for path in source.backup_dir.rglob("*"):  # no plain key anywhere in the backup
        assert not path.is_file() or signing_key not in path.read_bytes(), path

    target = tmp_path / "restored"
    done = openreg(
        "admin", "restore", "--data", target, *db_args(fresh_db_url), source.backup_dir,
        "--identity", source.identity_file,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    assert "restore complete: 2 processed, 1 processing, 1 rejected; 2 identity(ies) read back" in done.stdout

    assert (target / "keys" / "signing-key.ed25519").read_bytes() == signing_key
    for key in (source.server.data_dir / "keys").glob("data-key-*.bin"):  # the newest one stays current
        restored_key = target / "keys" / key.name
        assert restored_key.read_bytes() == key.read_bytes()
        assert restored_key.stat().st_mtime_ns == key.stat().st_mtime_ns
    for rid in source.statuses:
        assert (target / "packets" / f"{rid}.age").read_bytes() == (
            source.server.data_dir / "packets" / f"{rid}.age"
        ).read_bytes()
    restored = start_sync_server(target, db_url=fresh_db_url, workers=0)
    kiosk = _kiosk_of(source, restored.url)
    assert kiosk.status(*source.statuses) == source.statuses
    # Over a server that is not empty: refused, then done with --force (old keys moved aside).
    restored.stop()
    again = openreg(
        "admin", "restore", "--data", target, *db_args(fresh_db_url), source.backup_dir,
        "--identity", source.identity_file,
    )  # fmt: skip
    assert again.returncode == 1 and "is not empty" in again.stderr, again.stderr
    forced = openreg(
        "admin", "restore", "--data", target, *db_args(fresh_db_url), source.backup_dir,
        "--identity", source.identity_file, "--force",
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr + forced.stdout
    assert list((target / "keys").glob("replaced-*/signing-key.ed25519"))
    restored.start()
    assert _kiosk_of(source, restored.url).status(*source.statuses) == source.statuses
    db_url = fresh_db_url or f"sqlite:///{target / 'server.db'}"
    uins = [s["uin"] for s in source.statuses.values() if s.get("uin")]
    names = []
    for uin in uins:
        shown = openreg(
            "admin", "identity", "--db", db_url, "--data", target, "--uin", uin, "--purpose", "restore test"
        )
        assert shown.returncode == 0, shown.stderr
        identity = json.loads(shown.stdout)
        assert len(identity["blobs"]) == 4  # the document and three biometric records decrypt
        names.append(identity["demographics"]["fullName"])
    assert sorted(names) == ["Amina Diallo", "Bo Chan"]
    chain = openreg("admin", "audit", "verify", "--data", target, *db_args(fresh_db_url))
    assert chain.returncode == 0 and chain.stdout.startswith("OK"), chain.stdout + chain.stderr


def test_backup_refuses_a_folder_that_is_not_empty(source: Source, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "something").write_text("x")
    done = source.backup(tmp_path / "old")
    assert done.returncode == 1 and "is not empty" in done.stderr, done.stderr
    no_recipient = openreg("admin", "backup", "--data", source.server.data_dir, tmp_path / "new")
    assert no_recipient.returncode == 1 and "--recipient" in no_recipient.stderr, no_recipient.stderr
    assert not (tmp_path / "new").exists()

"""Backup and restore of a server whose packet blobs are in an S3 bucket (moto's server): the backup
downloads them (and says so), the restore puts them into the target's bucket, checked against the
manifest, and refuses a bucket that already holds packets unless --force."""

from __future__ import annotations

import hashlib
import json

from shared.packet.keys import generate_identity_file
from tests.integration.backup.conftest import openreg, settled
from tests.integration.sync_server.kiosk import Kiosk
from tests.support.packets import PERSON, seal_and_upload


def test_packets_in_a_bucket_are_backed_up_and_restored(start_sync_server, s3_server, tmp_path, monkeypatch):
    bucket = s3_server.bucket()
    env = s3_server.env(bucket)
    server = start_sync_server(tmp_path / "server", env=env, workers=1)
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    other = PERSON | {"fullName": "Bo Chan", "dateOfBirth": "1990-01-01"}
    rids = [seal_and_upload(kiosk, tmp_path), seal_and_upload(kiosk, tmp_path, person=other)]
    assert all(kiosk.wait_for(rid, settled, timeout=90)["status"] == "processed" for rid in rids)
    recipient = generate_identity_file(tmp_path / "admin-identity.txt")
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    done = openreg(
        "admin", "backup", "--data", server.data_dir, tmp_path / "backup", "--recipient", recipient
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert f"packet blobs are copied from s3://{bucket}/packets/" in done.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    held = {f["path"]: f["sha256"] for f in manifest["files"] if f["path"].startswith("packets/")}
    assert set(held) == {f"packets/{rid}.age" for rid in rids}
    server.stop()

    target_bucket = s3_server.bucket()
    monkeypatch.setenv("OPENREG_SERVER_BLOB_STORE", f"s3://{target_bucket}/restored")
    restore = ("admin", "restore", tmp_path / "backup", "--identity", tmp_path / "admin-identity.txt")
    done = openreg(*restore[:2], "--data", tmp_path / "restored", *restore[2:])
    assert done.returncode == 0, done.stderr + done.stdout
    assert "restore complete: 2 processed" in done.stdout
    client = s3_server.client()
    for rid in rids:
        body = client.get_object(Bucket=target_bucket, Key=f"restored/{rid}.age")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == held[f"packets/{rid}.age"]
    assert not list((tmp_path / "restored" / "packets").glob("*.age"))  # not on the disk

    refused = openreg(*restore[:2], "--data", tmp_path / "restored-again", *restore[2:])
    assert refused.returncode != 0 and "already holds packets" in refused.stderr + refused.stdout

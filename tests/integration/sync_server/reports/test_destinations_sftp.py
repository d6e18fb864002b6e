"""SFTP destinations against a real OpenSSH server: pinned host key, key auth from PEM text,
``mkdir -p``, ``.part`` then rename, and the receiver's acknowledgement files."""

import threading
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from sync_server.reports.artifacts import ReportTable, verify_artifact, write_artifacts
from sync_server.reports.delivery import DeliveryError, build_destination, load_private_key


def _files(tmp_path):
    table = ReportTable(["reason_code", "packets"], [["tampered", 2], ["duplicate", 1]])
    artifacts = write_artifacts(
        table=table,
        title="Rejections",
        facts=[],
        formats=["csv", "json"],
        out_dir=tmp_path / "out",
        stem="rej",
    )
    return [p for a in artifacts for p in (a.path, a.checksum_path)]


def _host_key(sshd) -> str:
    return " ".join(sshd.known_hosts.read_text().split()[1:3])  # "ssh-ed25519 AAAA..."


def _sftp(sshd, secret=None, **config):
    config = {
        "host": sshd.host,
        "port": sshd.port,
        "username": sshd.username,
        "remote_dir": str(sshd.root / "reports"),
        "host_key": _host_key(sshd),
        **config,
    }
    return build_destination(
        {"id": "partner", "kind": "sftp", "config": config}, secret or sshd.client_key.read_text()
    )


def test_upload_makes_nested_folders_renames_parts_and_carries_checksums(sshd, tmp_path):
    files = _files(tmp_path)
    target = sshd.root / "a" / "b" / "c"
    destination = _sftp(sshd, remote_dir=str(target))
    assert "does not exist yet" in destination.check()
    placed = destination.send(files)
    assert placed == [f"sftp://{sshd.username}@127.0.0.1:{sshd.port}/{target / f.name}" for f in files]
    for name in ("rej.csv", "rej.json"):
        assert verify_artifact(target / name) == verify_artifact(tmp_path / "out" / name)
    assert sorted(p.name for p in target.iterdir()) == sorted(f.name for f in files)  # no .part left
    assert destination.check().endswith(": 4 entries")
    destination.send(files)  # a re-run replaces the files
    assert len(list(target.iterdir())) == 4


def test_the_known_hosts_line_works_as_the_pinned_key(sshd, tmp_path):
    destination = _sftp(sshd, host_key=sshd.known_hosts.read_text().strip())
    assert len(destination.send(_files(tmp_path))) == 4


def test_a_server_with_another_host_key_is_refused(sshd, tmp_path):
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    pinned = other.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    destination = _sftp(sshd, host_key=pinned)
    with pytest.raises(DeliveryError, match="is not the pinned key .*refusing to connect"):
        destination.send(_files(tmp_path))
    assert not (sshd.root / "reports").exists()


@pytest.mark.parametrize("kind", ["ecdsa", "rsa"])
def test_ecdsa_and_rsa_private_keys_load_from_pem_text(sshd, tmp_path, kind):
    key = (
        ec.generate_private_key(ec.SECP256R1()) if kind == "ecdsa" else rsa.generate_private_key(65537, 2048)
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    with (sshd.client_key.parent / "authorized_keys").open("a") as authorized:
        authorized.write(public.decode() + "\n")
    assert len(_sftp(sshd, secret=pem).send(_files(tmp_path))) == 4


def test_a_bad_private_key_or_password_never_appears_in_the_error(sshd, tmp_path):
    with pytest.raises(DeliveryError, match="not an unencrypted Ed25519, ECDSA or RSA key") as bad_key:
        load_private_key("-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key-but-secret\n")
    assert "not-a-key-but-secret" not in str(bad_key.value)
    destination = _sftp(sshd, secret="hunter2-password", auth="password")  # sshd allows keys only
    with pytest.raises(DeliveryError) as refused:
        destination.send(_files(tmp_path))
    assert "authentication" in str(refused.value).lower()
    assert "hunter2" not in str(refused.value) and "hunter2" not in repr(destination)


def test_a_closed_port_fails_with_a_clear_message(sshd, tmp_path):
    destination = _sftp(sshd, port=1, timeout_s=2)
    with pytest.raises(DeliveryError, match=r"sftp://.*:1: cannot connect"):
        destination.check()


def test_upload_waits_for_the_receivers_acknowledgements(sshd, tmp_path):
    files = _files(tmp_path)
    target = sshd.root / "reports"

    def receiver() -> None:  # a partner system: acknowledges each artifact once it is complete
        deadline = time.monotonic() + 10
        pending = {"rej.csv", "rej.json"}
        while pending and time.monotonic() < deadline:
            for name in list(pending):
                if (target / name).exists():
                    (target / f"{name}.ack").write_text("received\n")
                    pending.discard(name)
            time.sleep(0.05)

    thread = threading.Thread(target=receiver)
    thread.start()
    try:
        placed = _sftp(sshd, ack_suffix=".ack", ack_timeout_s=10).send(files)
    finally:
        thread.join()
    assert len(placed) == 4 and (target / "rej.json.ack").exists()
    assert not (target / "rej.csv.sha256.ack").exists()  # checksum files are not acknowledged


def test_upload_fails_when_no_acknowledgement_comes_in_time(sshd, tmp_path):
    files = _files(tmp_path)
    (sshd.root / "reports").mkdir()
    (sshd.root / "reports" / "rej.csv.ack").write_text("")  # only one of the two artifacts
    started = time.monotonic()
    with pytest.raises(DeliveryError, match=r"no acknowledgement within 1s: rej\.json\.ack$"):
        _sftp(sshd, ack_suffix=".ack", ack_timeout_s=1).send(files)
    assert 1 <= time.monotonic() - started < 5

"""FTP and FTPS (explicit TLS) destinations against real pyftpdlib servers, passive and active."""

import threading
import time

import pytest

from sync_server.reports.artifacts import ReportTable, verify_artifact, write_artifacts
from sync_server.reports.delivery import DeliveryError, build_destination


def _files(tmp_path):
    table = ReportTable(["center", "packets"], [["10001", 12], ["10002", 7]])
    artifacts = write_artifacts(
        table=table, title="Daily", facts=[], formats=["csv", "json"], out_dir=tmp_path / "out", stem="daily"
    )
    return [p for a in artifacts for p in (a.path, a.checksum_path)]


def _destination(server, kind, password=None, **config):
    config = {"host": server.host, "port": server.port, "username": server.username, **config}
    if kind == "ftps" and "ca_pem" not in config:
        config["ca_pem"] = server.ca_pem
    row = {"id": "partner", "kind": kind, "config": {k: v for k, v in config.items() if v is not None}}
    return build_destination(row, password or server.password)


@pytest.fixture(params=["ftp", "ftps"])
def server(request):
    return request.param, request.getfixturevalue(f"{request.param}_server")


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_upload_makes_nested_folders_renames_parts_and_carries_checksums(server, passive, tmp_path):
    kind, ftp = server
    files = _files(tmp_path)
    destination = _destination(ftp, kind, remote_dir="in/daily", passive=passive)
    assert "does not exist yet" in destination.check()
    placed = destination.send(files)
    assert placed == [f"{kind}://reports@127.0.0.1:{ftp.port}/in/daily/{f.name}" for f in files]
    target = ftp.root / "in" / "daily"
    for name in ("daily.csv", "daily.json"):
        assert verify_artifact(target / name) == verify_artifact(tmp_path / "out" / name)
    assert sorted(p.name for p in target.iterdir()) == sorted(f.name for f in files)  # no .part left
    assert destination.check().endswith("/in/daily: 4 entries")
    destination.send(files)  # a re-run replaces the files
    assert len(list(target.iterdir())) == 4


def test_an_absolute_remote_dir_starts_at_the_users_root(ftp_server, tmp_path):
    _destination(ftp_server, "ftp", remote_dir="/drop").send(_files(tmp_path))
    assert (ftp_server.root / "drop" / "daily.csv").exists()


def test_a_wrong_password_fails_and_never_appears_in_the_error(server, tmp_path):
    kind, ftp = server
    destination = _destination(ftp, kind, password="Wrong-Pa55word")
    with pytest.raises(DeliveryError, match=rf"^{kind}://reports@127.0.0.1:\d+: 530") as failed:
        destination.send(_files(tmp_path))
    assert "Wrong-Pa55word" not in str(failed.value) and "Wrong-Pa55word" not in repr(destination)


def test_ftps_refuses_a_certificate_it_does_not_trust(ftps_server, tmp_path):
    system_trust = _destination(ftps_server, "ftps", ca_pem=None)  # the self-signed cert is unknown
    with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
        system_trust.send(_files(tmp_path))
    assert not list(ftps_server.root.iterdir())


def test_ftp_cannot_log_in_where_tls_is_required(ftps_server, tmp_path):
    with pytest.raises(DeliveryError, match="^ftp://"):
        _destination(ftps_server, "ftp").send(_files(tmp_path))


def test_upload_waits_for_the_receivers_acknowledgements(server, tmp_path):
    kind, ftp = server
    target = ftp.root / "in"

    def receiver() -> None:
        deadline = time.monotonic() + 10
        pending = {"daily.csv", "daily.json"}
        while pending and time.monotonic() < deadline:
            for name in list(pending):
                if (target / name).exists():
                    (target / f"{name}.ok").write_text("")
                    pending.discard(name)
            time.sleep(0.05)

    thread = threading.Thread(target=receiver)
    thread.start()
    try:
        placed = _destination(ftp, kind, remote_dir="in", ack_suffix=".ok", ack_timeout_s=10).send(
            _files(tmp_path)
        )
    finally:
        thread.join()
    assert len(placed) == 4 and (target / "daily.csv.ok").exists()


def test_upload_fails_when_no_acknowledgement_comes_in_time(ftp_server, tmp_path):
    destination = _destination(ftp_server, "ftp", remote_dir="in", ack_suffix=".ok", ack_timeout_s=1)
    with pytest.raises(DeliveryError, match=r"no acknowledgement within 1s: daily\.csv\.ok, daily\.json\.ok"):
        destination.send(_files(tmp_path))
    assert (ftp_server.root / "in" / "daily.csv").exists()  # the files are there, unconfirmed

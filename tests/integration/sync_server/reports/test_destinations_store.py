"""The destination store on a real SQLite DB (secrets encrypted, changes audited), folder delivery and
retries with every attempt reported."""

import json

import pytest
from sqlalchemy import create_engine, insert, select

from sync_server.db.backend_schema import create_backend_tables
from sync_server.db.tables import AuditEntryRow
from sync_server.idstore.data_key import DataKeyring
from sync_server.reports.delivery import DeliveryError, FolderConfig, FolderDestination, deliver
from sync_server.reports.destinations import (
    DestinationError,
    DestinationInUse,
    ReportDestinations,
    UnknownDestination,
)
from sync_server.reports.secrets import ReportSecrets
from sync_server.reports.tables import report_definitions, report_secrets

audit = AuditEntryRow.__table__


@pytest.fixture
def store(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    create_backend_tables(engine)
    return ReportDestinations(engine, ReportSecrets(engine, DataKeyring(tmp_path / "data")))


def _ftp_config(server, **extra):
    return {
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "remote_dir": "in",
        **extra,
    }


def _files(tmp_path):
    (tmp_path / "out").mkdir(exist_ok=True)
    report = tmp_path / "out" / "r.csv"
    report.write_text("a,b\n1,2\n")
    (tmp_path / "out" / "r.csv.sha256").write_text("x  r.csv\n")
    return [report, tmp_path / "out" / "r.csv.sha256"]


def test_the_secret_is_encrypted_and_never_listed(store, ftp_server, tmp_path):
    saved = store.save(
        "partner",
        title="Partner",
        kind="ftp",
        config=_ftp_config(ftp_server),
        secret=ftp_server.password,
        actor="a1",
    )
    assert saved["has_secret"] and saved["secret_label"] == "password"
    assert saved["config"]["passive"] is True and saved["updated_by"] == "a1"  # defaults are stored
    with store.engine.connect() as conn:
        name, ciphertext = conn.execute(select(report_secrets.c.name, report_secrets.c.ciphertext)).one()
    assert name == "destination:partner" and ftp_server.password.encode() not in ciphertext
    listed = store.list()
    assert [d["id"] for d in listed] == ["partner"]
    assert ftp_server.password not in json.dumps(listed, default=str)
    assert ftp_server.password not in json.dumps(store.get("partner"), default=str)
    assert store.destination("partner").send(_files(tmp_path))[0].endswith("/in/r.csv")
    assert store.test("partner") == f"ok: ftp://reports@127.0.0.1:{ftp_server.port}/in: 2 entries"


def test_an_update_without_a_secret_keeps_the_stored_one(store, ftp_server, tmp_path):
    store.save(
        "p", title="P", kind="ftp", config=_ftp_config(ftp_server), secret=ftp_server.password, actor="a1"
    )
    store.save("p", title="P2", kind="ftp", config=_ftp_config(ftp_server, remote_dir="out"), actor="a2")
    assert store.get("p")["title"] == "P2"
    store.destination("p").send(_files(tmp_path))
    assert (ftp_server.root / "out" / "r.csv").exists()
    store.save("p", title="P", kind="ftp", config=_ftp_config(ftp_server), secret="wrong-one", actor="a1")
    assert store.test("p").startswith(f"failed: ftp://reports@127.0.0.1:{ftp_server.port}: 530")


def test_changes_are_audited_without_the_secret(store):
    store.save("box", title="Box", kind="folder", config={"folder": "/srv/reports"}, actor="admin1")
    store.delete("box", actor="admin2")
    with store.engine.connect() as conn:
        rows = conn.execute(select(audit.c.actor, audit.c.action, audit.c.target).order_by(audit.c.seq)).all()
    assert [tuple(r) for r in rows] == [
        ("admin1", "reports.destination.save", "box"),
        ("admin2", "reports.destination.delete", "box"),
    ]


def test_configs_are_validated_by_kind(store):
    def refused(kind, config, secret=None):
        with pytest.raises(DestinationError) as exc:
            store.save("d", title="D", kind=kind, config=config, secret=secret, actor="a")
        return str(exc.value)

    assert "folder must be an absolute path" in refused("folder", {"folder": "relative/dir"})
    assert "unknown destination kind 'smb'" in refused("smb", {})
    assert "extra_field: Extra inputs are not permitted" in refused(
        "folder", {"folder": "/x", "extra_field": 1}
    )
    ftp = {"host": "ftp.example.org", "username": "u"}
    assert "port: Input should be less than or equal to 65535" in refused("ftp", ftp | {"port": 70000}, "pw")
    assert "ca_pem applies to ftps only" in refused("ftp", ftp | {"ca_pem": "x"}, "pw")
    assert "ca_pem is not a PEM certificate" in refused("ftps", ftp | {"ca_pem": "junk"}, "pw")
    assert "a ftp destination needs its password" in refused("ftp", ftp)
    assert "takes no secret" in refused("folder", {"folder": "/x"}, "pw")
    sftp = ftp | {"host_key": "ssh-ed25519 not-base64!!"}
    assert "host_key is not a valid ssh-ed25519 public key" in refused("sftp", sftp, "k")
    assert "host_key must be the server's public key line" in refused(
        "sftp", ftp | {"host_key": "x" * 20}, "k"
    )
    with pytest.raises(DestinationError, match="a destination id is 1-64"):
        store.save("bad id", title="t", kind="folder", config={"folder": "/x"}, actor="a")
    assert store.list() == []


def test_switching_between_password_and_key_needs_the_new_secret(store, sshd):
    host_key = " ".join(sshd.known_hosts.read_text().split()[1:3])
    config = {"host": sshd.host, "port": sshd.port, "username": sshd.username, "host_key": host_key}
    with pytest.raises(DestinationError, match="not an unencrypted Ed25519, ECDSA or RSA key"):
        store.save("s", title="S", kind="sftp", config=config, secret="not a key", actor="a")
    store.save("s", title="S", kind="sftp", config=config, secret=sshd.client_key.read_text(), actor="a")
    assert store.get("s")["secret_label"] == "private key"
    assert store.test("s").startswith("ok: sftp://")
    with pytest.raises(DestinationError, match="a sftp destination needs its password"):
        store.save("s", title="S", kind="sftp", config=config | {"auth": "password"}, actor="a")
    store.save("s", title="S", kind="folder", config={"folder": "/srv/x"}, actor="a")  # drops the secret
    assert not store.get("s")["has_secret"]
    with store.engine.connect() as conn:
        assert conn.execute(select(report_secrets.c.name)).all() == []


def test_delete_refuses_a_destination_that_reports_route_to(store):
    store.save("box", title="Box", kind="folder", config={"folder": "/srv/reports"}, actor="a")
    spec = {"title": "T", "source": {"kind": "builtin", "function": "f"}, "routes": [{"destination": "box"}]}
    with store.engine.begin() as conn:
        conn.execute(
            insert(report_definitions).values(id="daily", title="T", owner="a", version=1, spec=spec)
        )
    with pytest.raises(DestinationInUse, match="used by report.s. daily"):
        store.delete("box", actor="a")
    with pytest.raises(UnknownDestination, match="no report destination 'nope'"):
        store.delete("nope", actor="a")
    with pytest.raises(UnknownDestination):
        store.destination("nope")


def test_folder_destination_copies_through_part_files(store, tmp_path):
    target = tmp_path / "outbox" / "nested"
    store.save("box", title="Box", kind="folder", config={"folder": str(target)}, actor="a")
    assert "does not exist yet" in store.test("box")
    files = _files(tmp_path)
    assert store.destination("box").send(files) == [str(target / "r.csv"), str(target / "r.csv.sha256")]
    assert sorted(p.name for p in target.iterdir()) == ["r.csv", "r.csv.sha256"]
    assert store.test("box") == f"ok: {target}: 2 entries"


def test_deliver_retries_and_reports_every_attempt(tmp_path):
    blocked = tmp_path / "outbox"
    blocked.write_text("a file where the folder should be")
    attempts = []

    def on_attempt(number, outcome, detail, placed):
        attempts.append((number, outcome, detail, placed))
        if outcome == "failed":
            blocked.unlink()  # the operator clears the way after the first failure

    destination = FolderDestination("box", FolderConfig(folder=str(blocked)))
    placed = deliver(destination, _files(tmp_path), attempts=3, on_attempt=on_attempt, backoff_s=0.01)
    assert placed == [str(blocked / "r.csv"), str(blocked / "r.csv.sha256")]
    assert [(n, outcome) for n, outcome, _, _ in attempts] == [(1, "failed"), (2, "delivered")]
    assert attempts[0][2].startswith(f"folder {blocked}: ") and attempts[0][3] == []
    assert attempts[1][2] == "2 files to box" and attempts[1][3] == placed


def test_deliver_gives_up_with_the_last_error(tmp_path):
    attempts = []

    class Down:
        id = "down"

        def send(self, files):
            raise DeliveryError(f"down for attempt {len(attempts) + 1}")

        def check(self):
            return "never"

    with pytest.raises(DeliveryError, match="down for attempt 3"):
        deliver(Down(), [], attempts=3, on_attempt=lambda *a: attempts.append(a), backoff_s=0.01)
    assert [a[:3] for a in attempts] == [(i, "failed", f"down for attempt {i}") for i in (1, 2, 3)]

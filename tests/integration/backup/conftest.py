"""A running demo server (SQLite, then PostgreSQL) with processed packets and a backup of it, shared by
the tests of this folder: UINs issued, one packet rejected, one held for an adjudicator."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from shared.packet.keys import generate_identity_file
from tests.integration.sync_server.kiosk import Kiosk, final
from tests.support.packets import PERSON, seal_and_upload
from tests.support.server import RunningServer


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def openreg(*args: str | Path) -> Ran:
    """Run ``openreg admin ...`` in this process (the real command; no second import of the server)."""
    from sync_server.cli import admin

    assert args[0] == "admin"
    result = CliRunner().invoke(admin, [str(a) for a in args[1:]], catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


def openreg_process(*args: str | Path, timeout: float = 120) -> Ran:
    """Run the ``openreg`` command line in its own process, as an operator would."""
    done = subprocess.run(
        [sys.executable, "-m", "shared", *map(str, args)], capture_output=True, text=True, timeout=timeout
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def db_args(db_url: str | None) -> list[str]:
    return ["--db", db_url] if db_url else []


@dataclass
class Source:
    """The backed-up server: its kiosk, packets (RID -> status as the kiosk saw it) and backup."""

    kind: str
    server: RunningServer
    db_url: str | None
    kiosk: Kiosk
    statuses: dict[str, dict]
    identity_file: Path
    recipient: str
    backup_dir: Path

    def backup(self, directory: Path, *extra: str, process: bool = False) -> Ran:
        return (openreg_process if process else openreg)(
            "admin", "backup", "--data", self.server.data_dir, *db_args(self.db_url), directory,
            "--recipient", self.recipient, *extra,
        )  # fmt: skip


def settled(state: dict) -> bool:
    return final(state) or state.get("reason_code") == "adjudication"


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    kind = request.param
    db_url = None if kind == "sqlite" else request.getfixturevalue("postgres_cluster").create_database()
    root = tmp_path_factory.mktemp(f"backup-{kind}")
    server = RunningServer(root / "server", db_url=db_url, demo=True, env=None, workers=1)
    try:
        kiosk = Kiosk(server.url)
        kiosk.enrol()
        kiosk.login()
        rids = [
            seal_and_upload(kiosk, root),
            seal_and_upload(
                kiosk, root, person=PERSON | {"fullName": "Bo Chan", "dateOfBirth": "1990-01-01"}
            ),
            seal_and_upload(kiosk, root, person=PERSON | {"fullName": "Cy Diaz"}, documents=False),
            seal_and_upload(kiosk, root, person=PERSON | {"fullName": "amina  DIALLO"}),
        ]
        statuses = {rid: kiosk.wait_for(rid, settled) for rid in rids}
        assert [s["status"] for s in statuses.values()] == [
            "processed",
            "processed",
            "rejected",
            "processing",
        ]
        identity_file = root / "admin-identity.txt"
        recipient = generate_identity_file(identity_file)
        source = Source(kind, server, db_url, kiosk, statuses, identity_file, recipient, root / "backup")
        done = source.backup(source.backup_dir)  # while the server runs: an online backup
        assert done.returncode == 0, done.stderr + done.stdout
        yield source
    finally:
        server.kill()


@pytest.fixture
def fresh_db_url(source: Source, request: pytest.FixtureRequest) -> str | None:
    """An empty database of the source's kind (None: SQLite under the data dir)."""
    if source.kind == "sqlite":
        return None
    return request.getfixturevalue("postgres_cluster").create_database()

"""``openreg admin db upgrade|current|history`` and concurrent upgrades of one fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from sync_server.cli import admin
from sync_server.db.migrate import head_revision

# `openreg admin db upgrade` whose upgrade waits at a file rendezvous until every party has arrived
# (one file per process in $RENDEZVOUS, $PARTIES of them), so all of them read the revision and upgrade
# at the same moment instead of one finishing before the next has imported its modules.
ADMIN_AT_ONCE = """
import os, time
from pathlib import Path
import sync_server.db_cli as db_cli
upgrade = db_cli.upgrade_to_head
def upgrade_at_once(*args, **kwargs):
    here, parties = Path(os.environ["RENDEZVOUS"]), int(os.environ["PARTIES"])
    (here / str(os.getpid())).touch()
    deadline = time.monotonic() + 120
    while len(list(here.iterdir())) < parties:
        if time.monotonic() > deadline:
            raise SystemExit("rendezvous: not every upgrade arrived")
        time.sleep(0.001)
    return upgrade(*args, **kwargs)
db_cli.upgrade_to_head = upgrade_at_once
from sync_server.cli import admin
admin()
"""


def test_db_commands_upgrade_and_report_the_revision(tmp_path):
    runner = CliRunner()
    data = str(tmp_path / "server")
    assert runner.invoke(admin, ["db", "current", "--data", data]).exit_code == 1  # no such server

    first = runner.invoke(admin, ["db", "upgrade", "--data", data])
    assert first.exit_code == 0, first.output
    assert f"schema upgraded from empty to {head_revision()}" in first.output
    again = runner.invoke(admin, ["db", "upgrade", "--data", data])
    assert f"schema at {head_revision()} (already)" in again.output

    current = runner.invoke(admin, ["db", "current", "--data", data])
    assert current.exit_code == 0 and current.output.strip() == f"{head_revision()} (head)"
    lines = runner.invoke(admin, ["db", "history", "--data", data]).output.splitlines()
    assert lines[0].split()[0] == "0001_initial"
    assert [line.split()[1] for line in lines if line.startswith("*")] == [head_revision()]


def test_current_on_an_older_schema_exits_1(tmp_path):
    data = tmp_path / "server"
    data.mkdir()
    engine = create_engine(f"sqlite:///{data / 'server.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0001_initial')"))
    engine.dispose()
    result = CliRunner().invoke(admin, ["db", "current", "--data", str(data)])
    assert result.exit_code == 1 and "openreg admin db upgrade" in result.output


def _upgrade_at_once(
    data_dirs: list[Path], url: str, rendezvous: Path
) -> list[subprocess.CompletedProcess[str]]:
    rendezvous.mkdir()
    env = {**os.environ, "RENDEZVOUS": str(rendezvous), "PARTIES": str(len(data_dirs))}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", ADMIN_AT_ONCE, "db", "upgrade", "--data", str(data), "--db", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=os.getcwd(),
            env=env,
        )
        for data in data_dirs
    ]
    results = []
    for process in processes:
        out, _ = process.communicate(timeout=240)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, None))
    return results


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_servers_upgrading_one_fresh_database_at_once_all_succeed_and_migrate_once(
    backend, tmp_path, request
):
    # PostgreSQL: pg_advisory_lock serialises them; SQLite: a flock on <db>.upgrade-lock. All four meet at
    # a rendezvous first, so they really overlap (without the lock two or more report "from empty").
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    results = _upgrade_at_once([tmp_path / f"server{i}" for i in range(4)], url, tmp_path / "rendezvous")
    assert len(list((tmp_path / "rendezvous").iterdir())) == 4  # every upgrade went through the rendezvous

    assert all(r.returncode == 0 for r in results), [r.stdout for r in results]
    outputs = [r.stdout for r in results]
    assert sum("upgraded from empty" in out for out in outputs) == 1, outputs
    assert sum("(already)" in out for out in outputs) == 3, outputs
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            head_revision()
        ]
    engine.dispose()

"""``openreg admin reports connectors``: set from a file or a hidden prompt, list without passwords, test,
delete; bad options and unknown ids end with one clear message."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine

from sync_server.db.backend_schema import create_backend_tables
from sync_server.reports_cli.connectors import connectors

PASSWORD = "pw-123456"


@pytest.fixture
def cli(tmp_path):
    db_url = f"sqlite:///{tmp_path / 's.db'}"
    engine = create_engine(db_url)
    create_backend_tables(engine)
    engine.dispose()
    with sqlite3.connect(tmp_path / "data.db") as data:
        data.execute("CREATE TABLE t (x integer)")
    common = ["--db", db_url, "--data", str(tmp_path / "data")]

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(connectors, [args[0], *common, *args[1:]], input=input)

    return run, tmp_path


def test_set_list_test_delete(cli):
    run, tmp_path = cli
    url_file = tmp_path / "url"
    url_file.write_text(f"sqlite:///{tmp_path / 'data.db'}\n")
    done = run("set", "data", "--title", "Data", "--url-file", str(url_file), "--option", "timeout_s=5")
    assert done.exit_code == 0, done.output
    assert run("set", "data", "--option", "max_rows=10").exit_code == 0  # merged: timeout_s stays 5
    listed = run("list")
    assert listed.exit_code == 0 and "server" in listed.output and "sqlite (pysqlite)" in listed.output
    tested = run("test", "data")
    assert tested.exit_code == 0 and tested.output.startswith("connected: sqlite (pysqlite)")
    assert run("delete", "data").exit_code == 0
    missing = run("test", "data")
    assert missing.exit_code == 1 and "no connector 'data'" in missing.output


def test_url_prompt_hides_the_password(cli):
    run, _ = cli
    url = f"postgresql+psycopg://rep:{PASSWORD}@127.0.0.1:1/reg"
    done = run("set", "pg", "--title", "PG", "--url-prompt", input=url + "\n")
    assert done.exit_code == 0, done.output
    assert PASSWORD not in done.output
    listed = run("list")
    assert "postgresql+psycopg://rep:***@127.0.0.1:1/reg" in listed.output and PASSWORD not in listed.output
    failed = run("test", "pg")
    assert (
        failed.exit_code == 1 and "failed: connector 'pg'" in failed.output and PASSWORD not in failed.output
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("set", "x", "--title", "X", "--option", "nope=1"), "KEY one of pool_size"),
        (("set", "x", "--title", "X", "--option", "timeout_s"), "expected KEY=VALUE"),
        (("set", "x", "--title", "X"), "needs a title and a URL"),
        (("set", "server", "--title", "X", "--url-prompt"), "cannot be changed"),
        (("delete", "nope"), "no connector 'nope'"),
    ],
)
def test_refusals(cli, args, needle):
    run, _ = cli
    result = run(*args, input="sqlite:////tmp/x.db\n")
    assert result.exit_code != 0 and needle in result.output


def test_invalid_option_value(cli):
    run, tmp_path = cli
    url_file = tmp_path / "url"
    url_file.write_text(f"sqlite:///{tmp_path / 'data.db'}")
    result = run("set", "x", "--title", "X", "--url-file", str(url_file), "--option", "pool_size=0")
    assert result.exit_code == 1 and "invalid options" in result.output and "pool_size" in result.output

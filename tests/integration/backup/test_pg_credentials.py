"""pg_dump/pg_restore get the database password through a private temporary passfile, never on the
command line or in PGPASSWORD; the conninfo they are given carries no password."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sync_server.backup.postgres import client_env, connection

URL = "postgresql+psycopg://reg:p%40ss%3Aw%5Cord@db.example:5433/openreg?sslmode=require&pool_size=5"


def test_conninfo_has_no_password_and_keeps_libpq_options():
    conninfo, password = connection(URL)
    assert password == "p@ss:w\\ord"
    assert "p@ss" not in conninfo and "password" not in conninfo
    for part in ("host=db.example", "port=5433", "user=reg", "dbname=openreg", "sslmode=require"):
        assert part in conninfo
    assert "pool_size" not in conninfo  # SQLAlchemy's own options stay out


def test_the_password_travels_in_a_private_passfile_that_goes_afterwards(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "from-the-environment")
    with client_env("p@ss:w\\ord") as env:
        passfile = Path(env["PGPASSFILE"])
        assert "PGPASSWORD" not in env
        assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
        assert stat.S_IMODE(passfile.parent.stat().st_mode) == 0o700
        assert passfile.read_text() == "*:*:*:*:p@ss\\:w\\\\ord\n"  # libpq's escapes for : and \
    assert not passfile.exists() and not passfile.parent.exists()
    with client_env(None) as env:
        assert "PGPASSFILE" not in env and "PGPASSWORD" not in env
    assert os.environ["PGPASSWORD"] == "from-the-environment"

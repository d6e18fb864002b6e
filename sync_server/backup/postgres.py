"""``pg_dump`` and ``pg_restore`` (Debian's postgresql-client) run as subprocesses.

The connection comes from the server's SQLAlchemy URL. Its password never appears on a command line
(where ``ps`` would show it): it goes into a temporary passfile (0600, deleted afterwards) named by
``PGPASSFILE``. Progress is read from the tools' ``--verbose`` lines, one per table.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from sync_server.backup.manifest import BackupError

# URL query parameters passed on to libpq (the rest are SQLAlchemy's or the driver's own).
LIBPQ_QUERY_KEYS = frozenset(
    {
        "host",
        "hostaddr",
        "port",
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslcrl",
        "sslcompression",
        "connect_timeout",
        "application_name",
        "options",
        "target_session_attrs",
        "gssencmode",
        "channel_binding",
        "service",
    }
)
DUMP_LINE = "dumping contents of table"
RESTORE_LINE = "processing data for table"


def connection(url: str) -> tuple[str, str | None]:
    """(libpq conninfo without the password, the password) of a SQLAlchemy PostgreSQL URL."""
    parsed = make_url(url)
    params: dict[str, str] = {}
    for key, value in (
        ("host", parsed.host),
        ("port", str(parsed.port) if parsed.port else None),
        ("user", parsed.username),
        ("dbname", parsed.database),
    ):
        if value:
            params[key] = value
    for key, value in parsed.query.items():
        if key in LIBPQ_QUERY_KEYS and isinstance(value, str):
            params[key] = value
    return make_conninfo(**params), parsed.password


def _passfile_line(password: str) -> str:
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:*:*:{escaped}\n"


@contextlib.contextmanager
def client_env(password: str | None) -> Iterator[dict[str, str]]:
    """The environment for a libpq tool: ``PGPASSFILE`` naming a private temporary passfile that
    holds ``password`` (removed on exit); no ``PGPASSWORD`` is ever set."""
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    if password is None:
        yield env
        return
    folder = Path(tempfile.mkdtemp(prefix="openreg-pgpass-"))  # 0700
    passfile = folder / "pgpass"
    try:
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_passfile_line(password))
        yield env | {"PGPASSFILE": str(passfile)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def tool(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore``; BackupError when the client is not installed."""
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed: install Debian's postgresql-client (apt-get install postgresql-client)"
        )
    return found


def run_tool(args: list[str], *, env: dict[str, str], marker: str, advance: Callable[[int], None]) -> None:
    """Run a libpq tool with ``--verbose``; ``advance(1)`` for each line holding ``marker``; on failure
    BackupError with the tool's first error line."""
    name = Path(args[0]).name
    errors: list[str] = []
    with subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if marker in line:
                advance(1)
            elif "error:" in line or "FATAL:" in line:
                errors.append(line.strip())
        code = process.wait()
    if code != 0:
        raise BackupError(f"{name} failed (exit {code}): {errors[0] if errors else 'no error message'}")


def dump(url: str, target: Path, *, snapshot: str | None, advance: Callable[[int], None]) -> None:
    """``pg_dump --format=custom`` of the database at ``url`` into ``target`` (at ``snapshot`` if given:
    the exported snapshot of a transaction the caller holds open)."""
    conninfo, password = connection(url)
    args = [tool("pg_dump"), "--format=custom", "--verbose", "--no-password", f"--file={target}"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    with client_env(password) as env:
        run_tool([*args, f"--dbname={conninfo}"], env=env, marker=DUMP_LINE, advance=advance)


def table_data_entries(dump_file: Path) -> int:
    """How many tables' data a custom-format dump holds (``pg_restore --list``), for the progress bar."""
    listing = subprocess.run(
        [tool("pg_restore"), "--list", str(dump_file)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"pg_restore cannot read {dump_file.name}: {listing.stderr.strip()[:300]}")
    return sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)


def restore(url: str, dump_file: Path, *, clean: bool, advance: Callable[[int], None]) -> None:
    """``pg_restore`` ``dump_file`` into the database at ``url`` in one transaction (all or nothing),
    objects owned by the restoring role; ``clean`` drops the dump's objects first (``--force``)."""
    conninfo, password = connection(url)
    args = [
        tool("pg_restore"),
        "--verbose",
        "--no-password",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    ]
    if clean:
        args += ["--clean", "--if-exists"]
    with client_env(password) as env:
        run_tool(
            [*args, f"--dbname={conninfo}", str(dump_file)], env=env, marker=RESTORE_LINE, advance=advance
        )

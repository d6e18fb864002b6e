"""Restore refuses, before changing anything, a damaged backup (naming the file), a backup without its
manifest (killed mid-way), and a restore without the admin's identity or with the wrong one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from shared.packet.keys import generate_identity_file
from tests.integration.backup.conftest import Source, db_args, openreg


def _tables(db_url: str | None) -> int:
    """Tables in a PostgreSQL database (0 for SQLite, whose file lives in the data dir)."""
    if db_url is None:
        return 0
    engine = create_engine(db_url)
    with engine.connect() as conn:
        count = conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"))
    engine.dispose()
    return int(count or 0)


def _restore(source: Source, backup: Path, target: Path, db_url: str | None, *extra: str | Path):
    return openreg("admin", "restore", "--data", target, *db_args(db_url), backup, *extra)


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("victim", ["packet", "database", "keys"])
def test_a_damaged_file_is_named_and_nothing_changes(source: Source, fresh_db_url, tmp_path, victim):
    backup = tmp_path / "backup"
    shutil.copytree(source.backup_dir, backup)
    name = {
        "packet": f"packets/{next(iter(source.statuses))}.age",
        "database": next(p.relative_to(backup).as_posix() for p in (backup / "database").iterdir()),
        "keys": "keys.age",
    }[victim]
    _damage(backup / name)
    target = tmp_path / "target"
    done = _restore(source, backup, target, fresh_db_url, "--identity", source.identity_file)
    assert done.returncode == 1, done.stdout
    assert f"{name} does not match its checksum" in done.stderr and "nothing changed" in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr  # one line, no traceback
    assert not target.exists() and _tables(fresh_db_url) == 0


def test_restore_needs_the_admins_identity(source: Source, fresh_db_url, tmp_path):
    target = tmp_path / "target"
    missing = _restore(source, source.backup_dir, target, fresh_db_url)
    assert missing.returncode == 2 and "give --identity FILE" in missing.stderr, missing.stderr
    stranger = tmp_path / "someone-else.txt"
    generate_identity_file(stranger)
    wrong = _restore(source, source.backup_dir, target, fresh_db_url, "--identity", stranger)
    assert wrong.returncode == 1, wrong.stdout
    assert "does not open keys.age" in wrong.stderr and source.recipient in wrong.stderr, wrong.stderr
    assert not target.exists() and _tables(fresh_db_url) == 0


@pytest.mark.parametrize("point", ["packets", "manifest"])
def test_a_killed_backup_has_no_manifest_and_is_refused(source: Source, fresh_db_url, tmp_path, point):
    backup = tmp_path / "backup"
    killed = source.backup(backup, "--test-crash-at", point, process=True)
    assert killed.returncode == -9, killed.stderr
    assert any(backup.iterdir()) and not (backup / "manifest.json").exists()
    target = tmp_path / "target"
    done = _restore(source, backup, target, fresh_db_url, "--identity", source.identity_file)
    assert done.returncode == 1 and "incomplete backup" in done.stderr, done.stderr
    assert not target.exists() and _tables(fresh_db_url) == 0

"""Versioned client-DB schema. Each entry moves the DB from version N-1 to N; ``PRAGMA user_version``
records where a file stands. Old kiosks' DB files are upgraded on open; never edit a released step,
append a new one (tests/unit/client/fixtures/client_v1.db is a file made by version 1)."""

from __future__ import annotations

from sqlalchemy import Connection, text

MIGRATIONS: list[list[str]] = [
    # 1: first release
    [
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE master_data (entity TEXT NOT NULL, id TEXT NOT NULL, center_id TEXT, data TEXT NOT NULL,"
        " PRIMARY KEY (entity, id)) WITHOUT ROWID",
        "CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT, action TEXT NOT NULL,"
        " details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
        "CREATE TABLE registrations (rid TEXT PRIMARY KEY, status TEXT NOT NULL, operator_id TEXT NOT NULL,"
        " created_at TEXT NOT NULL, packet_path TEXT, sha256 TEXT, size INTEGER, supervisor_id TEXT,"
        " review_reason TEXT, reviewed_at TEXT, server_status TEXT, uin TEXT, server_reason TEXT)",
        "CREATE INDEX registrations_status ON registrations (status)",
        "CREATE TABLE login_state (user_id TEXT PRIMARY KEY, failures INTEGER NOT NULL DEFAULT 0,"
        " locked_until TEXT)",
    ],
    # 2: pre-registration cache, upload bookkeeping, purge after retention
    [
        "CREATE TABLE preregistrations (prid TEXT PRIMARY KEY, data TEXT NOT NULL, fetched_at TEXT NOT NULL)",
        "ALTER TABLE registrations ADD COLUMN uploaded_at TEXT",
        "ALTER TABLE registrations ADD COLUMN processed_at TEXT",
        "ALTER TABLE registrations ADD COLUMN purged_at TEXT",
        "ALTER TABLE registrations ADD COLUMN upload_attempts INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE registrations ADD COLUMN last_error TEXT",
        "CREATE INDEX master_data_center ON master_data (entity, center_id)",
    ],
    # 3: a short person summary (JSON) for the supervisor's end-of-day table, as the packet is sealed;
    #    the server's machine-readable rejection code beside its text
    [
        "ALTER TABLE registrations ADD COLUMN summary TEXT",
        "ALTER TABLE registrations ADD COLUMN server_reason_code TEXT",
    ],
    # 4: masterdata: changes this kiosk could not apply and skipped (reported to the server once); and
    #    users no kiosk may hold (no center, or no kiosk role) that older servers sent, with their hashes
    [
        "CREATE TABLE IF NOT EXISTS masterdata_problems (seq INTEGER NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL,"
        " reason TEXT NOT NULL, seen_at TEXT NOT NULL, reported_at TEXT, PRIMARY KEY (seq, entity, id))",
        "DELETE FROM master_data WHERE entity = 'users' AND (center_id IS NULL OR NOT EXISTS ("
        "SELECT 1 FROM json_each(master_data.data, '$.roles') WHERE value IN ('operator', 'supervisor')))",
    ],
    # 5: receipts at rest: acknowledgement receipts kept in the encrypted store, not as plaintext PDFs
    #    (client.core.registration.receipts moves old receipts/<rid>.pdf files in on start)
    [
        "CREATE TABLE IF NOT EXISTS receipts (rid TEXT PRIMARY KEY, pdf BLOB NOT NULL, created_at TEXT NOT NULL)",
    ],
    # 6: officers' and supervisors' own fingerprints enrolled on this kiosk (the reader library's
    #    serialized print, per user and finger, with the reader that made it) for signing in by finger
    [
        "CREATE TABLE IF NOT EXISTS operator_prints (user_id TEXT NOT NULL, finger TEXT NOT NULL,"
        " template BLOB NOT NULL, driver TEXT NOT NULL, device_id TEXT NOT NULL, enrolled_at TEXT NOT NULL,"
        " PRIMARY KEY (user_id, finger))",
    ],
]
LATEST = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def migrate(conn: Connection, *, target: int = LATEST) -> list[int]:
    """Apply missing steps up to ``target`` inside the caller's transaction; return the versions applied."""
    version = current_version(conn)
    if version > LATEST:
        raise RuntimeError(f"client DB is schema version {version}, newer than this software ({LATEST})")
    applied = []
    for number in range(version + 1, target + 1):
        for statement in MIGRATIONS[number - 1]:
            conn.execute(text(statement))
        conn.exec_driver_sql(f"PRAGMA user_version = {number}")
        applied.append(number)
    return applied

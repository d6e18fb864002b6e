"""Report secrets at rest: connector URLs, destination passwords and keys, webhook keys.

Encrypted with the server data key (AES-256-GCM, ``DataKeys``) and bound to their
name, so a ciphertext copied onto another row does not decrypt. Values are never logged, printed or
exported; callers show ``redact_url`` instead.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Protocol

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.engine import make_url

from sync_server.reports.tables import report_secrets
from sync_server.services.clock import utcnow


def redact_url(url: str) -> str:
    """A database URL with its password replaced by ``***`` (for lists, logs and errors)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


class SealingKey(Protocol):
    key_id: str

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> bytes: ...

    def decrypt(self, blob: bytes, *, aad: bytes) -> bytes: ...


class DataKeys(Protocol):
    """The server data keys (``sync_server.idstore.data_key.DataKeyring``; passed in by the
    composition root: reports and the ID store meet only through such ports)."""

    @property
    def current(self) -> SealingKey: ...

    def get(self, key_id: str) -> SealingKey: ...


class ReportSecrets:
    """Named secrets in ``report_secrets``; any process with the data key can read them."""

    def __init__(self, engine: Engine, keyring: DataKeys) -> None:
        self.engine = engine
        self.keyring = keyring

    def put(self, name: str, value: str, *, conn: Connection | None = None) -> None:
        key = self.keyring.current
        values = {
            "key_id": key.key_id,
            "ciphertext": key.encrypt(value.encode(), aad=f"report-secret:{name}".encode()),
            "updated_at": utcnow(),
        }
        with self.engine.begin() if conn is None else nullcontext(conn) as c:
            done = c.execute(update(report_secrets).where(report_secrets.c.name == name).values(**values))
            if not done.rowcount:
                c.execute(insert(report_secrets).values(name=name, **values))

    def get(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(report_secrets.c.key_id, report_secrets.c.ciphertext).where(
                    report_secrets.c.name == name
                )
            ).first()
        if row is None:
            return None
        key = self.keyring.get(row.key_id)
        return key.decrypt(row.ciphertext, aad=f"report-secret:{name}".encode()).decode()

    def delete(self, name: str, *, conn: Connection | None = None) -> None:
        with self.engine.begin() if conn is None else nullcontext(conn) as c:
            c.execute(delete(report_secrets).where(report_secrets.c.name == name))

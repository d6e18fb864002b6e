"""Report destinations (folder, SFTP, FTP, FTPS) in ``report_destinations``, their secrets encrypted in
``report_secrets`` under ``destination:<id>``.

``ReportDestinations`` is the admin service: every change is audited in the same transaction, and
nothing it returns holds a secret (only whether one is set). Runs get a ready ``Destination`` from
``destination(id)``. Stateless over the engine: thread-safe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from sync_server.reports.delivery import (
    DeliveryError,
    Destination,
    FolderConfig,
    build_destination,
    load_private_key,
    parse_config,
)
from sync_server.reports.secrets import ReportSecrets
from sync_server.reports.tables import report_definitions, report_destinations, report_secrets
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow

ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
MAX_TITLE = 255
MAX_SECRET = 16_384  # a 4096-bit RSA key in PEM is about 3.3 KB
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class DestinationError(ValueError):
    """A destination that breaks a rule: bad id, title, kind, config or secret."""


class DestinationInUse(DestinationError):
    """The destination is named by a report's routes, so it cannot be deleted."""


class UnknownDestination(KeyError):
    """No destination with that id."""

    def __init__(self, destination_id: str) -> None:
        super().__init__(destination_id)
        self.destination_id = destination_id

    def __str__(self) -> str:
        return f"no report destination {self.destination_id!r}"


def _secret_name(destination_id: str) -> str:
    return f"destination:{destination_id}"


class ReportDestinations:
    """Admin operations on destinations, and the ``Destination`` a run sends to."""

    def __init__(self, engine: Engine, secrets: ReportSecrets, *, folder_roots: Sequence[Path] = ()) -> None:
        """``folder_roots``: the folders a folder destination may write under (none: any folder, for
        tests and tools); a report must not drop files into the server's own or system folders."""
        self.engine = engine
        self.secrets = secrets
        self.folder_roots = [Path(p).resolve() for p in folder_roots]

    def _check_folder(self, config: Any) -> None:
        if not isinstance(config, FolderConfig) or not self.folder_roots:
            return
        folder = Path(config.folder).resolve()
        if not any(folder == root or root in folder.parents for root in self.folder_roots):
            allowed = ", ".join(str(r) for r in self.folder_roots)
            raise DestinationError(
                f"folder {config.folder} is outside the folders reports may write to ({allowed}); "
                "an administrator adds folders with the server setting report_folders"
            )

    def list(self) -> list[dict[str, Any]]:
        """Every destination by id: its fields, ``has_secret`` and ``secret_label``; never the secret."""
        with self.engine.connect() as conn:
            return self._rows(conn)

    def get(self, destination_id: str) -> dict[str, Any]:
        """One destination as ``list`` shows it; ``UnknownDestination`` if there is none."""
        with self.engine.connect() as conn:
            found = self._rows(conn, destination_id)
        if not found:
            raise UnknownDestination(destination_id)
        return found[0]

    def save(
        self,
        destination_id: str,
        *,
        title: str,
        kind: str,
        config: dict[str, Any],
        secret: str | None = None,
        actor: str,
    ) -> dict[str, Any]:
        """Create or replace a destination. ``secret`` (password or private key PEM) None keeps the
        stored one; a destination that needs a secret and has none, or whose kind of secret changes
        (password <-> key), must be given one. Raises ``DestinationError``."""
        if not re.fullmatch(ID_PATTERN, destination_id):
            raise DestinationError(f"a destination id is 1-64 of A-Z a-z 0-9 _ . - (got {destination_id!r})")
        if not title.strip() or len(title) > MAX_TITLE or _CONTROL.search(title):
            raise DestinationError(f"a title is 1-{MAX_TITLE} printable characters")
        try:
            parsed = parse_config(kind, config)
        except ValueError as exc:
            raise DestinationError(str(exc)) from None
        self._check_folder(parsed)
        stored = parsed.model_dump(mode="json")
        label = secret_label(kind, stored)
        if secret is not None:
            _check_secret(kind, label, stored, secret)
        with self.engine.begin() as conn:
            old = conn.execute(
                select(report_destinations.c.kind, report_destinations.c.config).where(
                    report_destinations.c.id == destination_id
                )
            ).first()
            old_label = secret_label(old.kind, old.config or {}) if old else None
            has_secret = self._secret_names(conn, destination_id) != set()
            if secret is None and label is not None and (not has_secret or old_label != label):
                raise DestinationError(f"a {kind} destination needs its {label}: give the secret")
            values = {
                "title": title,
                "kind": kind,
                "config": stored,
                "updated_at": utcnow(),
                "updated_by": actor[:64],
            }
            t = report_destinations
            if old:
                conn.execute(update(t).where(t.c.id == destination_id).values(**values))
            else:
                conn.execute(insert(t).values(id=destination_id, **values))
            if label is None:
                self.secrets.delete(_secret_name(destination_id), conn=conn)
            elif secret is not None:
                self.secrets.put(_secret_name(destination_id), secret, conn=conn)
            append_audit(
                conn,
                actor=actor,
                action="reports.destination.save",
                target=destination_id,
                details={"kind": kind, "created": old is None, "secret_changed": secret is not None},
            )
        return self.get(destination_id)

    def delete(self, destination_id: str, *, actor: str) -> None:
        """Delete a destination and its secret; ``DestinationInUse`` while a report routes to it."""
        with self.engine.begin() as conn:
            users = [
                row.id
                for row in conn.execute(select(report_definitions.c.id, report_definitions.c.spec))
                if any(r.get("destination") == destination_id for r in (row.spec or {}).get("routes") or [])
            ]
            if users:
                raise DestinationInUse(
                    f"destination {destination_id!r} is used by report(s) {', '.join(sorted(users))}; "
                    "remove it from their routes first"
                )
            t = report_destinations
            if not conn.execute(delete(t).where(t.c.id == destination_id)).rowcount:
                raise UnknownDestination(destination_id)
            self.secrets.delete(_secret_name(destination_id), conn=conn)
            append_audit(conn, actor=actor, action="reports.destination.delete", target=destination_id)

    def destination(self, destination_id: str) -> Destination:
        """The destination to send to, with its secret; ``UnknownDestination``, or ``DeliveryError``
        when it cannot be built (no secret, a config that no longer validates)."""
        row = self.get(destination_id)
        if row["kind"] == "folder":
            try:
                self._check_folder(parse_config("folder", row["config"]))
            except (DestinationError, ValueError) as exc:
                raise DeliveryError(f"destination {destination_id!r}: {exc}") from None
        secret = self.secrets.get(_secret_name(destination_id)) if row["has_secret"] else None
        return build_destination(row, secret)

    def test(self, destination_id: str) -> str:
        """Connect and list the target folder: ``"ok: <what was found>"`` or ``"failed: <why>"``.
        Blocks on network I/O up to the destination's timeout."""
        try:
            return f"ok: {self.destination(destination_id).check()}"
        except DeliveryError as exc:
            return f"failed: {exc}"

    # -- helpers ------------------------------------------------------------------------------------

    def _rows(self, conn: Connection, destination_id: str | None = None) -> list[dict[str, Any]]:
        query = select(report_destinations).order_by(report_destinations.c.id)
        if destination_id is not None:
            query = query.where(report_destinations.c.id == destination_id)
        rows = conn.execute(query).mappings().all()
        with_secret = self._secret_names(conn, destination_id)
        return [
            dict(row)
            | {
                "has_secret": _secret_name(row["id"]) in with_secret,
                "secret_label": secret_label(row["kind"], row["config"] or {}),
            }
            for row in rows
        ]

    @staticmethod
    def _secret_names(conn: Connection, destination_id: str | None = None) -> set[str]:
        """Names of the destination secrets that exist (read without decrypting anything)."""
        s = report_secrets
        query = select(s.c.name)
        if destination_id is None:
            query = query.where(s.c.name.startswith("destination:", autoescape=True))
        else:
            query = query.where(s.c.name == _secret_name(destination_id))
        return set(conn.execute(query).scalars())


def secret_label(kind: str, config: dict[str, Any]) -> str | None:
    """What the secret of such a destination is ("password", "private key"), or None if it has none."""
    if kind == "folder":
        return None
    return "private key" if kind == "sftp" and config.get("auth", "key") == "key" else "password"


def _check_secret(kind: str, label: str | None, config: dict[str, Any], secret: str) -> None:
    """Refuse a secret that cannot work, without ever putting it in the message."""
    if label is None:
        raise DestinationError(f"a {kind} destination takes no secret")
    if not secret.strip() or len(secret) > MAX_SECRET or "\x00" in secret:
        raise DestinationError(f"the {label} must be 1-{MAX_SECRET} characters without NUL")
    if label == "private key":
        try:
            load_private_key(secret)
        except DeliveryError as exc:
            raise DestinationError(str(exc)) from None

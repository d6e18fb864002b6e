"""``MasterDataHistory`` (``sync_server.processing.ports``) over the sync server's tables: the master
data change log (``masterdata_changes``: seq, entity, entity_id, op, data, created_at) and enrolled machines
(``machines``: machine_id, public_key, center_id, status).

"As it was at capture time" = the newest change at or before that time. Kiosk clocks drift, so a
few minutes of skew are tolerated (``clock_skew``): a user imported 30 s after a kiosk's clock
says the registration started is still found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, select

from sync_server.db.engine import single_statements
from sync_server.db.tables import ChangeRow, MachineRow

_changes = ChangeRow.__table__
_machines = MachineRow.__table__


class DbMasterDataHistory:
    """Implements ``MasterDataHistory``; read-only, safe from several worker threads."""

    def __init__(self, engine: Engine, *, clock_skew: dt.timedelta = dt.timedelta(minutes=10)) -> None:
        # Read-only lookups, several per packet: each is a statement of its own.
        self.engine = single_statements(engine)
        self.clock_skew = clock_skew

    def _at(self, entity: str, entity_id: str, at: dt.datetime) -> ColumnElement[bool]:
        """The conditions for ``entity_id``'s changes up to ``at`` (with the clock skew)."""
        return and_(
            _changes.c.entity == entity,
            _changes.c.entity_id == entity_id,
            _changes.c.created_at <= at + self.clock_skew,
        )

    def entity_at(self, entity: str, entity_id: str, at: dt.datetime) -> Mapping[str, Any] | None:
        if entity == "machines":
            return self._machine_at(entity_id, at)
        query = (
            select(_changes.c.op, _changes.c.data)
            .where(self._at(entity, entity_id, at))
            .order_by(_changes.c.seq.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None or row.op == "delete" else dict(row.data or {})

    def _machine_at(self, machine_id: str, at: dt.datetime) -> Mapping[str, Any] | None:
        """A machine's master-data row merged with its enrolment (key, approval: the machines table),
        in one statement: the enrolment, outer-joined to its newest change up to ``at``."""
        query = (
            select(
                _changes.c.op,
                _changes.c.data,
                _machines.c.public_key,
                _machines.c.center_id,
                _machines.c.status,
            )
            .select_from(_machines.outerjoin(_changes, self._at("machines", machine_id, at)))
            .where(_machines.c.machine_id == machine_id)
            .order_by(_changes.c.seq.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).first()
        if found is None:
            return None  # not enrolled
        deleted = found.op in (None, "delete")  # no master-data row then, or deleted since
        merged = {"id": machine_id} if deleted else dict(found.data or {"id": machine_id})
        merged.update(
            public_key=found.public_key,
            center_id=found.center_id,
            active=merged.get("active", True) is not False and found.status == "approved",
        )
        return merged

    def id_schema(self, schema_id: str, version: int) -> Mapping[str, Any] | None:
        """Every version ever published stays in the change log, so old packets still validate."""
        query = (
            select(_changes.c.data)
            .where(
                _changes.c.entity == "id_schema", _changes.c.entity_id == schema_id, _changes.c.op == "upsert"
            )
            .order_by(_changes.c.seq.desc())
        )
        with self.engine.connect() as conn:
            for (data,) in conn.execute(query):
                if data and int(data.get("version", -1)) == int(version):
                    return data.get("schema")
        return None

"""The report context over the server's database: the processing queue through its query port and
machine sync times from the sync server's own tables, so the reports package reads neither itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, inspect, select

from sync_server.db.tables import CurrentRow, MachineRow, PacketRow
from sync_server.processing.job_queries import JobQueries
from sync_server.reports.builtin import MachineSyncTimes, ReportContext
from sync_server.services.clock import aware


def server_report_context(
    engine: Engine, *, machine_sync_times: MachineSyncTimes | None = None
) -> ReportContext:
    """A fresh context (``now`` is its creation time); ``machine_sync_times`` defaults to the approved
    machines of ``engine``'s sync server tables."""
    return ReportContext(
        JobQueries(engine), machine_sync_times=machine_sync_times or ApprovedMachineSyncTimes(engine)
    )


class ApprovedMachineSyncTimes:
    """``MachineSyncTimes``: Every approved machine with its last master-data sync (the last time it caught up, recorded by
    the changes endpoint) and its last fully received upload. Revoked, rejected and pending machines
    are left out even when they uploaded. None when the database has no ``machines`` table (a
    processing-only database): the report then lists every machine of the processing queue."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> dict[str, tuple[dt.datetime | None, dt.datetime | None]] | None:
        names = set(inspect(self.engine).get_table_names())
        if MachineRow.__tablename__ not in names:
            return None
        machines = select(MachineRow.machine_id, MachineRow.last_masterdata_sync_at).where(
            MachineRow.status == "approved"
        )
        uploads = select(PacketRow.machine_id, func.max(PacketRow.received_at)).group_by(PacketRow.machine_id)
        with self.engine.connect() as conn:
            times = {m: (aware(at) if at else None, None) for m, at in conn.execute(machines)}
            if PacketRow.__tablename__ in names:
                for machine, last in conn.execute(uploads):
                    # Only approved machines: a revoked or rejected one's old uploads do not list it.
                    if last is not None and machine in times:
                        times[machine] = (times[machine][0], aware(last))
        return times


def masterdata_holidays(engine: Engine) -> list[dt.date]:
    """The holidays of master data (entity ``holidays``, field ``date``) for business-day schedules."""
    if CurrentRow.__tablename__ not in set(inspect(engine).get_table_names()):
        return []
    query = select(CurrentRow.data).where(CurrentRow.entity == "holidays")
    days = []
    with engine.connect() as conn:
        for data in conn.execute(query).scalars():
            try:
                days.append(dt.date.fromisoformat(str(data.get("date", ""))))
            except (ValueError, AttributeError):
                continue  # master-data import validates dates; a bad one is not a holiday
    return days

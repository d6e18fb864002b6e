"""The reports portal's parts wired over one database and data dir: definitions and runs
(``ReportService``), connectors, destinations, mapping sets, encrypted secrets and event triggers.

Built by the backend of a server process and by the ``openreg admin reports`` commands, so both run
reports the same way. Nothing connects at construction time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from sync_server.idstore.data_key import DataKeyring
from sync_server.reports.builtin import MachineSyncTimes
from sync_server.reports.connectors import Connectors
from sync_server.reports.destinations import ReportDestinations
from sync_server.reports.mappings import MappingLookup, MappingSets
from sync_server.reports.runner import ReportService
from sync_server.reports.secrets import ReportSecrets
from sync_server.reports.triggers import TriggerWatcher
from sync_server.services.report_context import masterdata_holidays, server_report_context


@dataclass
class ReportParts:
    reports: ReportService
    report_secrets: ReportSecrets
    report_connectors: Connectors
    report_destinations: ReportDestinations
    report_mappings: MappingSets
    report_triggers: TriggerWatcher

    def dispose(self) -> None:
        self.report_connectors.dispose()


def build_report_parts(
    engine: Engine,
    data_dir: Path,
    *,
    keyring: DataKeyring | None = None,
    machine_sync_times: MachineSyncTimes | None = None,
    instance: str | None = None,
    folder_roots: Sequence[Path] = (),
) -> ReportParts:
    """``folder_roots``: where folder destinations may write besides ``DATA/reports/outbox``."""
    secrets = ReportSecrets(engine, keyring or DataKeyring(data_dir))
    connectors = Connectors(engine, secrets)
    outbox = Path(data_dir) / "reports" / "outbox"
    destinations = ReportDestinations(engine, secrets, folder_roots=[outbox, *folder_roots])
    service = ReportService(
        engine=engine,
        out_dir=Path(data_dir) / "reports",
        context_factory=lambda: server_report_context(engine, machine_sync_times=machine_sync_times),
        connectors=connectors,
        destinations=destinations,
        # ttl 0: every run reads the set's last change time, so an edit applies to the next run
        mappings=MappingLookup(engine, ttl_s=0),
        holidays=lambda: masterdata_holidays(engine),
    )
    if instance:
        service.instance = instance
    return ReportParts(
        reports=service,
        report_secrets=secrets,
        report_connectors=connectors,
        report_destinations=destinations,
        report_mappings=MappingSets(engine),
        report_triggers=TriggerWatcher(service, secrets),
    )

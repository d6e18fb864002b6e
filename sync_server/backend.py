"""The backend of a server process: processing workers, the ID store and reports wired together.

It sits beside the composition root (``sync_server.bootstrap.build_backend`` builds it) and is the
one place where ``processing``, ``idstore`` and ``reports`` meet, so those packages stay independent.

The server supplies what only it owns: the engine, the data dir, its age identities (all key ids
still held), a ``MasterDataHistory`` over its master data tables and, optionally, machine sync
times for the sync-lag report. Nothing here connects or reads keys at import time.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from sync_server.abis.dispatcher import AbisDispatcher
from sync_server.abis.for_processing import AbisIdentify, resume_waiting
from sync_server.abis.http_client import AbisHttpClient
from sync_server.abis.queue import AbisRequests
from sync_server.console.resident_text import reason_words
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.notifications import KeyringSealer, OutboxNotifier
from sync_server.notifications.masterdata_templates import MasterDataTemplates
from sync_server.notifications.settings import NotificationSettings
from sync_server.processing.dedupe import DedupeConfig
from sync_server.processing.flows import build_stages
from sync_server.processing.packet_view import PacketView
from sync_server.processing.pipeline import IntegrationHook, Pipeline, RetryPolicy
from sync_server.processing.ports import MasterDataHistory
from sync_server.processing.queue import DEFAULT_LEASE
from sync_server.processing.stages import machine_key_of, make_packet_opener
from sync_server.processing.worker import ProcessingWorker, WorkerPool
from sync_server.report_parts import build_report_parts
from sync_server.reports.builtin import MachineSyncTimes
from sync_server.reports.scheduler import ReportScheduler
from sync_server.services.adjudication_desk import AdjudicationDesk
from sync_server.services.packet_handover import received_packets, server_packets


class ResidentCheckKeys:
    """``ResidentChecks`` under the ID store's data key (the status page hashes under every key held)."""

    def __init__(self, keyring: DataKeyring) -> None:
        self.keyring = keyring

    def make(self, iso_date: str) -> tuple[str, str]:
        key = self.keyring.current
        return key.key_id, key.keyed_hash("resident", iso_date)


@dataclass
class Backend:
    """The running backend of one server process: worker threads and the report scheduler."""

    engine: Engine
    data_dir: Path
    identities: Sequence[str]
    master: MasterDataHistory
    # Reads the identities again (DATA/keys): a worker then opens packets sealed to a key rotated in
    # after it started. None: ``identities`` are all there is.
    reload_identities: Callable[[], list[str]] | None = None
    dedupe: DedupeConfig = field(default_factory=DedupeConfig)
    hooks: Mapping[str, Sequence[IntegrationHook]] = field(default_factory=dict)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    lease: dt.timedelta = DEFAULT_LEASE
    machine_sync_times: MachineSyncTimes | None = None
    on_finished: Callable[[str, str], None] | None = None
    # Engine of the report service and scheduler; default ``engine``. The server passes its request
    # engine (pre-ping): a scheduled report hours after a database restart must not hit a stale
    # pooled connection.
    reports_engine: Engine | None = None
    # where folder destinations may write besides DATA/reports/outbox (settings.report_folders)
    report_folders: Sequence[Path] = ()
    # resident notifications (OPENREG_NOTIFY_*): none configured, nothing is queued or sent
    notifications: NotificationSettings = field(default_factory=NotificationSettings.from_env)
    # the ABIS (settings.abis_url): biometric deduplication, update authentication, lost-UIN search
    abis_url: str | None = None
    abis_timeout_s: float = 120.0
    # the packet blob store (services.blob_store); None: the sealed files under DATA/packets
    blobs: Any | None = None

    def __post_init__(self) -> None:
        keyring = DataKeyring(self.data_dir)
        self.id_store = IdStore(engine=self.engine, keyring=keyring)
        self.reports_engine = self.reports_engine or self.engine
        parts = build_report_parts(
            self.reports_engine,
            self.data_dir,
            keyring=keyring,
            machine_sync_times=self.machine_sync_times,
            folder_roots=self.report_folders,
        )
        self.report_parts = parts
        self.reports = parts.reports
        self._pool: WorkerPool | None = None
        self.packets = received_packets(self.engine, blobs=self.blobs, data_dir=self.data_dir)
        self._scheduler: ReportScheduler | None = None
        self._sealer = KeyringSealer(keyring)
        channels = self.notifications.channel_names()
        self.notifier = OutboxNotifier(self._sealer, channels=channels) if channels else None
        self._sender_stop = threading.Event()
        self._sender: threading.Thread | None = None
        self.abis: AbisIdentify | None = None
        self._abis_dispatcher: AbisDispatcher | None = None
        if self.abis_url:
            client = AbisHttpClient(self.abis_url, timeout_s=self.abis_timeout_s)
            self._abis_dispatcher = AbisDispatcher(
                self.engine,
                client,
                on_answer=lambda info: resume_waiting(self.engine, info),
                lease=dt.timedelta(seconds=self.abis_timeout_s + 30),
            )
            self.abis = AbisIdentify(AbisRequests(self.engine, client, notify=self._abis_dispatcher.wake))

    @property
    def adjudication_desk(self) -> AdjudicationDesk:
        """The console's adjudication service over this backend's queue, packets and ID store."""
        opener = make_packet_opener(list(self.identities), reload=self.reload_identities)
        packets = self.packets

        def open_packet(rid: str) -> PacketView:
            try:
                return opener(packets.blob_path(rid), machine_public_key=machine_key_of(self.master, rid))
            finally:
                getattr(packets, "release", lambda: None)()  # a fetched copy (S3) is not kept

        return AdjudicationDesk(
            engine=self.engine, open_packet=open_packet, identities=self.id_store, notifier=self.notifier
        )

    def make_worker(self, index: int = 0) -> ProcessingWorker:
        stages = build_stages(
            packets=self.packets,
            master=self.master,
            opener=make_packet_opener(list(self.identities), reload=self.reload_identities),
            store=self.id_store,
            dedupe=self.dedupe,
            engine=self.engine,
            abis=self.abis,
            residents=ResidentCheckKeys(self.id_store.keyring),
        )
        server = server_packets(self.engine, blob_dir=self.data_dir / "packets", blobs=self.blobs)
        return ProcessingWorker(
            engine=self.engine,
            pipeline_factory=lambda: Pipeline(stages, hooks=self.hooks),
            lease=self.lease,
            policy=self.policy,
            on_finished=self.on_finished,
            intake=server,
            outcomes=server,
            notifier=self.notifier,
            reason_words=reason_words,
        )

    def start(self, *, workers: int, scheduler: bool = True) -> None:
        """Start ``workers`` processing threads (0 = none: separate `openreg worker` processes do it)
        and the report scheduler with its job store in the same database."""
        if workers > 0:
            self._pool = WorkerPool(make_worker=self.make_worker, count=workers)
            self._pool.start()
            if self._abis_dispatcher is not None:
                self._abis_dispatcher.start()
        if self.notifier is not None:
            sender = self.notifications.sender(
                engine=self.engine, templates=MasterDataTemplates(self.engine), sealer=self._sealer
            )
            self._sender = threading.Thread(
                target=sender.run_until,
                args=(self._sender_stop,),
                kwargs={"idle_seconds": self.notifications.idle_s},
                name="notifications",
                daemon=True,
            )
            self._sender.start()
        if scheduler:
            self.reports.install_builtin_definitions()
            self._scheduler = ReportScheduler(
                service=self.reports,
                watcher=self.report_parts.report_triggers,
                jobstore_url=self.reports_engine.url.render_as_string(hide_password=False),
            )
            self._scheduler.start()

    def reports_changed(self) -> None:
        """Definitions changed: the scheduler re-reads its jobs (when this process runs it)."""
        if self._scheduler is not None:
            self._scheduler.sync_jobs()

    def stop(self) -> None:
        if self._abis_dispatcher is not None:
            self._abis_dispatcher.stop()
        self._sender_stop.set()
        if self._sender is not None:
            self._sender.join(30)
        if self._pool is not None:
            self._pool.shutdown()
        if self._scheduler is not None:
            self._scheduler.shutdown()
        getattr(self.packets, "close", lambda: None)()
        self.report_parts.dispose()

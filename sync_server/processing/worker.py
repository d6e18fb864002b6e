"""Processing workers: claim a packet from the DB queue, run the pipeline, store the outcome.

Workers run as threads inside the server (``--workers N``) or in separate ``openreg worker``
processes against the same PostgreSQL. A worker holds nothing the database does not: while a packet
runs, a heartbeat thread renews the claim's short lease; if the worker is killed, the lease expires
within seconds and another worker runs the packet again from the first stage; the idempotent UIN and
ID store writes make that safe.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from sync_server.ports import Notifier
from sync_server.processing import queue
from sync_server.processing.notices import notice_for
from sync_server.processing.pipeline import PacketContext, Pipeline, PipelineResult, RetryPolicy
from sync_server.processing.ports import PacketIntake, PacketOutcomes

log = logging.getLogger(__name__)


class LeaseHeartbeat:
    """Renews the lease of the claim the worker is running, every third of its length, on one thread
    that lives as long as the worker (a stage may block for long in a database call, a hook or the
    ABIS). A packet done within the first third never renews, so the usual case costs no extra round
    trip; and no thread is started or joined per packet (profiled: that was 5-10 ms a packet on a
    busy machine, a tenth of the processing time).

    ``running(claim)`` is a context manager around one packet. A renewal racing with the end of a packet
    is harmless: it only touches the row while it still holds this claim's token, which ``finish`` clears.
    """

    def __init__(self, engine: Engine, *, lease: dt.timedelta) -> None:
        self.engine, self.lease = engine, lease
        self._changed = threading.Condition()
        self._claim: queue.Claim | None = None
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def running(self, claim: queue.Claim) -> Iterator[None]:
        with self._changed:
            self._claim = claim
            self._changed.notify()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._changed:
                self._claim = None
                self._changed.notify()

    def _run(self) -> None:
        interval = self.lease.total_seconds() / 3
        while True:
            with self._changed:
                while self._claim is None:
                    self._changed.wait()
                claim = self._claim
                if self._changed.wait_for(lambda c=claim: self._claim is not c, timeout=interval):
                    continue  # that packet ended (or another began) within the interval
            try:
                if not queue.renew_lease(self.engine, claim, lease=self.lease):
                    with self._changed:
                        if self._claim is claim:
                            log.warning("packet %s: claim lost to another worker", claim.rid)
            except Exception:  # a database hiccup: try again next beat, the lease has 2/3 left
                log.exception("packet %s: could not renew the lease", claim.rid)


@dataclass
class ProcessingWorker:
    """One worker loop. ``pipeline_factory`` builds a Pipeline (stages are not shared across threads)."""

    engine: Engine
    pipeline_factory: Callable[[], Pipeline]
    worker_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    )
    lease: dt.timedelta = queue.DEFAULT_LEASE
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    poll_seconds: float = 0.5
    on_finished: Callable[[str, str], None] | None = None  # (rid, status), e.g. to notify the status cache
    # The sync server's side (None in a processing-only database): its received packets are swept into
    # the queue when the queue is empty, and each outcome is written as the packet's status.
    intake: PacketIntake | None = None
    outcomes: PacketOutcomes | None = None
    # The resident's notifications, queued with the outcome; ``reason_words`` gives a rejection's
    # reason code in plain words per language (never the operator's text: it may name another UIN).
    notifier: Notifier | None = None
    reason_words: Callable[[str], Mapping[str, str]] | None = None

    def __post_init__(self) -> None:
        self.pipeline = self.pipeline_factory()
        # Stage records are written with the outcome in one transaction (one commit per packet, not
        # one per stage); a worker killed mid-packet loses only the records of the attempt it lost.
        self._records: list = []
        self.pipeline.record = self._records.append
        self._heartbeat = LeaseHeartbeat(self.engine, lease=self.lease)

    def run_once(self) -> str | None:
        """Process one packet if any is due; returns its RID or None when the queue is empty."""
        claim = queue.claim_next(self.engine, worker_id=self.worker_id, lease=self.lease)
        if (
            claim is None
            and self.intake is not None
            and queue.enqueue_received(self.engine, intake=self.intake)
        ):
            claim = queue.claim_next(self.engine, worker_id=self.worker_id, lease=self.lease)
        if claim is None:
            return None
        context = PacketContext(claim.rid)
        self._records.clear()
        with self._heartbeat.running(claim):
            result = self.pipeline.run(context, attempt=claim.attempt)
        facts = {
            k: context.values[k]
            for k in ("center_id", "machine_id", "operator_id", "flow")
            if context.values.get(k)
        } | context.values.get("resident", {})
        status = queue.finish(
            self.engine,
            claim,
            result,
            policy=self.policy,
            uin=context.values.get("uin"),
            facts=facts,
            records=list(self._records),
            outcomes=self.outcomes,
            also=None if self.notifier is None else lambda conn, st: self._notify(conn, st, context, result),
        )
        log.info("packet %s -> %s (%s)", claim.rid, status or "claim lost", result.reason_code or "ok")
        if self.on_finished and status:
            self.on_finished(claim.rid, status)
        return claim.rid

    def _notify(self, conn: Connection, status: str, context: PacketContext, result: PipelineResult) -> None:
        notice = notice_for(status, context)
        if notice is None or self.notifier is None:
            return
        values = dict(notice.values)
        if status == "rejected" and result.reason_code and self.reason_words is not None:
            values["reason"] = dict(self.reason_words(result.reason_code))
        self.notifier.notify(
            conn,
            rid=context.rid,
            event=notice.event,
            language=notice.language,
            email=notice.email,
            phone=notice.phone,
            values=values,
        )

    def run_until(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set; sleeps ``poll_seconds`` when the queue is empty."""
        while not stop.is_set():
            try:
                if self.run_once() is None:
                    stop.wait(self.poll_seconds)
            except Exception:  # a database hiccup must not kill the worker thread
                log.exception("worker %s: error while processing; retrying shortly", self.worker_id)
                stop.wait(self.poll_seconds)


@dataclass
class WorkerPool:
    """N in-process worker threads (the server's ``--workers N``)."""

    make_worker: Callable[[int], ProcessingWorker]
    count: int
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for index in range(self.count):
            worker = self.make_worker(index)
            thread = threading.Thread(
                target=worker.run_until, args=(self.stop,), name=f"processing-{index}", daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def shutdown(self, timeout: float = 30) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout)

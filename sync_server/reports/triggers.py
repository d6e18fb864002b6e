"""Event triggers: a file arriving in a watched folder, a database watermark that grows, a signed
webhook. (Chaining, "run B after A succeeds", lives in the runner.)

Each event is claimed by inserting a mark (``report_trigger_marks``, unique per definition, kind and
mark) before its run starts, so however many servers see the event, one run starts. The poller runs
on the scheduler's thread; ``webhook`` on request threads.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import hmac
import json
import logging
import numbers
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from sync_server.reports.runner import ReportService, RunRefused
from sync_server.reports.secrets import ReportSecrets
from sync_server.reports.spec import SERVER_CONNECTOR, ReportSpec
from sync_server.reports.tables import report_trigger_marks
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow

log = logging.getLogger("openreg.reports")
MAX_FILES_PER_POLL = 100
SETTLE = dt.timedelta(seconds=2)  # a file younger than this may still be being written
WEBHOOK_SKEW = dt.timedelta(minutes=5)
MAX_WEBHOOK_BODY = 64 * 1024


class WebhookRefused(ValueError):
    """The webhook call is not signed right, too old, a replay, or for a report without a webhook."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


def webhook_signature(key: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "<timestamp>." + body>`` (what a caller sends)."""
    return "sha256=" + hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass
class TriggerWatcher:
    service: ReportService
    secrets: ReportSecrets | None = None

    @property
    def inbox(self) -> Path:
        """The root of every watched folder."""
        return self.service.out_dir / "inbox"

    @property
    def engine(self) -> Engine:
        return self.service.engine

    def _claim(self, definition_id: str, kind: str, mark: str) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(report_trigger_marks).values(
                        definition_id=definition_id, kind=kind, mark=mark[:512], at=utcnow()
                    )
                )
            return True
        except IntegrityError:
            return False

    def poll(self) -> list[int]:
        """Look at every active definition's file and watermark triggers; returns the runs started."""
        started: list[int] = []
        for definition in self.service.definitions.list():
            if not definition.active:
                continue
            for check in (self._files, self._watermark):
                try:
                    started += check(definition.id, definition.spec)
                except Exception as exc:  # one broken trigger must not stop the others
                    log.warning("report %s: trigger check failed: %s", definition.id, exc)
        return started

    def _files(self, definition_id: str, spec: ReportSpec) -> list[int]:
        trigger = spec.triggers.file
        if trigger is None:
            return []
        folder = self.inbox / trigger.folder
        if not folder.is_dir():
            return []
        now = dt.datetime.now(dt.UTC).timestamp()
        started = []
        candidates = sorted(p for p in folder.iterdir() if fnmatch.fnmatch(p.name, trigger.pattern))
        for path in candidates[:MAX_FILES_PER_POLL]:
            if path.name.startswith(".") or path.name.endswith((".part", ".tmp")) or not path.is_file():
                continue
            info = path.stat()
            if now - info.st_mtime < SETTLE.total_seconds():
                continue
            mark = f"{path.name}:{info.st_size}:{info.st_mtime_ns}"
            if self._claim(definition_id, "file", mark):
                key = hashlib.sha256(mark.encode()).hexdigest()[:24]
                run_id = self.service.run(
                    definition_id, trigger="file", run_key=f"{definition_id}@file-{key}", input_file=path
                )
                started += [run_id] if run_id else []
        return started

    def _watermark(self, definition_id: str, spec: ReportSpec) -> list[int]:
        trigger = spec.triggers.watermark
        if trigger is None or self.service.connectors is None:
            return []
        value = self.service.connectors.scalar(trigger.connector or SERVER_CONNECTOR, trigger.query, {})
        if value is None:
            return []
        with self.engine.connect() as conn:
            last = conn.execute(
                select(report_trigger_marks.c.mark)
                .where(
                    report_trigger_marks.c.definition_id == definition_id,
                    report_trigger_marks.c.kind == "watermark",
                )
                .order_by(report_trigger_marks.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        if last is not None and not _grew(last, value):
            return []
        if not self._claim(definition_id, "watermark", text):
            return []
        if last is None:  # the first look sets the mark; a run needs growth past it
            return []
        run_id = self.service.run(
            definition_id, trigger="watermark", run_key=f"{definition_id}@watermark-{text}"[:160]
        )
        return [run_id] if run_id else []

    def new_webhook_key(self, definition_id: str, *, actor: str) -> str:
        """A new key for the definition's webhook, stored encrypted and audited in one transaction
        (the old key stops working); the caller shows it once."""
        self.service.definitions.get(definition_id)  # DefinitionNotFound for an unknown id
        if self.secrets is None:
            raise WebhookRefused("this server keeps no report secrets", 503)
        key = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            self.secrets.put(f"webhook:{definition_id}", key, conn=conn)
            append_audit(conn, actor=actor, action="reports.webhook_key", target=definition_id)
        return key

    def webhook(self, definition_id: str, *, body: bytes, timestamp: str, signature: str) -> int:
        """Start a run from a signed webhook call; returns the run id or raises ``WebhookRefused``."""
        if len(body) > MAX_WEBHOOK_BODY:
            raise WebhookRefused("the body is too large", 413)
        definition = self.service.definitions.get(definition_id)  # DefinitionNotFound → 404 by the caller
        key = self.secrets.get(f"webhook:{definition_id}") if self.secrets else None
        if not definition.spec.triggers.webhook or not definition.active or key is None:
            raise WebhookRefused("this report does not take webhook calls", 404)
        try:
            sent = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise WebhookRefused("X-OpenReg-Timestamp must be a Unix time in seconds") from None
        if abs(utcnow() - sent) > WEBHOOK_SKEW:
            raise WebhookRefused("the call is too old or from the future (more than 5 minutes off)")
        if not hmac.compare_digest(webhook_signature(key, timestamp, body), signature):
            raise WebhookRefused("the signature does not match")
        try:
            parameters = json.loads(body or b"{}").get("parameters", {})
            if not isinstance(parameters, dict):
                raise ValueError
        except (ValueError, AttributeError):
            raise WebhookRefused('the body must be JSON: {"parameters": {...}}', 422) from None
        if not self._claim(definition_id, "webhook", signature):
            raise WebhookRefused("this call was already received (replay)", 409)
        try:
            run_id = self.service.claim(
                definition_id,
                trigger="webhook",
                run_key=f"{definition_id}@webhook-{signature[7:31]}",
                parameters=parameters,
            )
        except RunRefused as exc:
            raise WebhookRefused(str(exc), 422) from None
        if run_id is None:
            raise WebhookRefused("this call was already received (replay)", 409)
        return run_id


def _grew(last: str, value: Any) -> bool:
    """Whether ``value`` is past the stored mark (numbers compare as numbers, others as text)."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        try:
            return float(value) > float(last)
        except ValueError:
            return True
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text > last

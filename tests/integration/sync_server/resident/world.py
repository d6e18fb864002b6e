"""A real server process and registrations in the states a resident may find them in.

``Registrations`` writes processing-queue rows straight into the server's database, as the worker
leaves them (status, reason, flow, resident check under the server's own data key), so each state can
be asked about through the real HTTP routes without running packets through the whole pipeline.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import requests
from sqlalchemy import insert

from shared.rid import format_rid
from sync_server.bootstrap import open_database
from sync_server.idstore.data_key import DataKeyring
from sync_server.processing.tables import processing_jobs
from sync_server.services.resident_status import RESIDENT_PURPOSE
from tests.support.server import RunningServer

STATUS_API = "/api/v1/resident/status"
PAGE = "/resident/status"
BIRTH_DATE = "1990-04-25"
UIN = "4825139076"
_sequence = itertools.count(1)
_addresses = itertools.count(1)


def new_rid() -> str:
    return format_rid(
        center_id=10001,
        machine_id=10001,
        sequence=next(_sequence),
        created_at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
    )


def fresh_address() -> str:
    """A client address of its own (uvicorn trusts X-Forwarded-For from 127.0.0.1): one request's
    address limit never spills into another test's."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


@dataclass
class Registrations:
    """Queue rows in the running server's database, checked under its data key."""

    server: RunningServer

    def __post_init__(self) -> None:
        url = self.server.db_url or f"sqlite:///{self.server.data_dir / 'server.db'}"
        self.engine = open_database(url)
        self.key = DataKeyring(self.server.data_dir).current

    def add(
        self,
        *,
        status: str,
        birth_date: str | None = BIRTH_DATE,
        stage: str | None = "validate",
        reason_code: str | None = None,
        reason_text: str | None = None,
        flow: str = "new",
        language: str | None = None,
        uin: str | None = None,
    ) -> str:
        """A new RID whose queue row stands so; ``birth_date=None``: not validated yet (no check)."""
        rid, now = new_rid(), dt.datetime.now(dt.UTC)
        check = self.key.keyed_hash(RESIDENT_PURPOSE, birth_date) if birth_date else None
        with self.engine.begin() as conn:
            conn.execute(
                insert(processing_jobs).values(
                    rid=rid,
                    status=status,
                    stage=stage,
                    attempts=1,
                    next_attempt_at=now,
                    enqueued_at=now,
                    info={},
                    reason_code=reason_code,
                    reason_text=reason_text,
                    uin=uin,
                    center_id="10001",
                    machine_id="10001",
                    operator_id="operator1",
                    flow=flow,
                    resident_check=check,
                    resident_key_id=self.key.key_id if check else None,
                    resident_language=language,
                )
            )
        return rid


def ask(
    url: str, body: object, *, address: str | None = None, headers: dict[str, str] | None = None
) -> requests.Response:
    """POST the status API from ``address`` (a fresh one by default)."""
    sent = {"X-Forwarded-For": address or fresh_address(), **(headers or {})}
    return requests.post(f"{url}{STATUS_API}", json=body, headers=sent, timeout=30)

"""``AbisRequests``: the ABIS port over the ``abis_requests`` table (the server's queue to the ABIS).

insert / identify / delete validate and store a row (``pending``) and return; the dispatcher
(``dispatcher.py``) claims rows strictly in order of creation, as MOSIP requires (an identify must see
every insert queued before it), sends them and records the answer. Claims are compare-and-set on
``claim_token`` with a lease, so several server processes may run dispatchers: one delivers at a time,
and a dispatcher that died mid-send has its row sent again after the lease (the ABIS answers a repeated
request id with its first answer). Thread-safe: every method opens its own transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from sync_server.abis import mosip
from sync_server.abis.http_client import AbisHttpClient, AbisRefused, AbisUnavailable
from sync_server.abis.port import (
    MAX_GALLERY,
    MAX_ID_CHARS,
    MAX_RECORD_BYTES,
    MAX_RECORDS,
    MAX_RESULTS,
    MAX_TOTAL_BYTES,
    MODALITIES,
    AbisRequestError,
    AbisRequestInfo,
    AbisResult,
    BiometricRecord,
)
from sync_server.abis.tables import abis_requests
from sync_server.services.clock import utcnow

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
OPEN = ("pending", "sent")


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def _check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS or not _ID.match(value):
        raise AbisRequestError(f"{what} must be 1-{MAX_ID_CHARS} letters, digits or . _ : -")
    return value


def _check_records(records: Sequence[BiometricRecord], *, required: bool) -> bytes | None:
    usable = [r for r in records if r.data]
    if not usable:
        if required:
            raise AbisRequestError("no biometric records to send")
        return None
    if len(usable) > MAX_RECORDS:
        raise AbisRequestError(f"{len(usable)} biometric records; at most {MAX_RECORDS}")
    for r in usable:
        if r.modality not in MODALITIES:
            raise AbisRequestError(f"modality {r.modality!r} is not one of {', '.join(MODALITIES)}")
        if len(r.data) > MAX_RECORD_BYTES:
            raise AbisRequestError(f"a {r.modality} record of {len(r.data)} bytes is over {MAX_RECORD_BYTES}")
    if sum(len(r.data) for r in usable) > MAX_TOTAL_BYTES:
        raise AbisRequestError(f"the biometric records add up to more than {MAX_TOTAL_BYTES} bytes")
    return mosip.cbeff_of(usable)


class AbisRequests:
    """Implements ``port.AbisPort``; ``client`` is used by ``ping`` only (the dispatcher sends the rest).
    ``notify`` (optional) is called after a row is queued, e.g. the dispatcher's ``wake``."""

    def __init__(
        self, engine: Engine, client: AbisHttpClient, *, notify: Callable[[], None] | None = None
    ) -> None:
        self._engine = engine
        self._client = client
        self.notify = notify

    # -- the port ---------------------------------------------------------------------------------------
    def insert(self, *, request_id: str, reference_id: str, records: Sequence[BiometricRecord]) -> None:
        self._enqueue(request_id, "insert", reference_id, _check_records(records, required=True), None, None)

    def identify(
        self,
        *,
        request_id: str,
        reference_id: str,
        records: Sequence[BiometricRecord],
        gallery: Sequence[str] | None = None,
        max_results: int = 10,
    ) -> None:
        if gallery is not None:
            if len(gallery) > MAX_GALLERY:
                raise AbisRequestError(f"a gallery of {len(gallery)} references; at most {MAX_GALLERY}")
            gallery = [_check_id(ref, "gallery reference id") for ref in gallery]
        if not 1 <= max_results <= MAX_RESULTS:
            raise AbisRequestError(f"max_results must be 1-{MAX_RESULTS}")
        payload = _check_records(records, required=False)
        self._enqueue(request_id, "identify", reference_id, payload, gallery, max_results)

    def delete(self, *, request_id: str, reference_id: str) -> None:
        self._enqueue(request_id, "delete", reference_id, None, None, None)

    def ping(self) -> bool:
        body = {
            "id": "mosip.abis.ping",
            "version": "1.1",
            "requestId": f"ping-{uuid.uuid4().hex[:16]}",
            "requesttime": utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        try:
            return str(self._client.send(body, timeout_s=5).get("returnValue")) == "1"
        except (AbisUnavailable, AbisRefused):
            return False

    def result(self, request_id: str) -> AbisResult | None:
        info = self.request(request_id)
        return info.result if info is not None else None

    def request(self, request_id: str) -> AbisRequestInfo | None:
        with self._engine.connect() as conn:
            row = (
                conn.execute(select(abis_requests).where(abis_requests.c.request_id == request_id))
                .mappings()
                .first()
            )
        return info_of(row) if row is not None else None

    # -- storing ----------------------------------------------------------------------------------------
    def _enqueue(
        self,
        request_id: str,
        action: str,
        reference_id: str,
        payload: bytes | None,
        gallery: list[str] | None,
        max_results: int | None,
    ) -> None:
        _check_id(request_id, "request id")
        _check_id(reference_id, "reference id")
        now = utcnow()
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(abis_requests).values(
                        request_id=request_id,
                        action=action,
                        reference_id=reference_id,
                        status="pending",
                        attempts=0,
                        created_at=now,
                        next_attempt_at=now,
                        gallery=gallery,
                        max_results=max_results,
                        payload=payload,
                    )
                )
        except IntegrityError:
            known = self.request(request_id)
            if known is None or known.action != action or known.reference_id != reference_id:
                raise AbisRequestError(
                    f"request id {request_id} is already used for another request"
                ) from None
            return  # the same request again: already queued
        if self.notify is not None:
            self.notify()


def info_of(row: RowMapping) -> AbisRequestInfo:
    response: dict[str, Any] | None = row["response"]
    result = (
        mosip.result_from_json(
            response, request_id=row["request_id"], action=row["action"], reference_id=row["reference_id"]
        )
        if response is not None and row["status"] in ("answered", "failed")
        else None
    )
    return AbisRequestInfo(
        request_id=row["request_id"],
        action=row["action"],
        reference_id=row["reference_id"],
        status=row["status"],
        attempts=row["attempts"],
        created_at=_aware(row["created_at"]),  # type: ignore[arg-type]
        answered_at=_aware(row["answered_at"]),
        result=result,
        last_error=row["last_error"] or "",
    )


def claim_head(engine: Engine, *, lease: dt.timedelta) -> tuple[RowMapping, str] | None:
    """The oldest open request, claimed for delivery (row, token); None if there is none, it is backing
    off, or another dispatcher holds it."""
    now = utcnow()
    with engine.begin() as conn:
        row = (
            conn.execute(
                select(abis_requests)
                .where(abis_requests.c.status.in_(OPEN))
                .order_by(abis_requests.c.seq)
                .limit(1)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        lease_until = _aware(row["lease_until"])
        if row["status"] == "sent" and lease_until is not None and lease_until > now:
            return None
        if _aware(row["next_attempt_at"]) > now:  # type: ignore[operator]
            return None
        token = uuid.uuid4().hex
        claimed = conn.execute(
            update(abis_requests)
            .where(
                abis_requests.c.seq == row["seq"],
                or_(abis_requests.c.claim_token.is_(None), abis_requests.c.claim_token == row["claim_token"]),
            )
            .values(status="sent", claim_token=token, lease_until=now + lease, attempts=row["attempts"] + 1)
        ).rowcount
    return (row, token) if claimed == 1 else None


def finish(engine: Engine, *, seq: int, token: str, status: str, response: dict[str, Any]) -> bool:
    """Record the answer (status answered | failed) and drop the biometrics; False if the claim was lost."""
    with engine.begin() as conn:
        return (
            conn.execute(
                update(abis_requests)
                .where(abis_requests.c.seq == seq, abis_requests.c.claim_token == token)
                .values(
                    status=status,
                    response=response,
                    answered_at=utcnow(),
                    payload=None,
                    lease_until=None,
                    last_error=None if status == "answered" else (response.get("failure_message") or None),
                )
            ).rowcount
            == 1
        )


def retry_later(engine: Engine, *, seq: int, token: str, delay: dt.timedelta, error: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(abis_requests)
            .where(abis_requests.c.seq == seq, abis_requests.c.claim_token == token)
            .values(
                status="pending", next_attempt_at=utcnow() + delay, lease_until=None, last_error=error[:500]
            )
        )

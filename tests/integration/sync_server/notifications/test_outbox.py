"""The outbox: idempotent enqueue inside the caller's transaction, sealed personal data, claims that
concurrent senders never share, and lapsed claims taken over. The tests that depend on the database's
own behaviour (ON CONFLICT in an open transaction, SKIP LOCKED) also run on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter

import pytest
from sqlalchemy import create_engine, select, text, update

from sync_server.notifications import (
    Contact,
    Event,
    NoTemplates,
    NotificationSender,
    OutboxNotifier,
    enqueue,
    outbox,
    retry_failed,
)
from sync_server.notifications.tables import notification_outbox

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=10)
CONTACT = Contact(email="amina.diallo@example.org", phone="+22236123456")


class Recorder:
    def __init__(self) -> None:
        self.sent = []

    def send(self, message) -> None:
        self.sent.append(message)


@pytest.fixture
def engine(outbox_url):
    engine = create_engine(outbox_url)
    yield engine
    engine.dispose()


def _enqueue(conn, sealer, rid="R1", event=Event.UIN_ISSUED, contact=CONTACT, **kw):
    values = kw.pop("values", {"uin": "4829105736", "name": "Amina Diallo"})
    return enqueue(
        conn,
        rid=rid,
        event=event,
        language="eng",
        contact=contact,
        values=values,
        sealer=sealer,
        now=T0,
        **kw,
    )


def _rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(notification_outbox).order_by(notification_outbox.c.id)).mappings().all()


def test_enqueue_is_idempotent_inside_the_callers_transaction(engine, sealer):
    with engine.begin() as conn:
        assert _enqueue(conn, sealer) == 2  # e-mail and SMS
        assert _enqueue(conn, sealer) == 0  # the worker ran the same outcome twice
        conn.execute(text("SELECT 1"))  # the transaction is still usable (PostgreSQL aborts on an error)
    with engine.begin() as conn:
        assert _enqueue(conn, sealer) == 0
        assert _enqueue(conn, sealer, event=Event.REGISTRATION_RECEIVED) == 2
    assert Counter((r["event"], r["channel"]) for r in _rows(engine)) == {
        ("uin_issued", "email"): 1,
        ("uin_issued", "sms"): 1,
        ("registration_received", "email"): 1,
        ("registration_received", "sms"): 1,
    }


def test_nothing_is_queued_without_a_contact_or_when_the_outcome_rolls_back(outbox_engine, sealer):
    engine = outbox_engine
    with engine.begin() as conn:
        assert _enqueue(conn, sealer, contact=Contact()) == 0
        assert _enqueue(conn, sealer, rid="R2", channels=("email",)) == 1
    with pytest.raises(RuntimeError), engine.begin() as conn:
        _enqueue(conn, sealer, rid="R3")
        raise RuntimeError("storing the packet outcome failed")
    assert [(r["rid"], r["channel"]) for r in _rows(engine)] == [("R2", "email")]


def test_addresses_and_values_are_sealed(outbox_engine, sealer):
    engine = outbox_engine
    with engine.begin() as conn:
        _enqueue(conn, sealer)
    for row in _rows(engine):
        assert row["key_id"] and row["payload"]
        for secret in (b"amina.diallo", b"22236123456", b"Amina Diallo", b"4829105736"):
            assert secret not in row["payload"]
    engine.dispose()
    with open(engine.url.database, "rb") as database:
        raw = database.read()
    assert b"amina.diallo" not in raw and b"22236123456" not in raw and b"Amina" not in raw


def test_a_payload_moved_to_another_row_does_not_open(outbox_engine, sealer):
    engine = outbox_engine
    with engine.begin() as conn:
        _enqueue(conn, sealer, rid="R1", contact=Contact(email="a@example.org"))
        _enqueue(conn, sealer, rid="R2", contact=Contact(email="b@example.org"))
        stolen = conn.execute(
            select(notification_outbox.c.payload).where(notification_outbox.c.rid == "R1")
        ).scalar()
        conn.execute(
            update(notification_outbox).where(notification_outbox.c.rid == "R2").values(payload=stolen)
        )
    recorder = Recorder()
    NotificationSender(engine, {"email": recorder}, NoTemplates(), sealer, lambda: T0).run_once()
    by_rid = {r["rid"]: r for r in _rows(engine)}
    assert by_rid["R2"]["status"] == "failed" and "cannot open" in by_rid["R2"]["last_error"]
    assert [m.to for m in recorder.sent] == ["a@example.org"]


def test_a_lapsed_claim_is_taken_over_and_the_late_owner_cannot_finish(outbox_engine, sealer):
    engine = outbox_engine
    with engine.begin() as conn:
        _enqueue(conn, sealer, contact=Contact(email="a@example.org"))
    [first] = outbox.claim_due(engine, channels=["email"], limit=5, lease=LEASE, now=T0)
    assert first.attempt == 1
    assert outbox.claim_due(engine, channels=["email"], limit=5, lease=LEASE, now=T0 + LEASE / 2) == []
    [second] = outbox.claim_due(engine, channels=["email"], limit=5, lease=LEASE, now=T0 + LEASE * 1.1)
    assert (second.id, second.attempt) == (first.id, 2) and second.token != first.token
    assert not outbox.mark_sent(engine, first)  # the presumed-dead sender wakes up late
    assert outbox.mark_sent(engine, second)
    assert outbox.claim_due(engine, channels=["email"], limit=5, lease=LEASE, now=T0 + LEASE * 5) == []


def test_concurrent_claims_never_share_a_row(engine, sealer):
    with engine.begin() as conn:
        for n in range(30):
            _enqueue(conn, sealer, rid=f"R{n}", contact=Contact(email=f"p{n}@example.org"))
    taken: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def claimer() -> None:
        own = create_engine(engine.url)
        try:
            while True:
                claims = outbox.claim_due(own, channels=["email"], limit=3, lease=LEASE, now=T0)
                if not claims:
                    return
                with lock:
                    taken.extend(c.id for c in claims)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sorted(taken) == sorted(r["id"] for r in _rows(engine))  # each row once, none missed


def test_failed_rows_go_back_to_pending_on_request(outbox_engine, sealer):
    engine = outbox_engine
    with engine.begin() as conn:
        _enqueue(conn, sealer, contact=Contact(email="a@example.org"))
    [claim] = outbox.claim_due(engine, channels=["email"], limit=1, lease=LEASE, now=T0)
    outbox.mark_unsent(engine, claim, error="x" * 5000, retry_at=None)
    [row] = _rows(engine)
    assert row["status"] == "failed" and len(row["last_error"]) == 500
    assert outbox.counts(engine) == {"failed": 1}
    assert retry_failed(engine, now=T0) == 1
    assert outbox.counts(engine) == {"pending": 1}
    with engine.connect() as conn:
        [public] = outbox.rows_for(conn, "R1")
    assert "payload" not in public and public["attempts"] == 0


def test_rows_of_channels_not_configured_wait(outbox_engine, sealer):
    engine = outbox_engine
    with engine.begin() as conn:
        _enqueue(conn, sealer)
    recorder = Recorder()
    assert NotificationSender(engine, {"email": recorder}, NoTemplates(), sealer, lambda: T0).run_once() == 1
    assert outbox.counts(engine) == {"sent": 1, "pending": 1}  # the SMS waits for an SMS channel


def test_a_claim_takes_no_more_rows_than_asked(engine, sealer):
    with engine.begin() as conn:
        for n in range(5):
            _enqueue(conn, sealer, rid=f"R{n}", contact=Contact(email=f"p{n}@example.org"))
    assert [c.rid for c in outbox.claim_due(engine, channels=["email"], limit=1, lease=LEASE, now=T0)] == [
        "R0"
    ]
    assert len(outbox.claim_due(engine, channels=["email"], limit=3, lease=LEASE, now=T0)) == 3
    assert sum(r["claim_token"] is not None for r in _rows(engine)) == 4


def test_the_notifier_skips_bad_contacts_without_failing(outbox_engine, sealer, caplog):
    caplog.set_level(logging.INFO, logger="sync_server.notifications")
    notifier = OutboxNotifier(sealer, channels=("email", "sms"))
    with outbox_engine.begin() as conn:
        assert (
            notifier.notify(
                conn, rid="R1", event="uin_issued", language="ara", email="nope", phone="+22236123456"
            )
            == 1
        )
        assert notifier.notify(conn, rid="R2", event="uin_issued", language=None, email="", phone=None) == 0
        assert notifier.notify(conn, rid="R1", event="uin_issued", language="ara", phone="+22236123456") == 0
    assert [(r["rid"], r["channel"], r["language"]) for r in _rows(outbox_engine)] == [("R1", "sms", "ara")]
    assert "email:" in caplog.text and "nope" not in caplog.text

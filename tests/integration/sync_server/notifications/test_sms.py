"""SMS notifications through a real HTTP gateway (stdlib http.server) that checks each call's HMAC."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, select

from sync_server.notifications import Contact, Event, NoTemplates, NotificationSender, enqueue
from sync_server.notifications.channels import DeliveryError, Message
from sync_server.notifications.sender import Backoff
from sync_server.notifications.sms_webhook import MAX_REPLY_BYTES, SmsWebhookChannel, SmsWebhookConfig
from sync_server.notifications.tables import notification_outbox
from tests.integration.sync_server.notifications.conftest import SMS_SECRET
from tests.support.ports import free_port

RID = "10002100010000120250101120000"
PHONE = "+222 36 12 34 56"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _channel(gateway, secret=SMS_SECRET, timeout_s=5.0):
    return SmsWebhookChannel(SmsWebhookConfig(url=gateway.url, secret=secret, timeout_s=timeout_s))


def _queue(engine, sealer, *, now, language="fra", event=Event.UIN_ISSUED):
    with engine.begin() as conn:
        enqueue(
            conn,
            rid=RID,
            event=event,
            language=language,
            contact=Contact(phone=PHONE),
            values={"uin": "4829105736"},
            sealer=sealer,
            now=now,
        )


def _row(engine):
    with engine.connect() as conn:
        return conn.execute(select(notification_outbox)).mappings().one()


def test_signed_text_reaches_the_gateway(outbox_engine, sealer, sms_gateway):
    clock = Clock()
    _queue(outbox_engine, sealer, now=clock.now)
    sender = NotificationSender(outbox_engine, {"sms": _channel(sms_gateway)}, NoTemplates(), sealer, clock)
    assert sender.run_once() == 1
    assert sms_gateway.received == [
        {
            "to": "+22236123456",
            "text": f"Inscription {RID} traitée. Votre UIN est 4829105736. Conservez-le.",
            "reference": f"{RID}-uin_issued-sms",
        }
    ]
    assert sms_gateway.refused_signatures == 0 and _row(outbox_engine)["status"] == "sent"


def test_arabic_text_arrives_intact(outbox_engine, sealer, sms_gateway):
    clock = Clock()
    _queue(outbox_engine, sealer, now=clock.now, language="ara", event=Event.LOST_UIN_FOUND)
    NotificationSender(outbox_engine, {"sms": _channel(sms_gateway)}, NoTemplates(), sealer, clock).run_once()
    assert sms_gateway.received[0]["text"] == f"الطلب {RID}: رقم هويتك (UIN) هو 4829105736. احتفظ به."


def test_500_is_retried_later_then_sent(outbox_engine, sealer, sms_gateway):
    clock = Clock()
    _queue(outbox_engine, sealer, now=clock.now)
    sms_gateway.statuses = [500]
    sender = NotificationSender(
        outbox_engine, {"sms": _channel(sms_gateway)}, NoTemplates(), sealer, clock, backoff=Backoff(5, 30)
    )
    sender.run_once()
    row = _row(outbox_engine)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"] == 'the SMS gateway answered 500: {"error": "refused by test"}'
    assert sms_gateway.received == [] and sender.run_once() == 0  # not before the backoff
    clock.now += dt.timedelta(seconds=31)
    assert sender.run_once() == 1
    row = _row(outbox_engine)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, None)
    assert len(sms_gateway.received) == 1


def test_400_fails_for_good_and_a_wrong_secret_is_refused(outbox_engine, sealer, sms_gateway):
    clock = Clock()
    _queue(outbox_engine, sealer, now=clock.now)
    sms_gateway.statuses = [400]
    NotificationSender(outbox_engine, {"sms": _channel(sms_gateway)}, NoTemplates(), sealer, clock).run_once()
    row = _row(outbox_engine)
    assert row["status"] == "failed" and row["last_error"].startswith("the SMS gateway answered 400")

    wrong = _channel(sms_gateway, secret="not-the-shared-secret-at-all")
    with pytest.raises(DeliveryError) as refused:
        wrong.send(Message(reference="r", to="+22236123456", subject="", body="hi", language="eng"))
    assert refused.value.permanent and sms_gateway.refused_signatures == 1


def test_429_timeouts_and_no_gateway_are_retried(sms_gateway):
    message = Message(reference="r", to="+22236123456", subject="", body="hi", language="eng")
    sms_gateway.statuses = [429]
    with pytest.raises(DeliveryError) as busy:
        _channel(sms_gateway).send(message)
    assert not busy.value.permanent

    sms_gateway.statuses = [0]  # the gateway never answers
    started = time.monotonic()
    with pytest.raises(DeliveryError) as slow:
        _channel(sms_gateway, timeout_s=0.5).send(message)
    assert not slow.value.permanent and "in time" in str(slow.value) and time.monotonic() - started < 5

    nobody = SmsWebhookChannel(SmsWebhookConfig(url=f"http://127.0.0.1:{free_port()}/sms", secret=SMS_SECRET))
    with pytest.raises(DeliveryError) as down:
        nobody.send(message)
    assert not down.value.permanent


def test_a_huge_error_answer_is_read_bounded(sms_gateway):
    sms_gateway.statuses = [503]
    sms_gateway.reply = b"x" * 1_000_000  # not read past MAX_REPLY_BYTES
    message = Message(reference="r", to="+22236123456", subject="", body="hi", language="eng")
    with pytest.raises(DeliveryError) as error:
        _channel(sms_gateway).send(message)
    assert len(str(error.value)) < 300 and MAX_REPLY_BYTES < 1_000_000


def test_a_sender_killed_mid_send_loses_nothing(outbox_engine, sealer, sms_gateway, tmp_path):
    """The child claims the row (lease 1.5 s) and hangs in the gateway call; SIGKILL it. The row is
    still pending and, once the lease has passed, another sender delivers it."""
    db_url = str(outbox_engine.url)
    _queue(outbox_engine, sealer, now=dt.datetime.now(dt.UTC))
    sms_gateway.statuses = [0]
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.sync_server.notifications.send_child",
            db_url,
            str(tmp_path / "data"),
            sms_gateway.url,
            SMS_SECRET,
            "1.5",
        ],
        cwd=os.getcwd(),
    )
    try:
        assert sms_gateway.started.wait(20), "the child never reached the gateway"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    row = _row(outbox_engine)
    assert (row["status"], row["attempts"]) == ("pending", 1) and row["claim_token"] is not None

    engine = create_engine(db_url)
    survivor = NotificationSender(engine, {"sms": _channel(sms_gateway)}, NoTemplates(), sealer)
    assert survivor.run_once() == 0  # the dead sender's lease still holds
    deadline = time.monotonic() + 10
    while survivor.run_once() == 0:
        assert time.monotonic() < deadline, "the claim never lapsed"
        time.sleep(0.1)
    row = _row(outbox_engine)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert [call["reference"] for call in sms_gateway.received] == [f"{RID}-uin_issued-sms"]
    engine.dispose()

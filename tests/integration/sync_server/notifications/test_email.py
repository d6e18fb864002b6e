"""E-mail notifications end to end: outbox row -> sender -> SmtpChannel -> a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import create_engine, select

from sync_server.notifications import Contact, Event, NoTemplates, NotificationSender, enqueue
from sync_server.notifications.sender import Backoff
from sync_server.notifications.smtp import SmtpChannel, SmtpConfig
from sync_server.notifications.tables import notification_outbox
from tests.integration.sync_server.notifications.conftest import SMTP_PASSWORD, SMTP_USER
from tests.support.ports import free_port

RID = "10002100010000120250101120000"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _sender(engine, sealer, channel, clock=None, templates=None):
    return NotificationSender(
        engine,
        {"email": channel},
        templates or NoTemplates(),
        sealer,
        clock or Clock(),
        backoff=Backoff(max_attempts=3, base_seconds=60),
    )


def _queue(engine, sealer, *, email, event=Event.UIN_ISSUED, language="eng", values=None, now=None):
    with engine.begin() as conn:
        return enqueue(
            conn,
            rid=RID,
            event=event,
            language=language,
            contact=Contact(email=email),
            values=values if values is not None else {"uin": "4829105736", "name": "Amina"},
            sealer=sealer,
            now=now or Clock().now,
        )


def _row(engine):
    with engine.connect() as conn:
        return conn.execute(select(notification_outbox)).mappings().one()


def test_english_uin_letter_arrives_with_subject_and_body(outbox_engine, sealer, smtp_server):
    _queue(outbox_engine, sealer, email="amina@example.org")
    channel = SmtpChannel(
        SmtpConfig(
            host=smtp_server.host, port=smtp_server.port, sender="no-reply@registry.example", security="none"
        )
    )
    assert _sender(outbox_engine, sealer, channel).run_once() == 1

    [mail] = smtp_server.wait(1)
    mail_from, rcpt_tos, _ = smtp_server.messages[0]
    assert (mail_from, rcpt_tos) == ("no-reply@registry.example", ["amina@example.org"])
    assert mail["Subject"] == "Your identity number (UIN) has been issued"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-OpenReg-Reference"] == f"{RID}-uin_issued-email"
    body = mail.get_content()
    assert "Your unique identity number (UIN) is 4829105736." in body and RID in body
    assert "$" not in body and "please do not reply" in body
    row = _row(outbox_engine)
    assert (row["status"], row["attempts"], row["payload"]) == ("sent", 1, b"")  # no personal data kept
    assert row["sent_at"] is not None


def test_arabic_message_arrives_intact(outbox_engine, sealer, smtp_server):
    reason = {"eng": "Document unreadable or missing", "ara": "المستند غير مقروء أو مفقود"}
    _queue(
        outbox_engine,
        sealer,
        email="resident@example.org",
        event=Event.MORE_INFORMATION_NEEDED,
        language="ara",
        values={"reason": reason},
    )
    channel = SmtpChannel(
        SmtpConfig(
            host=smtp_server.host,
            port=smtp_server.port,
            sender="OpenReg <no-reply@registry.example>",
            security="none",
        )
    )
    _sender(outbox_engine, sealer, channel).run_once()

    [mail] = smtp_server.wait(1)
    assert mail["Subject"] == f"مطلوب مزيد من المعلومات لتسجيلك {RID}"
    assert mail.get_content_charset() == "utf-8"
    body = mail.get_content()
    assert "نحتاج إلى مزيد من المعلومات" in body
    assert "المستند غير مقروء أو مفقود" in body and "Document unreadable" not in body
    assert "يُرجى عدم الرد عليها" in body


def test_french_from_master_data_template(outbox_engine, sealer, smtp_server):
    class Templates:
        def template(self, template_id):
            assert template_id == "notify.uin_issued.email"
            return {
                "id": template_id,
                "texts": {"fra": "Votre UIN : $uin ({name})."},
                "subjects": {"fra": "UIN $uin"},
            }

    _queue(
        outbox_engine,
        sealer,
        email="jean@example.org",
        language="fra",
        values={"uin": "4829105736", "name": "Jean {0}"},
    )
    channel = SmtpChannel(
        SmtpConfig(
            host=smtp_server.host, port=smtp_server.port, sender="no-reply@registry.example", security="none"
        )
    )
    _sender(outbox_engine, sealer, channel, templates=Templates()).run_once()
    [mail] = smtp_server.wait(1)
    assert mail["Subject"] == "UIN 4829105736"
    assert mail.get_content().strip() == "Votre UIN : 4829105736 ({name})."


def test_starttls_and_login(outbox_engine, sealer, smtps_server):
    _queue(outbox_engine, sealer, email="amina@example.org")
    config = SmtpConfig(
        host=smtps_server.host,
        port=smtps_server.port,
        sender="no-reply@registry.example",
        security="starttls",
        username=SMTP_USER,
        password=SMTP_PASSWORD,
        ca_file=smtps_server.cafile,
    )
    assert SMTP_PASSWORD not in repr(SmtpChannel(config))
    _sender(outbox_engine, sealer, SmtpChannel(config)).run_once()
    assert smtps_server.wait(1)[0]["Subject"] == "Your identity number (UIN) has been issued"
    assert _row(outbox_engine)["status"] == "sent"


def test_wrong_password_is_retried_not_given_up(outbox_engine, sealer, smtps_server):
    _queue(outbox_engine, sealer, email="amina@example.org")
    config = SmtpConfig(
        host=smtps_server.host,
        port=smtps_server.port,
        sender="no-reply@registry.example",
        username=SMTP_USER,
        password="wrong-password",
        ca_file=smtps_server.cafile,
    )
    _sender(outbox_engine, sealer, SmtpChannel(config)).run_once()
    row = _row(outbox_engine)
    assert row["status"] == "pending" and "login refused" in row["last_error"]
    assert "wrong-password" not in row["last_error"]


def test_refused_recipient_fails_for_good(outbox_engine, sealer, smtp_server):
    _queue(outbox_engine, sealer, email="refused.person@example.org")
    channel = SmtpChannel(
        SmtpConfig(
            host=smtp_server.host, port=smtp_server.port, sender="no-reply@registry.example", security="none"
        )
    )
    _sender(outbox_engine, sealer, channel).run_once()
    row = _row(outbox_engine)
    assert row["status"] == "failed" and row["last_error"].startswith("the recipient was refused: 550")
    assert "refused.person" not in row["last_error"]  # the address is personal data
    assert smtp_server.messages == []


def test_deferred_recipient_and_unreachable_server_are_retried_with_backoff(
    outbox_engine, sealer, smtp_server
):
    clock = Clock()
    _queue(outbox_engine, sealer, email="busy.person@example.org")
    channel = SmtpChannel(
        SmtpConfig(
            host=smtp_server.host, port=smtp_server.port, sender="no-reply@registry.example", security="none"
        )
    )
    sender = _sender(outbox_engine, sealer, channel, clock=clock)
    assert sender.run_once() == 1
    row = _row(outbox_engine)
    assert row["status"] == "pending" and "451" in row["last_error"]
    assert row["next_attempt_at"].replace(tzinfo=dt.UTC) == clock.now + dt.timedelta(seconds=60)
    assert sender.run_once() == 0  # not due yet

    clock.now += dt.timedelta(seconds=61)
    assert sender.run_once() == 1
    assert _row(outbox_engine)["next_attempt_at"].replace(tzinfo=dt.UTC) == clock.now + dt.timedelta(
        seconds=120
    )
    clock.now += dt.timedelta(seconds=121)
    sender.run_once()  # the third attempt is the last one allowed
    row = _row(outbox_engine)
    assert (row["status"], row["attempts"]) == ("failed", 3)

    # Nobody listening: a connection refused is retried, not lost.
    closed = SmtpChannel(
        SmtpConfig(
            host="127.0.0.1",
            port=free_port(),
            sender="no-reply@registry.example",
            security="none",
            timeout_s=2,
        )
    )
    with outbox_engine.begin() as conn:
        enqueue(
            conn,
            rid="R2",
            event=Event.REGISTRATION_RECEIVED,
            language="eng",
            contact=Contact(email="a@example.org"),
            sealer=sealer,
            now=clock.now,
        )
    _sender(outbox_engine, sealer, closed, clock=clock).run_once()
    with outbox_engine.connect() as conn:
        status, error = conn.execute(
            select(notification_outbox.c.status, notification_outbox.c.last_error).where(
                notification_outbox.c.rid == "R2"
            )
        ).one()
    assert status == "pending" and "unreachable" in error


def test_run_until_sends_as_rows_arrive_and_outlives_a_database_fault(
    outbox_engine, sealer, smtp_server, tmp_path, caplog
):
    channel = SmtpChannel(
        SmtpConfig(
            host=smtp_server.host, port=smtp_server.port, sender="no-reply@registry.example", security="none"
        )
    )
    sender = NotificationSender(outbox_engine, {"email": channel}, NoTemplates(), sealer)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run_until, args=(stop,), kwargs={"idle_seconds": 0.05})
    thread.start()
    try:
        _queue(outbox_engine, sealer, email="amina@example.org", now=dt.datetime.now(dt.UTC))
        assert smtp_server.wait(1)[0]["Subject"] == "Your identity number (UIN) has been issued"
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()

    broken = NotificationSender(
        create_engine(f"sqlite:///{tmp_path / 'empty.db'}"), {"email": channel}, NoTemplates(), sealer
    )
    stop = threading.Event()
    thread = threading.Thread(target=broken.run_until, args=(stop,), kwargs={"idle_seconds": 0.05})
    thread.start()
    time.sleep(0.3)
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and "outbox unavailable" in caplog.text

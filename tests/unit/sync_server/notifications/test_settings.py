"""Notification settings: validated, secrets never shown, channels built from them."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine

from sync_server.notifications.sender import Backoff
from sync_server.notifications.settings import NotificationSettings
from sync_server.notifications.sms_webhook import SmsWebhookChannel, SmsWebhookConfig
from sync_server.notifications.smtp import SmtpChannel, SmtpConfig
from sync_server.notifications.templates import NoTemplates

SMTP_PASSWORD = "smtp-Pa55word-never-shown"
SMS_SECRET = "sms-shared-secret-never-shown"
FULL = {
    "smtp_host": "mail.registry.example",
    "smtp_from": "no-reply@registry.example",
    "smtp_from_name": "Civil Registry",
    "smtp_username": "notifier",
    "smtp_password": SMTP_PASSWORD,
    "sms_url": "https://sms.example/api/send",
    "sms_secret": SMS_SECRET,
    "default_language": "fra",
}


def test_secrets_stay_out_of_reprs():
    settings = NotificationSettings.from_mapping(FULL)
    channels = settings.channels()
    shown = (
        repr(settings)
        + str(settings)
        + repr(channels)
        + repr(settings.smtp_config())
        + repr(settings.sms_config())
    )
    assert SMTP_PASSWORD not in shown and SMS_SECRET not in shown
    assert isinstance(channels["email"], SmtpChannel) and isinstance(channels["sms"], SmsWebhookChannel)
    assert channels["email"].config.sender == "Civil Registry <no-reply@registry.example>"


def test_from_env(monkeypatch):
    monkeypatch.setenv("OPENREG_NOTIFY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OPENREG_NOTIFY_SMTP_FROM", "no-reply@registry.example")
    monkeypatch.setenv("OPENREG_NOTIFY_SMTP_SECURITY", "none")
    monkeypatch.setenv("OPENREG_NOTIFY_MAX_ATTEMPTS", "3")
    settings = NotificationSettings.from_env()
    assert (settings.smtp_port, settings.max_attempts, list(settings.channels())) == (587, 3, ["email"])
    sender = settings.sender(engine=create_engine("sqlite://"), templates=NoTemplates(), sealer=None)  # type: ignore[arg-type]
    assert sender.backoff == Backoff(3, 30, 6 * 3600) and sender.lease == dt.timedelta(seconds=300)
    assert settings.channel_names() == ("email",)
    assert NotificationSettings.from_mapping({}).channels() == {}  # nothing configured: rows wait
    assert NotificationSettings.from_mapping(FULL).channel_names() == ("email", "sms")


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"smtp_from": None}, "smtp_from is required"),
        ({"smtp_from": "not an address"}, "smtp_from"),
        ({"smtp_password": None}, "both smtp_username and smtp_password"),
        ({"smtp_security": "none"}, "only sent over TLS"),
        ({"smtp_host": "mail.example\r\nRCPT"}, "smtp_host"),
        ({"sms_secret": None}, "sms_secret is required"),
        ({"sms_secret": "short"}, "at least 16 characters"),
        ({"sms_url": "http://sms.example/api"}, "plain http:// is only allowed"),
        ({"sms_url": "https://user:pw@sms.example/api"}, "no credentials"),
        ({"sms_url": "ftp://sms.example/api"}, "must be https"),
        ({"default_language": "English"}, "language"),
        ({"lease_s": 60}, "lease_s must exceed"),
        ({"backoff_base_s": 100, "backoff_cap_s": 10}, "backoff_cap_s"),
        ({"smtp_ca_file": "/nonexistent/ca.pem"}, "is not a file"),
        ({"unknown_option": 1}, "unknown_option"),
    ],
)
def test_bad_settings_are_refused_clearly(change, complaint):
    with pytest.raises(ValidationError) as refused:
        NotificationSettings.from_mapping({**FULL, **change})
    assert complaint in str(refused.value)
    assert SMTP_PASSWORD not in str(refused.value) and SMS_SECRET not in str(refused.value)


def test_plain_http_to_a_gateway_on_this_machine_is_allowed():
    for url in ("http://127.0.0.1:8080/sms", "http://localhost/sms", "http://[::1]:9/sms"):
        assert SmsWebhookConfig(url=url, secret=SMS_SECRET).url == url


def test_smtp_config_rules():
    with pytest.raises(ValueError, match="both"):
        SmtpConfig(host="h", sender="a@b.example", username="u")
    with pytest.raises(ValueError, match="security"):
        SmtpConfig(host="h", sender="a@b.example", security="tls")  # type: ignore[arg-type]


def test_backoff_doubles_up_to_its_cap():
    backoff = Backoff(max_attempts=4, base_seconds=30, cap_seconds=100)
    assert [backoff.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]
    assert [backoff.gives_up(n) for n in (3, 4)] == [False, True]
    with pytest.raises(ValueError):
        Backoff(max_attempts=0)

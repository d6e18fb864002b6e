"""Notification settings: one validated object, from ``OPENREG_NOTIFY_*`` environment variables or a
mapping, built by the composition root (never at import). Secrets are ``SecretStr``: a repr, a log
line or an error shows ``**********``.

E-mail is on when ``smtp_host`` is set, SMS when ``sms_url`` is set; with neither, notifications are
still queued in the outbox and sent once a channel is configured.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy import Engine

from sync_server.notifications.channels import Channel
from sync_server.notifications.events import ContactInvalid, check_language, normalize_email
from sync_server.notifications.sealing import Sealer
from sync_server.notifications.sender import Backoff, NotificationSender
from sync_server.notifications.sms_webhook import SmsWebhookChannel, SmsWebhookConfig
from sync_server.notifications.smtp import SmtpChannel, SmtpConfig
from sync_server.notifications.templates import TemplateSource

# Set while ``from_mapping`` builds settings: read the given values only, not the environment.
_MAPPING_ONLY: ContextVar[bool] = ContextVar("notification_settings_mapping_only", default=False)


class NotificationSettings(BaseSettings):
    """``OPENREG_NOTIFY_<NAME>`` environment variables (e.g. ``OPENREG_NOTIFY_SMTP_HOST``)."""

    model_config = SettingsConfigDict(env_prefix="OPENREG_NOTIFY_", extra="forbid")

    default_language: str = Field(default="eng", description="used when a resident's language has no text")
    smtp_host: str | None = Field(default=None, max_length=253, pattern=r"^[A-Za-z0-9._:-]+$")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_from: str | None = Field(
        default=None, max_length=320, description="From: e.g. no-reply@registry.example"
    )
    smtp_from_name: str | None = Field(default=None, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")
    smtp_username: str | None = Field(default=None, max_length=256)
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=20, gt=0, le=120)
    smtp_ca_file: Path | None = Field(default=None, description="PEM CA for a private relay's certificate")
    sms_url: str | None = Field(default=None, max_length=2000, description="the SMS gateway's webhook")
    sms_secret: SecretStr | None = Field(default=None, description="shared secret signing each webhook call")
    sms_timeout_s: float = Field(default=10, gt=0, le=120)
    sms_ca_file: Path | None = None
    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff_base_s: float = Field(default=30, ge=0, le=86_400)
    backoff_cap_s: float = Field(default=6 * 3600, ge=0, le=7 * 86_400)
    lease_s: float = Field(default=300, gt=0, le=86_400, description="a claimed message is resent after this")
    idle_s: float = Field(default=5, gt=0, le=3600, description="rest this long when nothing is due")

    @model_validator(mode="after")
    def _consistent(self) -> NotificationSettings:
        check_language(self.default_language)
        if self.smtp_host is not None:
            if not self.smtp_from:
                raise ValueError("smtp_from is required with smtp_host")
            try:
                normalize_email(self.smtp_from)
            except ContactInvalid as exc:
                raise ValueError(f"smtp_from: {exc}") from None
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("give both smtp_username and smtp_password, or neither")
        if self.sms_url is not None and self.sms_secret is None:
            raise ValueError("sms_secret is required with sms_url")
        if self.backoff_cap_s < self.backoff_base_s:
            raise ValueError("backoff_cap_s must be at least backoff_base_s")
        # The lease must outlast one send, or a slow send is taken over and goes out twice.
        worst_send = max(self.smtp_timeout_s * 8, self.sms_timeout_s * 2)
        if self.lease_s <= worst_send:
            raise ValueError(f"lease_s must exceed {worst_send:g} s (the longest a send can take)")
        for path in (self.smtp_ca_file, self.sms_ca_file):
            if path is not None and not path.is_file():
                raise ValueError(f"{path} is not a file")
        self.smtp_config()  # the adapters' configs check the rest
        self.sms_config()  # (URL scheme, secret length, TLS for passwords)
        return self

    @classmethod
    def from_env(cls) -> NotificationSettings:
        return cls()

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> NotificationSettings:
        """From a mapping alone (e.g. a config file section); the environment is not read."""
        token = _MAPPING_ONLY.set(True)
        try:
            return cls(**dict(values))
        finally:
            _MAPPING_ONLY.reset(token)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,) if _MAPPING_ONLY.get() else (init_settings, env_settings)

    def smtp_config(self) -> SmtpConfig | None:
        if self.smtp_host is None or self.smtp_from is None:
            return None
        sender = f"{self.smtp_from_name} <{self.smtp_from}>" if self.smtp_from_name else self.smtp_from
        return SmtpConfig(
            host=self.smtp_host,
            port=self.smtp_port,
            sender=sender,
            security=self.smtp_security,
            username=self.smtp_username,
            password=self.smtp_password.get_secret_value() if self.smtp_password else None,
            timeout_s=self.smtp_timeout_s,
            ca_file=self.smtp_ca_file,
        )

    def sms_config(self) -> SmsWebhookConfig | None:
        if self.sms_url is None or self.sms_secret is None:
            return None
        return SmsWebhookConfig(
            url=self.sms_url,
            secret=self.sms_secret.get_secret_value(),
            timeout_s=self.sms_timeout_s,
            ca_file=self.sms_ca_file,
        )

    def channel_names(self) -> tuple[str, ...]:
        """The channels configured (for ``outbox.enqueue(channels=...)``), without building adapters."""
        names = ("email",) if self.smtp_host is not None else ()
        return names + (("sms",) if self.sms_url is not None else ())

    def channels(self) -> dict[str, Channel]:
        """The configured channel adapters by name (``email``, ``sms``)."""
        channels: dict[str, Channel] = {}
        if (smtp := self.smtp_config()) is not None:
            channels["email"] = SmtpChannel(smtp)
        if (sms := self.sms_config()) is not None:
            channels["sms"] = SmsWebhookChannel(sms)
        return channels

    def sender(self, *, engine: Engine, templates: TemplateSource, sealer: Sealer) -> NotificationSender:
        """The sender with these settings' channels, backoff and lease."""
        return NotificationSender(
            engine,
            self.channels(),
            templates,
            sealer,
            default_language=self.default_language,
            backoff=Backoff(self.max_attempts, self.backoff_base_s, self.backoff_cap_s),
            lease=dt.timedelta(seconds=self.lease_s),
        )

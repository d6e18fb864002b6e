"""The e-mail adapter: one UTF-8 text message per notification over SMTP (stdlib ``smtplib``).

Security is ``starttls`` (the default; port 587), ``ssl`` (implicit TLS; port 465) or ``none`` (a
relay on the same host or network only). Certificates are verified against the system's CAs, or
against ``ca_file`` for a private relay. A connection is opened per message: notifications come in
small numbers per packet, and a fresh connection never inherits a half-broken session.

Failures map to :class:`DeliveryError`: a 5xx refusal of the recipient or the message is permanent;
4xx answers, timeouts, refused connections and configuration faults (login refused, no STARTTLS) are
retried with backoff, since fixing the settings makes them pass.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal

from sync_server.notifications.channels import DeliveryError, Message

Security = Literal["starttls", "ssl", "none"]
MAX_REPLY_CHARS = 200


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send; ``password`` never appears in a repr, log or error."""

    host: str
    sender: str  # the From address, e.g. "OpenReg <no-reply@registry.example>"
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "ssl", "none"):
            raise ValueError("security must be starttls, ssl or none")
        if not 0 < self.port < 65536:
            raise ValueError("port must be 1 to 65535")
        if (self.username is None) != (self.password is None):
            raise ValueError("give both an SMTP username and password, or neither")
        if self.username is not None and self.security == "none":
            raise ValueError("an SMTP password is only sent over TLS (security starttls or ssl)")
        if not 0 < self.timeout_s <= 600:
            raise ValueError("timeout_s must be in (0, 600]")


class SmtpChannel:
    """:class:`~sync_server.notifications.channels.Channel` over SMTP."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)

    def __repr__(self) -> str:
        return f"SmtpChannel({self.config!r})"

    def build(self, message: Message) -> EmailMessage:
        """The e-mail for ``message``: UTF-8 text, subject encoded as RFC 2047 where needed."""
        mail = EmailMessage()
        mail["From"] = self.config.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        domain = self.config.sender.rpartition("@")[2].rstrip(">").strip() or None
        mail["Message-ID"] = make_msgid(idstring=message.reference.replace("/", "-"), domain=domain)
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a notification
        mail["X-OpenReg-Reference"] = message.reference
        mail.set_content(message.body, charset="utf-8")
        return mail

    def send(self, message: Message) -> None:
        mail = self.build(message)
        try:
            with self._connect() as smtp:
                if self.config.username is not None and self.config.password is not None:
                    smtp.login(self.config.username, self.config.password)
                smtp.send_message(mail, to_addrs=[message.to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (0, b""))
            raise _refusal("the recipient was refused", code, reply, message.to) from None
        except smtplib.SMTPDataError as exc:
            raise _refusal("the message was refused", exc.smtp_code, exc.smtp_error, message.to) from None
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryError(
                f"the sender address was refused ({exc.smtp_code}); check smtp_from", permanent=False
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"SMTP login refused ({exc.smtp_code}); check smtp_username and smtp_password",
                permanent=False,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError("the SMTP server does not offer STARTTLS or AUTH", permanent=False) from None
        except smtplib.SMTPResponseException as exc:
            raise _refusal("the SMTP server answered", exc.smtp_code, exc.smtp_error, message.to) from None
        except ssl.SSLError as exc:
            raise DeliveryError(f"TLS with the SMTP server failed: {exc.reason}", permanent=False) from None
        except (OSError, smtplib.SMTPException) as exc:  # refused, reset, timed out, disconnected
            raise DeliveryError(f"SMTP server unreachable: {type(exc).__name__}", permanent=False) from None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.security == "ssl":
            return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout_s, context=self._context)
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
        if config.security == "starttls":
            try:
                smtp.starttls(context=self._context)
                smtp.ehlo()
            except BaseException:
                smtp.close()
                raise
        return smtp


def _refusal(what: str, code: int, reply: bytes | str, recipient: str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    text = " ".join(text.replace(recipient, "<recipient>").split())[:MAX_REPLY_CHARS]
    return DeliveryError(f"{what}: {code} {text}".strip(), permanent=500 <= code < 600)

"""Resident notifications: an outbox filled in the processing transaction, a sender that delivers it
through channel adapters (SMTP e-mail, an SMS gateway's webhook), and message templates per language
(master data ``templates`` rows ``notify.<event>.<channel>``, with built-in eng/fra/ara texts).

The composition root wires it (see docs/notifications.md): ``NotificationSettings`` gives the
channels, ``KeyringSealer`` seals addresses under the data key, ``MasterDataTemplates`` reads the
templates, and ``NotificationSender.run_until`` runs on a thread of the worker process.
"""

from sync_server.notifications.channels import Channel, DeliveryError, Message
from sync_server.notifications.events import ChannelName, Contact, ContactInvalid, Event, ValuesInvalid
from sync_server.notifications.notifier import OutboxNotifier
from sync_server.notifications.outbox import enqueue, retry_failed
from sync_server.notifications.sealing import KeyringSealer, Sealer, SealError
from sync_server.notifications.sender import Backoff, NotificationSender
from sync_server.notifications.templates import NoTemplates, TemplateSource

__all__ = [
    "Backoff",
    "Channel",
    "ChannelName",
    "Contact",
    "ContactInvalid",
    "DeliveryError",
    "Event",
    "KeyringSealer",
    "Message",
    "NoTemplates",
    "NotificationSender",
    "OutboxNotifier",
    "SealError",
    "Sealer",
    "TemplateSource",
    "ValuesInvalid",
    "enqueue",
    "retry_failed",
]

"""Which notification a packet's outcome sends the resident, and to which contact.

The contact comes from the demographics the outcome concerns: the packet's for a new registration
and a correction, the identity after the change for an update, the stored identity for a found
lost UIN (its registered contact, not whatever the requester typed). Field names are configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync_server.processing.pipeline import PacketContext

EVENT_OF_FLOW = {"new": "uin_issued", "update": "update_applied", "lost": "lost_uin_found"}


@dataclass(frozen=True)
class NoticeFields:
    email: str = "email"
    phone: str = "phone"
    name: str = "fullName"


@dataclass(frozen=True)
class Notice:
    event: str
    language: str | None
    email: Any
    phone: Any
    values: dict[str, Any]


def name_in(value: Any, language: str | None) -> str | None:
    """A plain name, or the ``[{"language", "value"}]`` entry in ``language`` (else the first)."""
    if isinstance(value, list):
        entries = [v for v in value if isinstance(v, Mapping)]
        chosen = next((v for v in entries if v.get("language") == language), entries[0] if entries else {})
        return str(chosen.get("value", "")) or None
    return str(value) if value else None


def notice_for(status: str, context: PacketContext, fields: NoticeFields = NoticeFields()) -> Notice | None:
    """The notice for ``status`` (the queue status the worker stored), or None."""
    packet = context.values.get("packet")
    if packet is None:
        return None  # not decrypted: no contact to write to
    flow = context.values.get("flow", "new")
    if status == "processed":
        event = EVENT_OF_FLOW.get(flow)
    elif status == "rejected":
        event = "rejected"
    elif status == "held":
        event = "registration_received"
    else:
        event = None
    if event is None:
        return None
    demographics = context.values.get("contact") or packet.demographics
    language = context.values.get("resident", {}).get("resident_language")
    values = {
        "rid": context.rid,
        "uin": context.values.get("uin"),
        "name": name_in(demographics.get(fields.name), language),
    }
    return Notice(
        event,
        language,
        demographics.get(fields.email),
        demographics.get(fields.phone),
        {k: v for k, v in values.items() if v},
    )

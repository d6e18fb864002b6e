"""What a resident is told about and where: the events, the contact (validated) and the message values.

Everything here comes from a packet the kiosk captured, so every value is bounded and checked before
it reaches the outbox: an e-mail address that looks like one (ASCII local part, a dotted domain, an
internationalised domain turned into its IDNA form), a phone number in E.164 (``+`` and 7 to 15
digits), and message values that are short plain text.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Event(StrEnum):
    """A moment of a registration's life the resident hears about."""

    REGISTRATION_RECEIVED = "registration_received"
    UIN_ISSUED = "uin_issued"
    UPDATE_APPLIED = "update_applied"
    MORE_INFORMATION_NEEDED = "more_information_needed"
    LOST_UIN_FOUND = "lost_uin_found"
    REJECTED = "rejected"


class ChannelName(StrEnum):
    EMAIL = "email"
    SMS = "sms"


MAX_EMAIL = 254  # RFC 5321's path limit
MAX_LOCAL_PART = 64
MAX_VALUE_CHARS = 500
MAX_VALUES = 20
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_PHONE_SEPARATORS = re.compile(r"[ \-.()\u00a0]")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_VALUE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_RID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ContactInvalid(ValueError):
    """An e-mail address or phone number that cannot be used; ``field`` is ``email`` or ``phone``.
    The message names the rule broken, never the value (it is personal data)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class ValuesInvalid(ValueError):
    """Message values the outbox refuses (unknown shape, too long, control characters)."""


def normalize_email(value: str) -> str:
    """The address in the form the outbox keeps (IDNA domain, lower-case domain); raises ContactInvalid."""
    text = value.strip()
    if not text or len(text) > MAX_EMAIL:
        raise ContactInvalid("email", f"must be 1 to {MAX_EMAIL} characters")
    name, address = email.utils.parseaddr(text)
    if name or address != text or text.count("@") != 1:
        raise ContactInvalid("email", "must be a bare address such as name@example.org")
    local, domain = text.rsplit("@", 1)
    if not local or len(local) > MAX_LOCAL_PART or not _LOCAL_PART.match(local):
        raise ContactInvalid(
            "email", "the part before @ must be 1 to 64 ASCII letters, digits or .!#$%&'*+/=?^_`{|}~-"
        )
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise ContactInvalid("email", "the part before @ has a misplaced dot")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ContactInvalid("email", "the domain is not a valid (internationalised) domain name") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ContactInvalid("email", "the domain must be a name such as example.org")
    address = f"{local}@{ascii_domain}"
    if len(address) > MAX_EMAIL:
        raise ContactInvalid("email", f"must be at most {MAX_EMAIL} characters")
    return address


def normalize_phone(value: str) -> str:
    """``+`` and digits (E.164); spaces, dashes, dots and brackets are dropped. Raises ContactInvalid."""
    if len(value) > 32:
        raise ContactInvalid("phone", "is longer than 32 characters")
    text = _PHONE_SEPARATORS.sub("", value.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if not _E164.match(text):
        raise ContactInvalid(
            "phone", "must be in international form: + country code and number, 8 to 16 characters"
        )
    return text


@dataclass(frozen=True)
class Contact:
    """Where a resident can be reached; both parts optional, both validated (and normalised) on
    construction, raising :class:`ContactInvalid`."""

    email: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        if self.email is not None:
            object.__setattr__(self, "email", normalize_email(self.email))
        if self.phone is not None:
            object.__setattr__(self, "phone", normalize_phone(self.phone))

    @classmethod
    def keep_valid(cls, *, email: str | None = None, phone: str | None = None) -> tuple[Contact, list[str]]:
        """A contact of the parts that are valid, and the problems of the others: for processing,
        where a mistyped address must not stop the packet (the problems hold no personal data)."""
        problems: list[str] = []
        kept: dict[str, str] = {}
        for field, value, check in (("email", email, normalize_email), ("phone", phone, normalize_phone)):
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if not isinstance(value, str):
                problems.append(f"{field}: must be text")
                continue
            try:
                kept[field] = check(value)
            except ContactInvalid as exc:
                problems.append(str(exc))
        return cls(**kept), problems

    def addresses(self) -> dict[ChannelName, str]:
        """The address per channel this contact has."""
        found = {ChannelName.EMAIL: self.email, ChannelName.SMS: self.phone}
        return {channel: address for channel, address in found.items() if address}


def check_language(language: str) -> str:
    """A language code as master data writes them (``eng``, ``ara``, ``fr-CA``); raises ValueError."""
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise ValueError("language must be a code such as eng, fra or ara")
    return language


def check_rid(rid: str) -> str:
    if not isinstance(rid, str) or not _RID.match(rid):
        raise ValuesInvalid("rid must be 1 to 64 letters, digits, - or _")
    return rid


def _check_text(key: str, text: Any) -> str:
    if not isinstance(text, str):
        raise ValuesInvalid(f"value {key!r} must be text")
    if len(text) > MAX_VALUE_CHARS:
        raise ValuesInvalid(f"value {key!r} is longer than {MAX_VALUE_CHARS} characters")
    if _CONTROL.search(text):
        raise ValuesInvalid(f"value {key!r} holds control characters")
    return text


def check_values(rid: str, values: Mapping[str, Any] | None) -> dict[str, Any]:
    """The values a template may use, checked: ``rid`` always; ``uin``, ``name``, ``reason`` and
    others optional. A value is text, or ``{language: text}`` (e.g. a reason in each language, so it
    follows whichever template language is used); ``None`` values are dropped."""
    checked: dict[str, Any] = {"rid": check_rid(rid)}
    given = dict(values or {})
    if len(given) > MAX_VALUES:
        raise ValuesInvalid(f"at most {MAX_VALUES} values")
    for key, value in given.items():
        if not isinstance(key, str) or not _VALUE_KEY.match(key):
            raise ValuesInvalid("value names are lower-case letters, digits and _ (at most 32)")
        if value is None or key == "rid":
            continue
        if isinstance(value, Mapping):
            if not value or len(value) > MAX_VALUES:
                raise ValuesInvalid(f"value {key!r} must hold 1 to {MAX_VALUES} languages")
            checked[key] = {check_language(lang): _check_text(key, text) for lang, text in value.items()}
        else:
            checked[key] = _check_text(key, value)
    return checked

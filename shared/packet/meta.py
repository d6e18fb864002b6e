"""``meta.json``: who, where, when and with which keys a packet was made (docs/packet-format.md §4).

:class:`PacketMeta` is the one description of it: the kiosk builds one, the builder checks every meta
dict it writes against it (:func:`check_meta`), and the reader parses meta into it once
(:func:`read_meta`) so the server's stages read attributes instead of guessing keys.

Unknown keys: a reader ignores them (a newer kiosk's packet still opens on an older server; they stay
visible in ``PacketContents.meta``, the dict as written), a writer refuses them (a new key is added
here first). A ``meta.json`` over :data:`MAX_META_BYTES` is refused. Every key a kiosk
has ever written is here; those that older packets lack are optional with the default the server
always used for them. Times are kept as the ISO 8601 strings written, so a packet's bytes never
depend on how a datetime is re-serialised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from shared.packet.errors import InvalidContents, MalformedPacket

MAX_META_BYTES = 256 * 1024  # meta.json as read; a kiosk's is under 2 KiB, the field bounds allow ~70 KiB

_TEXT = r"^[^\x00-\x1f\x7f]*$"  # no control characters: these values reach the database
Text = Annotated[str, Field(max_length=200, pattern=_TEXT)]  # 200: master data's id limit
# Typed or scanned by the operator, unchecked by the kiosk and unread by the server: bounded only.
FreeText = Annotated[str, Field(max_length=4096)]


def _iso_time(value: str) -> str:
    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))  # ValueError -> validation error
    return value


IsoTime = Annotated[str, Field(max_length=40), AfterValidator(_iso_time)]


class ConsentMeta(BaseModel):
    """Which consent text the applicant agreed to: the ``templates`` row, the languages on screen and
    ``shared.forms.consent_digest`` of those texts (docs/forms.md, Consent)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    template_id: Text
    languages: list[Annotated[str, Field(max_length=16, pattern=r"^[a-z]{2,8}$")]] = Field(
        min_length=1, max_length=8
    )
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class PacketMeta(BaseModel):
    """The parsed ``meta.json`` of a packet; immutable. Build with keywords, read with :func:`read_meta`."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    # Written by the kiosk.
    rid: str = Field(pattern=r"^[0-9]{29}$", description="registration ID (shared.rid)")
    center_id: Text | None = None
    machine_id: Text | None = None
    operator_id: Text | None = None
    supervisor_id: Text | None = Field(default=None, description="who approved at the kiosk, if anyone")
    approval_reasons: list[Text] = Field(default_factory=list, max_length=16)
    started_at: IsoTime | None = Field(default=None, description="when the operator started: capture time")
    signed_off_at: IsoTime | None = None
    software_version: Text | None = None
    id_schema_id: Text = "default"  # no kiosk writes it yet: every packet is of the default schema
    id_schema_version: int = 0  # any integer master data holds (shared.forms.schema), looked up as is
    ui_spec_version: int | None = None
    prereg_id: FreeText | None = None
    retries: dict[Text, Annotated[int, Field(ge=0)]] = Field(default_factory=dict, max_length=16)
    flow: Literal["new", "update", "lost", "correction"] = "new"
    # update: whose identity changes and which groups of the ID schema (demographic groups,
    # "documents", "biometrics") the packet carries; biometrics outside "biometrics" authenticate.
    uin: str | None = Field(default=None, pattern=r"^[0-9]{6,32}$")
    update_groups: list[Text] = Field(default_factory=list, max_length=32)
    # correction: the held packet whose request for more information this packet answers.
    correction_of: str | None = Field(default=None, pattern=r"^[0-9]{29}$")
    consent: ConsentMeta | None = Field(default=None, description="absent in older kiosks' packets")
    # Set by the builder (shared.packet.builder.with_sealing_meta), whatever the kiosk passed.
    format: Literal["openreg-packet"] | None = None
    version: int | None = None
    machine_key_id: Text | None = None
    machine_public_key: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9+/=]*$")
    recipient_key_id: Text | None = None
    recipient_key_ids: list[Text] = Field(default_factory=list, max_length=8)
    sealed_at: IsoTime | None = None

    def captured_at(self) -> dt.datetime | None:
        """Capture time as aware UTC: ``started_at``, else sign-off, else sealing; None if none is set."""
        raw = self.started_at or self.signed_off_at or self.sealed_at
        if raw is None:
            return None
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    def as_written(self) -> dict[str, Any]:
        """The meta dict to put in ``PacketContents``: the fields given, as given (None included)."""
        return self.model_dump(mode="json", exclude_unset=True)


def _problems(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'meta'}: {e['msg']}" for e in error.errors()[:5])


def read_meta(raw: object) -> PacketMeta:
    """Parse a packet's meta object, ignoring unknown keys; :class:`MalformedPacket` if it is not valid."""
    if not isinstance(raw, Mapping):
        raise MalformedPacket("meta.json must be an object")
    try:
        return PacketMeta.model_validate(raw)
    except ValidationError as exc:
        raise MalformedPacket(f"meta.json is not valid packet meta: {_problems(exc)}") from None


def check_meta(raw: Mapping[str, Any]) -> None:
    """Refuse meta a builder must not write: unknown keys, wrong types, out of bounds. (Within the
    bounds, meta stays below :data:`MAX_META_BYTES`, so what a builder writes a reader opens.)"""
    unknown = sorted(set(raw) - set(PacketMeta.model_fields))
    if unknown:
        raise InvalidContents(f"meta keys not in PacketMeta: {', '.join(map(str, unknown))[:200]}")
    try:
        PacketMeta.model_validate(raw)
    except ValidationError as exc:
        raise InvalidContents(f"meta is not valid packet meta: {_problems(exc)}") from None

"""The processing stages, in order: verify, decrypt, validate, actors, dedupe, uin, idstore.

Reason codes (stable, shown on the kiosk): tampered, unknown_machine, undecryptable, invalid_packet,
unknown_schema, invalid_demographics, missing_document, missing_biometrics, exception_not_approved,
inactive_machine, inactive_operator, inactive_supervisor, capture_in_future, duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.files import sha256_file
from shared.forms.engine import FormEngine
from shared.forms.schema import FormSpecError, load_id_schema
from shared.rid import RidError, parse_rid
from shared.sync import MAX_CAPTURE_CLOCK_SKEW
from sync_server.ports import BlobIn, DuplicateIdentity, IdentityWriter
from sync_server.processing.dedupe import DedupeConfig, DedupeKeyError, blocking_text, dedupe_key
from sync_server.processing.packet_view import PacketView, from_opened
from sync_server.processing.pipeline import PacketContext, Rejection
from sync_server.processing.ports import MasterDataHistory, PacketOpener, ReceivedPackets
from sync_server.services.clock import utcnow

if TYPE_CHECKING:  # shared.packet (and pyrage) load only when the first packet is opened
    from shared.packet.meta import PacketMeta

# PacketError subclass names (shared.packet) -> reason code; anything else PacketError: invalid_packet.
_PACKET_ERROR_CODES = {
    "BadSignature": "tampered",
    "HashMismatch": "tampered",
    "TruncatedPacket": "tampered",
    "DecryptionFailed": "undecryptable",
}


def _machine_id_from_rid(rid: str) -> str:
    # RID = center(5) + machine(5) + sequence + timestamp (shared.rid)
    try:
        return f"{parse_rid(rid).machine_id:05d}"
    except RidError as exc:
        raise Rejection("invalid_packet", f"not a registration ID: {exc}") from exc


def _active(row: Mapping[str, Any] | None) -> bool:
    return row is not None and row.get("active", True) is not False


@dataclass
class VerifyStage:
    """Outer checks before decrypting: the file is the one registered (hash, size), machine known."""

    packets: ReceivedPackets
    master: MasterDataHistory
    name: str = "verify"

    def run(self, context: PacketContext) -> None:
        path = self.packets.blob_path(context.rid)
        expected_sha, expected_size = self.packets.registered(context.rid)
        if sha256_file(path) != (expected_sha, expected_size):
            raise Rejection("tampered", "the uploaded file does not match the registered hash and size")
        machine_id = _machine_id_from_rid(context.rid)
        machine = self.master.entity_at("machines", machine_id, utcnow())
        key = (machine or {}).get("public_key") or (machine or {}).get("signing_public_key")
        if machine is None or not key:
            raise Rejection("unknown_machine", f"machine {machine_id} is not enrolled on this server")
        context.values.update(path=path, machine_id=machine_id, machine=dict(machine), machine_key=key)


@dataclass
class DecryptStage:
    """Decrypt with the server identity (any key id still held) and verify the machine signature."""

    opener: PacketOpener
    name: str = "decrypt"

    def run(self, context: PacketContext) -> None:
        try:
            opened = self.opener(context.values["path"], machine_public_key=context.values["machine_key"])
        except Exception as exc:
            if not any(cls.__name__ == "PacketError" for cls in type(exc).__mro__):
                raise  # not a verdict on the packet (I/O, bug): the stage fails and is retried
            code = next(
                (
                    _PACKET_ERROR_CODES[c.__name__]
                    for c in type(exc).__mro__
                    if c.__name__ in _PACKET_ERROR_CODES
                ),
                "invalid_packet",
            )
            raise Rejection(code, str(exc)) from exc
        view = opened if isinstance(opened, PacketView) else from_opened(opened)
        if view.meta.rid != context.rid:
            raise Rejection("tampered", "the RID inside the packet differs from the uploaded RID")
        context.values["packet"] = view


def _approved_by_supervisor(meta: PacketMeta) -> bool:
    # The kiosk records the approving supervisor (password + TOTP checked offline) in meta; the
    # actors stage then checks that this user really was an active supervisor at that center.
    return bool(meta.supervisor_id)


@dataclass
class ValidateStage:
    """Validate demographics against the ID schema version named in the packet; required documents
    and biometric modalities present; any exception backed by a supervisor approval."""

    master: MasterDataHistory
    name: str = "validate"

    def run(self, context: PacketContext) -> None:
        packet: PacketView = context.values["packet"]
        schema_id, version = packet.meta.id_schema_id, packet.meta.id_schema_version
        raw = self.master.id_schema(schema_id, version)
        if raw is None:
            raise Rejection("unknown_schema", f"ID schema {schema_id} version {version} is not known")
        try:
            schema = load_id_schema(dict(raw))
        except FormSpecError as exc:
            raise RuntimeError(f"stored ID schema {schema_id} v{version} does not load: {exc}") from exc
        values = dict(packet.demographics)
        by_category = {d.category: d for d in packet.documents if d.data}
        modalities = {b.modality for b in packet.biometrics}
        excepted = {b.modality for b in packet.biometrics if b.exception}
        excepted |= {str(e.get("modality")) for e in packet.exceptions if isinstance(e, Mapping)}
        for field_id, spec in schema.fields.items():
            # Document and biometric fields count only what the packet really carries, whatever the
            # demographics claim. The kiosk files documents under the field id; others may use the category.
            if spec.type == "document":
                document = by_category.get(field_id) or (
                    by_category.get(spec.category) if spec.category else None
                )
                values[field_id] = (document.name or document.type) if document else None
            if spec.type == "biometrics":
                values[field_id] = sorted(modalities | excepted) or None
        engine = FormEngine(schema=schema)
        result = engine.validate(values, language="eng")
        kinds = {k: (schema.fields[k].type if k in schema.fields else "unknown") for k in result.errors}
        # Demographic errors first: a wrong date of birth can make documents "missing" as a consequence.
        demographic = {k: v for k, v in result.errors.items() if kinds[k] not in ("document", "biometrics")}
        if demographic:
            raise Rejection(
                "invalid_demographics", "; ".join(f"{k}: {v}" for k, v in sorted(demographic.items()))
            )
        for field_id, message in result.errors.items():
            code = "missing_document" if kinds[field_id] == "document" else "missing_biometrics"
            raise Rejection(code, message)
        for field_id, spec in schema.fields.items():
            if spec.type == "biometrics" and engine.is_required(field_id, values):
                missing = set(spec.modalities) - modalities - excepted
                if missing:
                    raise Rejection(
                        "missing_biometrics", f"no {', '.join(sorted(missing))} capture or exception"
                    )
        if (packet.exceptions or excepted) and not _approved_by_supervisor(packet.meta):
            raise Rejection(
                "exception_not_approved", "biometric/document exceptions need a supervisor approval"
            )
        context.values["schema"] = f"{schema_id}@{version}"


@dataclass
class ActorsStage:
    """Operator, supervisor and machine were active at the packet's center at capture time."""

    master: MasterDataHistory
    name: str = "actors"

    def run(self, context: PacketContext) -> None:
        packet: PacketView = context.values["packet"]
        try:
            at = packet.meta_time()
        except (TypeError, ValueError) as exc:
            raise Rejection("invalid_packet", f"packet has no capture time: {exc}") from exc
        if at > utcnow() + MAX_CAPTURE_CLOCK_SKEW:  # a kiosk clock far ahead, or a forgery
            raise Rejection("capture_in_future", f"capture time {at.isoformat()} is in the future")
        center = packet.meta.center_id or ""
        machine = self.master.entity_at("machines", context.values["machine_id"], at)
        if not _active(machine) or str(machine.get("center_id", center)) != center:
            raise Rejection(
                "inactive_machine",
                f"machine {context.values['machine_id']} was not active at center {center}",
            )
        checks = [("operator", packet.meta.operator_id, "inactive_operator")]
        if packet.meta.supervisor_id or packet.exceptions:
            checks.append(("supervisor", packet.meta.supervisor_id, "inactive_supervisor"))
        for role, user_id, code in checks:
            user = self.master.entity_at("users", str(user_id or ""), at) if user_id else None
            scoped = user is not None and user.get("center_id") in (None, center)
            if not (_active(user) and scoped and role in (user.get("roles") or [])):
                raise Rejection(
                    code, f"{role} {user_id or '(none)'} was not an active {role} at center {center} then"
                )
        context.values.update(center_id=center, operator_id=str(packet.meta.operator_id))


@dataclass
class DedupeStage:
    """Demographic dedupe against the ID store (which holds only keyed hashes of the keys)."""

    store: IdentityWriter
    config: DedupeConfig
    name: str = "dedupe"

    def run(self, context: PacketContext) -> None:
        packet: PacketView = context.values["packet"]
        try:
            key = dedupe_key(packet.demographics, config=self.config)
            blocking = blocking_text(packet.demographics, config=self.config)
        except (DedupeKeyError, ValueError) as exc:
            raise Rejection("invalid_demographics", f"cannot dedupe: {exc}") from exc
        match = self.store.find_by_dedupe_key(key)
        if match is not None and match[1] != context.rid:  # our own identity after a crash is not a duplicate
            raise Rejection("duplicate", f"duplicate of UIN {match[0]}")
        context.values["dedupe_key"] = key
        context.values["blocking_text"] = blocking


@dataclass
class UinStage:
    store: IdentityWriter
    name: str = "uin"

    def run(self, context: PacketContext) -> None:
        context.values["uin"] = self.store.issue_uin(rid=context.rid)


@dataclass
class IdStoreStage:
    store: IdentityWriter
    name: str = "idstore"

    def run(self, context: PacketContext) -> None:
        packet: PacketView = context.values["packet"]
        blobs = [
            BlobIn(
                "document",
                f"{d.category}:{d.name or d.type}",
                d.content_type,
                d.data,
                {"type": d.type, "category": d.category},
            )
            for d in packet.documents
        ]
        blobs += [
            BlobIn(
                "biometric",
                f"{b.modality}:{b.subtype}",
                "application/octet-stream",
                b.data,
                {"modality": b.modality, "subtype": b.subtype, "format": b.format, "quality": b.quality},
            )
            for b in packet.biometrics
            if not b.exception
        ]
        try:
            self.store.write_identity(
                uin=context.values["uin"],
                rid=context.rid,
                demographics=packet.demographics,
                dedupe_key=context.values["dedupe_key"],
                blocking_text=context.values.get("blocking_text"),
                center_id=context.values.get("center_id"),
                blobs_in=blobs,
            )
        except DuplicateIdentity as dup:  # a concurrent worker stored the same person first
            raise Rejection("duplicate", f"duplicate of UIN {dup.uin}") from None


def make_packet_opener(
    identities: list[str], *, reload: Callable[[], list[str]] | None = None
) -> PacketOpener:
    """``shared.packet.open_packet`` with every server identity still held: packets sealed to an
    older key id keep opening after a rotation, as long as its identity line is kept.

    ``reload`` reads the identities again: when no held identity opens a packet and the reloaded set
    has new ones (a packet key rotated while this worker runs), the packet is tried once more with
    them instead of being rejected as undecryptable. One opener per worker thread."""
    from shared.packet import DecryptionFailed, open_packet

    held = list(identities)

    def open_with_server_identities(path: Path, *, machine_public_key: str) -> PacketView:
        try:
            return from_opened(open_packet(path, identities=held, machine_public_key=machine_public_key))
        except DecryptionFailed:
            fresh = reload() if reload else []
            if set(fresh) <= set(held):
                raise
            held[:] = fresh
            return from_opened(open_packet(path, identities=held, machine_public_key=machine_public_key))

    return open_with_server_identities


def build_stages(
    *,
    packets: ReceivedPackets,
    master: MasterDataHistory,
    opener: PacketOpener,
    store: IdentityWriter,
    dedupe: DedupeConfig,
) -> list:
    """The stages in their fixed order."""
    return [
        VerifyStage(packets, master),
        DecryptStage(opener),
        ValidateStage(master),
        ActorsStage(master),
        DedupeStage(store, dedupe),
        UinStage(store),
        IdStoreStage(store),
    ]

"""The processing stages, in order: verify, decrypt, corrections, validate, actors, then per flow
(``PacketMeta.flow``) dedupe, uin, idstore (new), update (update), lost (lost), correction (correction)
- the last four in ``lifecycle_stages``.

Reason codes (stable, shown on the kiosk): tampered, unknown_machine, undecryptable, invalid_packet,
unknown_schema, invalid_demographics, missing_document, missing_biometrics, exception_not_approved,
inactive_machine, inactive_operator, inactive_supervisor, capture_in_future, duplicate, unknown_uin,
uin_not_active, authentication_failed, not_found, correction_not_expected. Held (waiting, not final):
adjudication, more_information, abis_pending.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.files import sha256_file
from shared.forms.engine import FormEngine
from shared.forms.processes import check_update_groups, process_engine
from shared.forms.schema import FormSpecError, load_id_schema
from shared.rid import RidError, parse_rid
from shared.sync import MAX_CAPTURE_CLOCK_SKEW
from sync_server.processing.dedupe import (
    normalise_date,
    text_of,
)
from sync_server.processing.packet_view import PacketView, from_opened
from sync_server.processing.pipeline import PacketContext, Rejection
from sync_server.processing.ports import MasterDataHistory, PacketOpener, ReceivedPackets, ResidentChecks
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


def machine_key_of(master: MasterDataHistory, rid: str) -> str:
    """The signing key of the machine that made ``rid``, as enrolled now; ``unknown_machine`` if none."""
    machine_id = _machine_id_from_rid(rid)
    return _signing_key(master.entity_at("machines", machine_id, utcnow()), machine_id)


def _signing_key(machine: Mapping[str, Any] | None, machine_id: str) -> str:
    key = (machine or {}).get("public_key") or (machine or {}).get("signing_public_key")
    if machine is None or not key:
        raise Rejection("unknown_machine", f"machine {machine_id} is not enrolled on this server")
    return str(key)


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
        context.values.update(
            path=path,
            machine_id=machine_id,
            machine=dict(machine or {}),
            machine_key=_signing_key(machine, machine_id),
        )


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
        context.values["flow"] = view.meta.flow


def _approved_by_supervisor(meta: PacketMeta) -> bool:
    # The kiosk records the approving supervisor (password + TOTP checked offline) in meta; the
    # actors stage then checks that this user really was an active supervisor at that center.
    return bool(meta.supervisor_id)


@dataclass
class ValidateStage:
    """Validate demographics against the ID schema version named in the packet; required documents
    and biometric modalities present; any exception backed by a supervisor approval."""

    master: MasterDataHistory
    residents: ResidentChecks | None = None
    date_fields: tuple[str, ...] = ("dateOfBirth",)
    name: str = "validate"

    def run(self, context: PacketContext) -> None:
        packet: PacketView = context.values["packet"]
        if packet.meta.flow != "new":
            self._partial(context, packet)
            return
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
        self._resident(context, packet)

    def _resident(self, context: PacketContext, packet: PacketView) -> None:
        """What the public status page checks (a keyed hash of the date of birth) and speaks."""
        languages = packet.meta.consent.languages if packet.meta.consent else []
        facts: dict[str, str] = {"resident_language": languages[0]} if languages else {}
        date = next((packet.demographics[f] for f in self.date_fields if packet.demographics.get(f)), None)
        if self.residents is not None and date:
            try:
                key_id, check = self.residents.make(normalise_date(text_of(date)))
                facts |= {"resident_key_id": key_id, "resident_check": check}
            except ValueError:
                pass  # an unreadable date was rejected above for a new packet; others: no check
        context.values["resident"] = facts

    def _partial(self, context: PacketContext, packet: PacketView) -> None:
        """Update, lost and correction packets carry only the fields of their process
        (``shared.forms.process_engine``, as the kiosk lays them out): an update its changed groups,
        each whole; lost and correction whatever was given, each value valid; a lost request needs a
        capture to identify the person by."""
        meta = packet.meta
        if meta.flow == "update" and not meta.uin:
            raise Rejection("invalid_packet", "an update packet names no UIN")
        if meta.flow == "correction" and not meta.correction_of:
            raise Rejection("invalid_packet", "a correction packet names no packet it corrects")
        if meta.flow == "lost" and not any(not b.exception for b in packet.biometrics):
            raise Rejection("missing_biometrics", "a lost-UIN request needs at least one biometric capture")
        raw = self.master.id_schema(meta.id_schema_id, meta.id_schema_version)
        if raw is None:
            raise Rejection(
                "unknown_schema",
                f"ID schema {meta.id_schema_id} version {meta.id_schema_version} is not known",
            )
        schema = load_id_schema(dict(raw))
        unknown = sorted(set(packet.demographics) - set(schema.fields))
        if unknown:
            raise Rejection(
                "invalid_demographics", f"not fields of the ID schema: {', '.join(unknown)[:200]}"
            )
        try:
            if meta.flow == "update":
                check_update_groups(schema, meta.update_groups)
            engine = process_engine(
                FormEngine(schema=schema), flow=meta.flow, update_groups=meta.update_groups
            )
        except FormSpecError as exc:
            raise Rejection("invalid_packet", str(exc)) from None
        # The kiosk's verdict, reached with the same rules (shared.forms.processes): a changed group
        # is given whole; documents and captures are counted by the flow's stage, not here.
        errors = engine.validate(dict(packet.demographics), language="eng").errors
        demographic = {
            k: v
            for k, v in errors.items()
            if schema.fields.get(k) and schema.fields[k].type not in ("document", "biometrics")
        }
        if demographic:
            raise Rejection(
                "invalid_demographics", "; ".join(f"{k}: {v}" for k, v in sorted(demographic.items()))
            )
        context.values["schema"] = f"{meta.id_schema_id}@{meta.id_schema_version}"
        self._resident(context, packet)


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

"""The stages of a new registration after the common ones: dedupe, uin, idstore.

Dedupe finds who the applicant may already be: the exact dedupe key, demographic candidates by
fuzzy matching (``matching``) and, when an ABIS is wired, biometric scores. Then, with the
thresholds of ``DedupeConfig``:

* a biometric score at or above ``high``: the same person, rejected as ``duplicate`` of that UIN;
* any candidate at or above ``low`` (biometric or demographic, an exact demographic match
  included unless ``demographic_auto_duplicate``): held for an adjudicator (``adjudication``);
* otherwise unique.

An adjudicator's decision (``adjudication``) is read when the held packet runs again: ``same``
rejects as duplicate, ``merge`` applies the packet as an update of the chosen UIN, ``different``
continues to a new UIN (stored beside a same-keyed identity, ``IdentityWriter.write_identity``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from sync_server.ports import BlobIn, DuplicateIdentity, IdentityInactive, IdentityWriter, StoredIdentity
from sync_server.processing import adjudication
from sync_server.processing.dedupe import (
    DedupeConfig,
    DedupeKeyError,
    blocking_text,
    blocking_texts,
    dedupe_key,
)
from sync_server.processing.matching import rank
from sync_server.processing.packet_view import PacketView
from sync_server.processing.pipeline import Held, PacketContext, Rejection
from sync_server.processing.ports import BiometricIdentify

NEW = frozenset({"new"})


def packet_blobs(packet: PacketView, *, biometrics: bool = True) -> list[BlobIn]:
    """The documents (and, with ``biometrics``, the captures that are not exceptions) to store."""
    blobs = [
        BlobIn(
            "document",
            f"{d.category}:{d.name or d.type}",
            d.content_type,
            d.data,
            {"type": d.type, "category": d.category},
            d.sha256,
        )
        for d in packet.documents
    ]
    if biometrics:
        blobs += [
            BlobIn(
                "biometric",
                f"{b.modality}:{b.subtype}",
                "application/octet-stream",
                b.data,
                {"modality": b.modality, "subtype": b.subtype, "format": b.format, "quality": b.quality},
                b.sha256,
            )
            for b in packet.biometrics
            if not b.exception
        ]
    return blobs


def keys_of(demographics: Mapping[str, Any], config: DedupeConfig) -> tuple[str, str | None, list[str]]:
    """(dedupe key, blocking text, blocking texts with likely date typos) of the demographics."""
    try:
        return (
            dedupe_key(demographics, config=config),
            blocking_text(demographics, config=config),
            blocking_texts(demographics, config=config),
        )
    except (DedupeKeyError, ValueError) as exc:
        raise Rejection("invalid_demographics", f"cannot dedupe: {exc}") from exc


def active_identity(store: IdentityWriter, uin: str) -> StoredIdentity:
    """The current version of ``uin``; ``unknown_uin`` or ``uin_not_active`` otherwise."""
    current = store.current(uin)
    if current is None:
        raise Rejection("unknown_uin", f"no identity with UIN {uin}")
    if current.status != "active":
        raise Rejection("uin_not_active", f"UIN {uin} is {current.status}")
    return current


def apply_update(
    store: IdentityWriter,
    config: DedupeConfig,
    context: PacketContext,
    *,
    current: StoredIdentity,
    changes: Mapping[str, Any],
    blobs: list[BlobIn],
) -> int:
    """Make the packet's ``changes`` the next version of ``current`` (``active_identity``); returns
    the version. A version conflict (another update won the race) fails the stage, so the packet is
    retried on the new one."""
    uin = current.uin
    merged = {**current.demographics, **changes}
    changed = sorted(k for k, v in changes.items() if current.demographics.get(k) != v)
    key, blocking, _texts = keys_of(merged, config)
    try:
        version = store.update_identity(
            uin=uin,
            rid=context.rid,
            flow=str(context.values.get("flow", "update")),
            expected_version=current.version,
            demographics=merged,
            changed_fields=changed,
            dedupe_key=key,
            blocking_text=blocking,
            blobs_in=blobs,
        )
    except IdentityInactive as exc:
        raise Rejection("uin_not_active", str(exc)) from None
    except DuplicateIdentity as dup:
        raise Rejection("duplicate", f"the changed details are those of UIN {dup.uin}") from None
    context.values.update(uin=uin, version=version, changed_fields=changed, contact=merged)
    return version


def best_candidates(
    ranked: dict[str, dict[str, Any]],
    abis: BiometricIdentify | None,
    rid: str,
    packet: PacketView,
    *,
    low: float,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """The demographic candidates ``ranked`` (by UIN) with the ABIS's scores for the packet's captures
    added (``scores.biometric``), those at or above ``low`` on either score, best first. Holds the
    packet (``abis_pending``) while the ABIS has not answered."""
    records = [b for b in packet.biometrics if not b.exception]
    if abis is not None and records:
        for uin, value in abis.identify(rid=rid, records=records, gallery=None).items():
            entry = ranked.setdefault(uin, {"uin": uin, "rid": "", "scores": {"total": 0.0}})
            entry["scores"]["biometric"] = round(float(value), 1)

    def best(c: dict[str, Any]) -> float:
        return max(c["scores"].get("total", 0.0), c["scores"].get("biometric", 0.0))

    kept = [c for c in ranked.values() if best(c) >= low]
    return sorted(kept, key=lambda c: (-best(c), c["uin"]))[:limit]


@dataclass
class DedupeStage:
    """Exact, demographic and biometric duplicates; holds for an adjudicator in between."""

    store: IdentityWriter
    config: DedupeConfig
    engine: Engine
    abis: BiometricIdentify | None = None
    name: str = "dedupe"
    flows: frozenset[str] = field(default=NEW)

    def run(self, context: PacketContext) -> None:
        packet: PacketView = context.values["packet"]
        key, blocking, texts = keys_of(packet.demographics, self.config)
        context.values.update(dedupe_key=key, blocking_text=blocking)
        decided = adjudication.decision(self.engine, context.rid)
        if decided is not None:
            if decided.decision == "same":
                raise Rejection("duplicate", f"duplicate of UIN {decided.uin} (adjudicated)")
            if decided.decision == "merge":
                context.values["merge_into"] = decided.uin
            context.values["distinct"] = decided.decision == "different"
            return
        candidates = self._candidates(context, packet, key, texts)
        biometric = [c for c in candidates if c.get("scores", {}).get("biometric", 0) >= self.config.high]
        if biometric:
            raise Rejection("duplicate", f"duplicate of UIN {biometric[0]['uin']}")
        exact = [c for c in candidates if c.get("exact")]
        if exact and self.config.demographic_auto_duplicate:
            raise Rejection("duplicate", f"duplicate of UIN {exact[0]['uin']}")
        if candidates:
            adjudication.open_case(self.engine, rid=context.rid, kind="duplicate", candidates=candidates)
            raise Held(
                "adjudication",
                f"possible duplicate of {len(candidates)} identity(ies): an adjudicator decides",
            )

    def _candidates(
        self, context: PacketContext, packet: PacketView, key: str, texts: list[str]
    ) -> list[dict]:
        """Candidates scoring at least ``low``, best first, each with its scores per part; ``key`` is
        the exact dedupe key, ``texts`` the blocking keys to look under."""
        found = [c for c in self.store.candidates(blocking_texts=texts) if c.rid != context.rid]
        ranked = {
            c.uin: {"uin": c.uin, "rid": c.rid, "scores": c.score.as_dict()}
            for c in rank(packet.demographics, found, config=self.config, floor=self.config.low)
        }
        match = self.store.find_by_dedupe_key(key)
        if match is not None and match[1] != context.rid:  # our own identity after a crash is not one
            entry = ranked.setdefault(
                match[0], {"uin": match[0], "rid": match[1], "scores": {"total": 100.0}}
            )
            entry["exact"] = True
        return best_candidates(ranked, self.abis, context.rid, packet, low=self.config.low)


@dataclass
class UinStage:
    store: IdentityWriter
    name: str = "uin"
    flows: frozenset[str] = field(default=NEW)

    def run(self, context: PacketContext) -> None:
        if context.values.get("merge_into"):
            context.values["uin"] = context.values["merge_into"]
            return
        context.values["uin"] = self.store.issue_uin(rid=context.rid)


@dataclass
class IdStoreStage:
    """Store the new identity (or, after an adjudicated ``merge``, the packet as a new version of
    the matched one); then add its biometrics to the ABIS gallery."""

    store: IdentityWriter
    config: DedupeConfig
    abis: BiometricIdentify | None = None
    name: str = "idstore"
    flows: frozenset[str] = field(default=NEW)

    def run(self, context: PacketContext) -> None:
        packet: PacketView = context.values["packet"]
        uin = context.values["uin"]
        if context.values.get("merge_into"):
            apply_update(
                self.store,
                self.config,
                context,
                current=active_identity(self.store, uin),
                changes=packet.demographics,
                blobs=packet_blobs(packet),
            )
        else:
            try:
                self.store.write_identity(
                    uin=uin,
                    rid=context.rid,
                    demographics=packet.demographics,
                    dedupe_key=context.values["dedupe_key"],
                    blocking_text=context.values.get("blocking_text"),
                    center_id=context.values.get("center_id"),
                    blobs_in=packet_blobs(packet),
                    distinct=bool(context.values.get("distinct")),
                )
            except DuplicateIdentity as dup:  # a concurrent worker stored the same person first
                raise Rejection("duplicate", f"duplicate of UIN {dup.uin}") from None
        records = [b for b in packet.biometrics if not b.exception]
        if self.abis is not None and records:
            self.abis.insert(uin=uin, rid=context.rid, records=records)

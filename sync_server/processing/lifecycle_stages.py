"""The stages of the update, lost and correction flows, and the one that joins corrections in.

* update: the resident is authenticated against the identity of ``meta.uin`` - a biometric score at
  or above ``high`` from the ABIS passes, below ``low`` refuses (``authentication_failed``), anything
  else (in between, no ABIS, no capture) goes to an adjudicator; then the changed fields become the
  next version (``registration_stages.apply_update``). Biometrics replace the stored ones only when
  ``meta.update_groups`` names ``biometrics``; otherwise they only authenticated.
* lost: identify by biometrics (ABIS) and by the demographics the person remembers; a biometric
  match at or above ``high`` is the answer (the packet's status carries the UIN); demographic or
  weaker matches go to an adjudicator (a UIN is never handed out on remembered details alone);
  nothing at or above ``low``: ``not_found``.
* correction: answers a packet held for ``more_information``: the pair is recorded and the held
  packet resumed, in one transaction; ``CorrectionsStage`` then joins the answer's demographics,
  documents and biometrics to the held packet each time it runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from shared.files import sha256_file
from sync_server.db.engine import single_statements
from sync_server.ports import IdentityWriter
from sync_server.processing import adjudication, queue
from sync_server.processing.dedupe import DedupeConfig, DedupeKeyError, blocking_texts
from sync_server.processing.matching import rank
from sync_server.processing.packet_view import PacketView
from sync_server.processing.pipeline import Held, PacketContext, Rejection
from sync_server.processing.ports import BiometricIdentify, MasterDataHistory, PacketOpener, ReceivedPackets
from sync_server.processing.registration_stages import (
    active_identity,
    apply_update,
    best_candidates,
    packet_blobs,
)
from sync_server.processing.stages import machine_key_of
from sync_server.processing.tables import corrections
from sync_server.services.clock import utcnow


def _captures(packet: PacketView) -> list[Any]:
    return [b for b in packet.biometrics if not b.exception]


@dataclass
class UpdateStage:
    store: IdentityWriter
    config: DedupeConfig
    engine: Engine
    abis: BiometricIdentify | None = None
    name: str = "update"
    flows: frozenset[str] = field(default=frozenset({"update"}))

    def run(self, context: PacketContext) -> None:
        packet: PacketView = context.values["packet"]
        uin = str(packet.meta.uin)
        current = active_identity(self.store, uin)
        decided = adjudication.decision(self.engine, context.rid)
        if decided is None:
            self._authenticate(context, packet, uin, current.rid)
        elif decided.decision == "refuse":
            raise Rejection("authentication_failed", f"the adjudicator refused the update: {decided.reason}")
        blobs = packet_blobs(packet, biometrics="biometrics" in packet.meta.update_groups)
        apply_update(
            self.store, self.config, context, current=current, changes=packet.demographics, blobs=blobs
        )

    def _authenticate(self, context: PacketContext, packet: PacketView, uin: str, uin_rid: str) -> None:
        records = _captures(packet)
        score = None
        if self.abis is not None and records:
            score = self.abis.identify(rid=context.rid, records=records, gallery=[uin]).get(uin, 0.0)
            if score >= self.config.high:
                return
            if score < self.config.low:
                raise Rejection(
                    "authentication_failed", "the captures do not match the resident's biometrics"
                )
        scores = {"biometric": round(score, 1)} if score is not None else {}
        supervisor = packet.meta.supervisor_id
        candidate = {"uin": uin, "rid": uin_rid, "scores": scores, "override_by": supervisor}
        adjudication.open_case(self.engine, rid=context.rid, kind="update", candidates=[candidate])
        why = "no biometric match could be made" if score is None else f"biometric score {score:.0f}"
        raise Held("adjudication", f"the update waits for an adjudicator ({why})")


@dataclass
class LostStage:
    store: IdentityWriter
    config: DedupeConfig
    engine: Engine
    abis: BiometricIdentify | None = None
    name: str = "lost"
    flows: frozenset[str] = field(default=frozenset({"lost"}))

    def run(self, context: PacketContext) -> None:
        packet: PacketView = context.values["packet"]
        decided = adjudication.decision(self.engine, context.rid)
        if decided is not None:
            if decided.decision != "found":
                raise Rejection("not_found", "no identity matches this person")
            self._found(context, str(decided.uin))
            return
        found = self._candidates(context, packet)
        sure = [c for c in found if c["scores"].get("biometric", 0.0) >= self.config.high]
        if len(sure) == 1:
            self._found(context, sure[0]["uin"])
            return
        if not found:
            raise Rejection("not_found", "no identity matches this person")
        adjudication.open_case(self.engine, rid=context.rid, kind="lost", candidates=found)
        raise Held("adjudication", f"{len(found)} possible identity(ies): an adjudicator decides")

    def _found(self, context: PacketContext, uin: str) -> None:
        """The answer: the UIN goes to the packet's status and to the identity's registered contact."""
        stored = self.store.current(uin)
        context.values.update(uin=uin, found=True, contact=stored.demographics if stored else {})

    def _candidates(self, context: PacketContext, packet: PacketView) -> list[dict[str, Any]]:
        ranked: dict[str, dict[str, Any]] = {}
        try:
            texts = blocking_texts(packet.demographics, config=self.config)
        except (DedupeKeyError, ValueError):
            texts = []  # no date of birth remembered: biometrics alone
        if texts:
            stored = self.store.candidates(blocking_texts=texts)
            for c in rank(packet.demographics, stored, config=self.config, floor=self.config.low):
                ranked[c.uin] = {"uin": c.uin, "rid": c.rid, "scores": c.score.as_dict()}
        return best_candidates(ranked, self.abis, context.rid, packet, low=self.config.low)


@dataclass
class CorrectionStage:
    engine: Engine
    name: str = "correction"
    flows: frozenset[str] = field(default=frozenset({"correction"}))

    def run(self, context: PacketContext) -> None:
        packet: PacketView = context.values["packet"]
        held = str(packet.meta.correction_of)
        pair = (corrections.c.held_rid == held) & (corrections.c.answer_rid == context.rid)
        with self.engine.begin() as conn:
            if conn.execute(select(corrections.c.held_rid).where(pair)).first() is not None:
                return  # recorded by an earlier attempt
            state = queue.job_state(conn, held)
            if state is None or (state["status"], state["reason_code"]) != ("held", "more_information"):
                raise Rejection(
                    "correction_not_expected", f"packet {held} is not waiting for more information"
                )
            try:
                conn.execute(
                    insert(corrections).values(held_rid=held, answer_rid=context.rid, created_at=utcnow())
                )
            except IntegrityError:
                return
            queue.resume(conn, rid=held, reason_codes=("more_information",))
        context.values["corrects"] = held


# Built once: every packet runs it.
_ANSWERS = (
    select(corrections.c.answer_rid)
    .where(corrections.c.held_rid == bindparam("held_rid"))
    .order_by(corrections.c.created_at, corrections.c.answer_rid)
)


@dataclass
class CorrectionsStage:
    """Join the answers to a request for more information (correction packets) to this packet."""

    packets: ReceivedPackets
    master: MasterDataHistory
    opener: PacketOpener
    engine: Engine
    name: str = "corrections"

    def run(self, context: PacketContext) -> None:
        with single_statements(self.engine).connect() as conn:  # as adjudication.decision
            answers = list(conn.execute(_ANSWERS, {"held_rid": context.rid}).scalars())
        packet: PacketView = context.values["packet"]
        for rid in answers:
            packet = join(packet, self._open(rid))
        context.values["packet"] = packet
        context.values["corrected_by"] = answers

    def _open(self, rid: str) -> PacketView:
        path = self.packets.blob_path(rid)
        if sha256_file(path) != self.packets.registered(rid):
            raise RuntimeError(f"correction packet {rid} does not match its registered hash")
        return self.opener(path, machine_public_key=machine_key_of(self.master, rid))


def join(packet: PacketView, answer: PacketView) -> PacketView:
    """``packet`` with ``answer``'s demographic values, documents (by category) and captures (by
    modality and subtype) in place of its own."""
    demographics: Mapping[str, Any] = {**packet.demographics, **answer.demographics}
    categories = {d.category for d in answer.documents}
    captures = {(b.modality, b.subtype) for b in answer.biometrics}
    return dataclasses.replace(
        packet,
        demographics=dict(demographics),
        documents=[d for d in packet.documents if d.category not in categories] + list(answer.documents),
        biometrics=[b for b in packet.biometrics if (b.modality, b.subtype) not in captures]
        + list(answer.biometrics),
    )

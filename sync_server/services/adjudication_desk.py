"""The adjudicator's desk: pending cases, one case side by side (the held packet and each candidate
identity), decisions, and requests for more information.

Showing a case reads the candidates' identities through the audited ID store read (purpose
``adjudication of <RID>``): an adjudicator cannot look at a person without a trace. The held
packet is opened with the server's identities (``open_packet``, wired by the backend). Thread
rule: stateless apart from its collaborators; safe from every request thread.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from sync_server.ports import IdentityNotFound, IdentityReader, Notifier
from sync_server.processing import adjudication, queue
from sync_server.processing.adjudication import AdjudicationError
from sync_server.processing.notices import NoticeFields
from sync_server.processing.packet_view import PacketView
from sync_server.services.audit import append_audit
from sync_server.services.packet_handover import mirror_status

MAX_REQUEST_CHARS = 500

__all__ = ["AdjudicationDesk", "AdjudicationError", "Case", "Party"]


@dataclass(frozen=True)
class Party:
    """One side of the comparison: the held packet or a candidate identity."""

    label: str  # the RID (packet) or the UIN (candidate)
    demographics: Mapping[str, Any]
    photo: str | None  # data: URL of the face, when the record holds a browser image
    scores: Mapping[str, float]
    documents: list[str]


@dataclass(frozen=True)
class Case:
    rid: str
    kind: str
    status: str
    packet: Party
    candidates: list[Party]
    decision: str | None
    reason: str | None


def _face_url(data: bytes) -> str | None:
    """A data: URL of the face image inside an ISO 19794-5 record (JPEG/PNG as is, JPEG 2000 as PNG)."""
    try:
        from device_drivers.iso.face import read_face_record
        from device_drivers.iso.images import decode_image, encode_image

        face = read_face_record(data)[0]
        image, kind = face.image, face.image_format
        if kind not in ("jpeg", "png"):
            image, kind = encode_image(decode_image(image), "png"), "png"
    except Exception:  # not a face record we can show: the page says "no photo"
        return None
    return f"data:image/{kind};base64,{base64.b64encode(image).decode()}"


def _photo(blobs: list[tuple[str, str, bytes]]) -> str | None:
    """The face among (modality, subtype, data) captures."""
    return next((url for m, _s, d in blobs if m == "face" and (url := _face_url(d))), None)


class AdjudicationDesk:
    def __init__(
        self,
        *,
        engine: Engine,
        open_packet: Callable[[str], PacketView],
        identities: IdentityReader,
        notifier: Notifier | None = None,
    ) -> None:
        self.engine, self.open_packet, self.identities = engine, open_packet, identities
        self.notifier = notifier

    def pending(self, *, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        return adjudication.pending(self.engine, limit=limit, offset=offset)

    def case(self, rid: str, *, actor: str) -> Case | None:
        """The case of ``rid`` side by side; None when there is none. Candidate reads are audited."""
        with self.engine.connect() as conn:
            row = adjudication.case(conn, rid)
        if row is None:
            return None
        packet = self.open_packet(rid)
        new = Party(
            rid,
            packet.demographics,
            _photo([(b.modality, b.subtype, b.data) for b in packet.biometrics if not b.exception]),
            {},
            [f"{d.category}: {d.name or d.type}" for d in packet.documents],
        )
        parties = []
        for candidate in row["candidates"] or []:
            uin = str(candidate.get("uin", ""))
            try:
                found = self.identities.get_by_uin(uin, actor=actor, purpose=f"adjudication of {rid}")
            except IdentityNotFound:
                continue
            captures = [
                (b.attributes.get("modality", ""), b.attributes.get("subtype", ""), b.data)
                for b in found.blobs
                if b.kind == "biometric"
            ]
            # stored as "<category>:<file name>" (registration_stages.packet_blobs)
            documents = [b.name.replace(":", ": ", 1) for b in found.blobs if b.kind == "document"]
            parties.append(
                Party(uin, found.demographics, _photo(captures), candidate.get("scores", {}), documents)
            )
        return Case(rid, row["kind"], row["status"], new, parties, row["decision"], row["reason"])

    def decide(self, rid: str, *, decision: str, actor: str, reason: str, uin: str | None = None) -> None:
        """Record the decision (``AdjudicationError`` if it does not fit); the packet resumes."""
        adjudication.decide(self.engine, rid=rid, decision=decision, actor=actor, reason=reason, uin=uin)

    def ask_for_more_information(self, rid: str, *, actor: str, request: str) -> None:
        """Hold ``rid`` until a correction packet answers ``request`` (what the kiosk officer reads)."""
        request = " ".join(request.split())
        if not request or len(request) > MAX_REQUEST_CHARS:
            raise AdjudicationError("request", f"a request of 1-{MAX_REQUEST_CHARS} characters is required")
        packet = self.open_packet(rid) if self.notifier is not None else None
        with self.engine.begin() as conn:
            if not queue.hold(conn, rid=rid, reason_code="more_information", reason_text=request):
                raise AdjudicationError(
                    "not_holdable", f"packet {rid} is not waiting and not final: it cannot be held"
                )
            mirror_status(
                conn, rid=rid, status="held", uin=None, reason_code="more_information", reason=request
            )
            append_audit(
                conn,
                actor=actor,
                action="packets.request_information",
                target=rid,
                details={"request": request},
            )
            if packet is not None and self.notifier is not None:
                fields = NoticeFields()
                self.notifier.notify(
                    conn,
                    rid=rid,
                    event="more_information_needed",
                    language=packet.meta.consent.languages[0] if packet.meta.consent else None,
                    email=packet.demographics.get(fields.email),
                    phone=packet.demographics.get(fields.phone),
                    values={"rid": rid, "reason": request},
                )

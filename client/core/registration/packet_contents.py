"""Map a signed-off registration onto shared.packet's contents model, and find sealed files after a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from client.core.registration.sealing import SealedFile
from client.core.registration.workflow import SignedOffRegistration
from shared.files import sha256_file
from shared.packet import BiometricRecord, Document, PacketContents, PacketMeta, packet_path


def build_contents(
    *, registration: SignedOffRegistration, rid: str, meta: PacketMeta, audit: list[dict[str, Any]]
) -> PacketContents:
    signed_at = registration.signed_off_at.isoformat()
    biometrics = [
        BiometricRecord(
            modality=b.modality,
            bio_subtype=b.bio_subtype,
            format=b.format,
            quality=int(b.quality),
            device=dict(b.device),
            data=b.record,
            captured_at=signed_at,
            retries=max(0, _retries_for(registration, b.modality, b.bio_subtype) - 1),
        )
        for b in registration.biometrics
    ]
    biometrics += [
        BiometricRecord(
            modality=e.modality,
            bio_subtype=e.bio_subtype,
            format="none",
            quality=0,
            device={},
            data=b"",
            exception=True,
            captured_at=signed_at,
        )
        for e in registration.exceptions
    ]
    if registration.exception_photo:
        biometrics.append(
            BiometricRecord(
                modality="exception_photo",
                bio_subtype="Exception Photo",
                format="jpeg",
                quality=100,
                device={},
                data=registration.exception_photo,
                captured_at=signed_at,
            )
        )
    documents = [
        Document(
            doc_type=d.doc_type,
            content_type=d.content_type,
            data=d.data,
            category=d.field_id,
            filename=d.name,
        )
        for d in registration.documents
    ]
    demographics = dict(registration.demographics)
    for doc in registration.documents:  # the record references its documents by field, as the schema says
        demographics[doc.field_id] = {"type": doc.doc_type, "name": doc.name}
    if registration.biometrics and not registration.process.authenticating:
        # the record's biometrics field; an update's authentication captures change nothing in it
        demographics["individualBiometrics"] = {
            "modalities": sorted({b.modality for b in registration.biometrics}),
            "exceptions": [f"{e.modality}/{e.bio_subtype}" for e in registration.exceptions],
        }
    exceptions = [
        {"modality": e.modality, "bio_subtype": e.bio_subtype, "reason": e.reason}
        for e in registration.exceptions
    ]
    return PacketContents(
        demographics=demographics,
        meta={**meta.as_written(), "rid": rid},
        documents=documents,
        biometrics=biometrics,
        exceptions=exceptions,
        audit=audit,
    )


def _retries_for(registration: SignedOffRegistration, modality: str, subtype: str) -> int:
    from client.core.registration.biometrics import CAPTURE_GROUPS

    for group, (mod, subs) in CAPTURE_GROUPS.items():
        if mod == modality and subtype in subs:
            return registration.retries.get(group, 1)
    return 1


def find_sealed(*, rid: str, out_dir: Path) -> SealedFile | None:
    """The sealed file for ``rid`` if present. The builder links it into place only when whole."""
    path = packet_path(out_dir, rid)
    if not path.is_file():
        return None
    sha256, size = sha256_file(path)
    return SealedFile(rid=rid, path=path, sha256=sha256, size=size)

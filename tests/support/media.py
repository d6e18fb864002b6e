"""Kiosk exports made without a kiosk, for server-side tests and the benchmark: packets of any bytes and
a manifest signed with a machine key, laid out as client.core.media.export lays them out."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from shared.media.envelope import sign_document
from shared.media.layout import kiosk_folder, packet_file
from shared.media.models import MANIFEST_NAME, PACKETS_DIR, ExportManifest, ManifestPacket
from shared.rid import format_rid
from shared.signing import generate_private_key, public_key_b64


@dataclass
class FakeKiosk:
    machine_id: str
    center_id: str
    key: Ed25519PrivateKey
    sequence: int = 0

    def new_rid(self) -> str:
        self.sequence += 1
        return format_rid(
            center_id=int(self.center_id),
            machine_id=int(self.machine_id),
            sequence=self.sequence,
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        )


def enrolled_kiosk(engine, *, machine_id: str = "10042", center_id: str = "10001") -> FakeKiosk:
    """An approved machine row with a fresh key, straight in the server database."""
    from sync_server.db.tables import MachineRow

    key = generate_private_key()
    with Session(engine) as session, session.begin():
        session.add(
            MachineRow(
                machine_id=machine_id,
                public_key=public_key_b64(key),
                center_id=center_id,
                name=f"kiosk {machine_id}",
                status="approved",
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    return FakeKiosk(machine_id=machine_id, center_id=center_id, key=key)


def write_export(
    root: Path,
    kiosk: FakeKiosk,
    contents: list[bytes],
    *,
    cursor: int | None = 0,
    awaiting: list[str] = (),
    rids: list[str] | None = None,
) -> tuple[Path, list[str]]:
    """Write ``contents`` as sealed packets and a signed manifest under ``root``; (folder, RIDs)."""
    folder = kiosk_folder(root, kiosk.machine_id)
    (folder / PACKETS_DIR).mkdir(parents=True, exist_ok=True)
    rids = rids or [kiosk.new_rid() for _ in contents]
    entries = []
    for rid, data in zip(rids, contents, strict=True):
        packet_file(folder, rid).write_bytes(data)
        entries.append(
            ManifestPacket(
                rid=rid, sha256=hashlib.sha256(data).hexdigest(), size=len(data), operator_id="op1"
            )
        )
    manifest = ExportManifest(
        export_id=uuid.uuid4().hex,
        machine_id=kiosk.machine_id,
        center_id=kiosk.center_id,
        created_at=dt.datetime.now(dt.UTC),
        masterdata_cursor=cursor,
        packets=entries,
        awaiting=list(awaiting),
    )
    (folder / MANIFEST_NAME).write_bytes(sign_document(kiosk.key, manifest))
    return folder, rids


def answer_kiosk(app, root: Path, server_key: Ed25519PrivateKey, **fields) -> Path:
    """Write an acknowledgement for the kiosk ``app`` under ``root`` as the office would: signed by
    ``server_key`` (pinned on the kiosk here, in place of whatever its enrolment pinned) and sealed to
    its machine key. ``fields``: AckPayload fields (machine and center default to the kiosk's)."""
    from client.core.machine import write_setting
    from shared.media.envelope import seal_for_machine
    from shared.media.files import write_verified
    from shared.media.models import ACK_NAME, AckPayload

    identity = app.machine.identity()
    with app.store.transaction() as conn:
        write_setting(conn, "server.signing_key", public_key_b64(server_key))
    payload = AckPayload(
        **{
            "machine_id": identity.machine_id,
            "center_id": identity.center_id,
            "export_id": "0" * 32,
            "created_at": dt.datetime.now(dt.UTC),
            **fields,
        }
    )
    folder = kiosk_folder(root, identity.machine_id)
    folder.mkdir(parents=True, exist_ok=True)
    write_verified(
        folder / ACK_NAME, seal_for_machine(sign_document(server_key, payload), identity.public_key)
    )
    return folder

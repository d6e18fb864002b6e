"""Importing kiosk exports from a stick (services.media_import): the same intake as an upload, idempotent,
each bad packet refused alone, a bad manifest refusing its folder (audited), bounded and strict input,
and the acknowledgement sealed to the machine and signed by the server."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shared.media.envelope import MediaDocumentError, open_as_machine, read_document, verify_document
from shared.media.files import read_bounded
from shared.media.layout import NotAnExport, packet_file
from shared.media.models import ACK_NAME, MANIFEST_NAME, MAX_MANIFEST_BYTES, AckPayload
from shared.signing import generate_private_key
from sync_server.db.tables import PacketRow
from sync_server.services.media_import import context_for, import_stick
from tests.support.media import enrolled_kiosk, write_export


@pytest.fixture
def ctx(console_state):
    return context_for(console_state)


def read_ack(folder, kiosk, state) -> AckPayload:
    opened = open_as_machine(read_bounded(folder / ACK_NAME, 1 << 30), kiosk.key)
    return verify_document(read_document(opened), state.keys.signing_key.public_key(), AckPayload)


def packet_rows(state) -> list[tuple]:
    with Session(state.engine) as session:
        return [
            (r.rid, r.status, r.sha256) for r in session.scalars(select(PacketRow).order_by(PacketRow.rid))
        ]


def audit_actions(state) -> list[str]:
    with state.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT action FROM server_audit_log ORDER BY seq"))]


def test_a_stick_is_taken_once_and_answered(ctx, console_state, tmp_path):
    kiosk = enrolled_kiosk(console_state.engine)
    contents = [os.urandom(3000), os.urandom(70_000)]
    folder, rids = write_export(tmp_path, kiosk, contents, cursor=None)
    (result,) = import_stick(ctx, tmp_path, actor="cli:test")
    assert [p.outcome for p in result.packets] == ["received", "received"] and result.refused is None
    assert result.snapshot  # the kiosk said it had no master data
    rows = packet_rows(console_state)
    assert [r[:2] for r in rows] == [(rids[0], "received"), (rids[1], "received")]
    for rid, data in zip(rids, contents, strict=True):
        assert console_state.blobs.final_path(rid).read_bytes() == data
    ack = read_ack(folder, kiosk, console_state)
    assert ack.received == rids and ack.machine_id == kiosk.machine_id
    assert {s.rid: s.status.value for s in ack.statuses} == dict.fromkeys(rids, "received")
    assert ack.masterdata.snapshot is not None and ack.masterdata.pages[-1]["payload"]["complete"]

    (again,) = import_stick(ctx, folder, actor="cli:test")  # the kiosk's own folder works too
    assert [p.outcome for p in again.packets] == ["already", "already"]
    assert packet_rows(console_state) == rows
    assert audit_actions(console_state).count("packets.media_import") == 2


def test_a_damaged_packet_is_refused_alone(ctx, console_state, tmp_path):
    kiosk = enrolled_kiosk(console_state.engine)
    folder, rids = write_export(tmp_path, kiosk, [b"a" * 1000, b"b" * 1000, b"c" * 1000, b"d" * 1000])
    with open(packet_file(folder, rids[0]), "r+b") as handle:
        handle.truncate(10)
    packet_file(folder, rids[1]).write_bytes(b"B" * 1000)
    packet_file(folder, rids[2]).unlink()
    (tmp_path / "secret").write_bytes(b"c" * 1000)
    packet_file(folder, rids[2]).symlink_to(tmp_path / "secret")
    (result,) = import_stick(ctx, tmp_path, actor="cli:test")
    outcomes = {p.rid: (p.outcome, p.detail) for p in result.packets}
    assert outcomes[rids[0]][0] == "refused" and "truncated" in outcomes[rids[0]][1]
    assert outcomes[rids[1]][0] == "refused" and "altered" in outcomes[rids[1]][1]
    assert outcomes[rids[2]][0] == "refused" and "symbolic link" in outcomes[rids[2]][1]
    assert outcomes[rids[3]][0] == "received"
    assert [r[0] for r in packet_rows(console_state)] == [rids[3]]  # nothing registered for the others
    ack = read_ack(folder, kiosk, console_state)
    assert ack.received == [rids[3]] and {r.rid for r in ack.refused} == set(rids[:3])


def test_a_tampered_or_foreign_manifest_refuses_the_folder(ctx, console_state, tmp_path):
    kiosk = enrolled_kiosk(console_state.engine)
    folder, _ = write_export(tmp_path, kiosk, [b"x" * 100])
    document = json.loads((folder / MANIFEST_NAME).read_text())
    document["payload"]["packets"][0]["size"] = 99
    (folder / MANIFEST_NAME).write_text(json.dumps(document))
    (result,) = import_stick(ctx, tmp_path, actor="cli:test")
    assert "not signed by kiosk 10042's enrolled key" in result.refused and not result.packets
    assert not (folder / ACK_NAME).exists() and packet_rows(console_state) == []
    assert "packets.media_import_refused" in audit_actions(console_state)

    kiosk.key = generate_private_key()  # another machine's key claiming to be 10042
    write_export(tmp_path, kiosk, [b"x" * 100])
    (result,) = import_stick(ctx, tmp_path, actor="cli:test")
    assert "not signed" in result.refused

    stranger = enrolled_kiosk(console_state.engine, machine_id="10043")
    with Session(console_state.engine) as session, session.begin():
        session.execute(text("UPDATE machines SET status = 'revoked' WHERE machine_id = '10043'"))
    write_export(tmp_path, stranger, [b"y" * 100])
    results = {r.machine_id: r.refused for r in import_stick(ctx, tmp_path, actor="cli:test")}
    assert "revoked" in results["10043"]


def test_input_from_the_stick_is_bounded_and_strict(ctx, console_state, tmp_path):
    kiosk = enrolled_kiosk(console_state.engine)
    folder, rids = write_export(tmp_path, kiosk, [b"x" * 100])
    good = (folder / MANIFEST_NAME).read_bytes()
    (folder / MANIFEST_NAME).write_bytes(good + b" " * MAX_MANIFEST_BYTES)
    (result,) = import_stick(ctx, tmp_path, actor="cli:test")
    assert "more than the" in result.refused
    document = json.loads(good)
    document["payload"]["packets"][0]["rid"] = "../../../etc/passwd"
    (folder / MANIFEST_NAME).write_text(json.dumps(document))
    (result,) = import_stick(ctx, tmp_path, actor="cli:test")
    assert "refused" in result.refused and "rid" in result.refused
    document["payload"]["packets"][0]["rid"] = rids[0]
    document["payload"]["surprise"] = 1
    (folder / MANIFEST_NAME).write_text(json.dumps(document))
    (result,) = import_stick(ctx, tmp_path, actor="cli:test")
    assert "surprise" in result.refused
    with pytest.raises(NotAnExport):
        import_stick(ctx, tmp_path / "OpenReg" / "nothing-here", actor="cli:test")


def test_a_center_admin_imports_only_their_centers(ctx, console_state, tmp_path):
    kiosk = enrolled_kiosk(console_state.engine)
    write_export(tmp_path, kiosk, [b"x" * 100])
    (result,) = import_stick(ctx, tmp_path, actor="ca", centers=frozenset({"10002"}))
    assert "not at one of your centers" in result.refused and packet_rows(console_state) == []


def test_an_unfinished_export_is_named_as_such(ctx, console_state, tmp_path):
    kiosk = enrolled_kiosk(console_state.engine)
    folder, _ = write_export(tmp_path, kiosk, [b"x" * 100])
    (folder / MANIFEST_NAME).unlink()
    (result,) = import_stick(ctx, tmp_path, actor="cli:test")
    assert "not finished" in result.refused


def test_the_answer_opens_only_with_its_machine_key(ctx, console_state, tmp_path):
    kiosk = enrolled_kiosk(console_state.engine)
    folder, _ = write_export(tmp_path, kiosk, [b"x" * 100], cursor=10**6)
    import_stick(ctx, tmp_path, actor="cli:test")
    ack = read_ack(folder, kiosk, console_state)
    assert ack.masterdata.snapshot is None and len(ack.masterdata.pages) == 1  # nothing new since
    with pytest.raises(MediaDocumentError, match="another kiosk"):
        open_as_machine((folder / ACK_NAME).read_bytes(), generate_private_key())


def test_a_stick_that_fails_when_the_answer_is_written_keeps_the_packets_in(
    ctx, console_state, tmp_path, monkeypatch
):
    import errno

    from sync_server.services import media_import

    kiosk = enrolled_kiosk(console_state.engine)
    folder, _rids = write_export(tmp_path, kiosk, [b"x" * 100])

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(media_import, "write_ack", full)
    (result,) = import_stick(ctx, tmp_path, actor="cli:test")
    assert result.count("received") == 1 and "could not be written" in result.ack_error
    assert not (folder / ACK_NAME).exists()
    monkeypatch.undo()
    (again,) = import_stick(ctx, tmp_path, actor="cli:test")
    assert again.count("already") == 1 and again.ack_error is None and (folder / ACK_NAME).is_file()

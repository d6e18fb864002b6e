"""shared.media: strict, bounded stick documents; signatures that do not cross kinds; acknowledgements
only the machine opens; crash-safe writes that are read back; removable drives from /proc/mounts."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest
from pydantic import ValidationError

from shared.media.drives import linux_drives
from shared.media.envelope import (
    MediaDocumentError,
    open_as_machine,
    read_document,
    seal_for_machine,
    sign_document,
    verify_document,
)
from shared.media.files import (
    MediaError,
    OverLimit,
    ReadBackMismatch,
    SourceUnreadable,
    commit_part,
    copy_to_part,
    part_path,
    read_bounded,
    write_verified,
)
from shared.media.layout import find_exports, is_packet_name, kiosk_folder, packet_file
from shared.media.models import AckPayload, ExportManifest
from shared.signing import generate_private_key, public_key_b64

RID = "10001100420000120260101080000"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def manifest(**extra) -> ExportManifest:
    return ExportManifest(export_id="a" * 32, machine_id="10042", center_id="10001", created_at=NOW, **extra)


def test_documents_are_strict_and_bounded():
    entry = {"rid": RID, "sha256": "0" * 64, "size": 10}
    with pytest.raises(ValidationError, match="listed twice"):
        manifest(packets=[entry, entry])
    with pytest.raises(ValidationError):
        manifest(packets=[{**entry, "rid": "../../etc/passwd"}])
    with pytest.raises(ValidationError):
        manifest(packets=[{**entry, "size": 10**12}])
    with pytest.raises(ValidationError):
        manifest(awaiting=[RID] * 20_001)
    with pytest.raises(ValidationError):
        ExportManifest.model_validate({**manifest().model_dump(mode="json"), "extra": 1})
    with pytest.raises(ValidationError):  # a time without its zone is not taken
        ExportManifest.model_validate(
            {**manifest().model_dump(mode="json"), "created_at": "2026-01-01T00:00:00"}
        )


def test_a_signature_holds_for_its_kind_only():
    key = generate_private_key()
    raw = sign_document(key, manifest())
    assert verify_document(read_document(raw), public_key_b64(key), ExportManifest).machine_id == "10042"
    with pytest.raises(MediaDocumentError, match="malformed"):  # a manifest is no acknowledgement
        verify_document(read_document(raw), public_key_b64(key), AckPayload)
    with pytest.raises(MediaDocumentError, match="does not hold"):
        verify_document(read_document(raw), public_key_b64(generate_private_key()), ExportManifest)
    tampered = raw.replace(b'"10001"', b'"10002"')
    with pytest.raises(MediaDocumentError, match="does not hold"):
        verify_document(read_document(tampered), public_key_b64(key), ExportManifest)
    with pytest.raises(MediaDocumentError, match="not a signed OpenReg document"):
        read_document(b"[1, 2]")


def test_an_acknowledgement_opens_with_its_machine_key_only():
    machine = generate_private_key()
    sealed = seal_for_machine(b"statuses and UINs", public_key_b64(machine))
    assert b"UIN" not in sealed and open_as_machine(sealed, machine) == b"statuses and UINs"
    with pytest.raises(MediaDocumentError, match="another kiosk"):
        open_as_machine(sealed, generate_private_key())
    with pytest.raises(MediaDocumentError, match="damaged or was altered"):
        open_as_machine(sealed[:-5] + b"xxxxx", machine)


def test_writes_are_read_back_before_they_take_their_name(tmp_path):
    target = tmp_path / "doc.json"
    write_verified(target, b"hello")
    assert target.read_bytes() == b"hello" and not part_path(target).exists()
    source = tmp_path / "src.bin"
    source.write_bytes(os.urandom(3_000_000))
    copied = tmp_path / "copy.bin"
    seen = []
    copy_to_part(source, copied, size=3_000_000, progress=seen.append)
    assert sum(seen) == 3_000_000 and part_path(copied).exists() and not copied.exists()
    with pytest.raises(ReadBackMismatch):
        commit_part(copied, sha256="0" * 64, size=3_000_000)
    assert not part_path(copied).exists()  # nothing half-made is left
    copy_to_part(source, copied, size=3_000_000)
    commit_part(copied, sha256=hashlib.sha256(source.read_bytes()).hexdigest(), size=3_000_000)
    assert copied.read_bytes() == source.read_bytes()
    with pytest.raises(SourceUnreadable, match="ends at byte"):
        copy_to_part(source, tmp_path / "more.bin", size=3_000_001)
    with pytest.raises(SourceUnreadable, match="cannot be read"):
        copy_to_part(tmp_path / "gone.bin", tmp_path / "x.bin", size=1)


def test_reads_from_a_stick_follow_no_link_and_stop_at_a_bound(tmp_path):
    (tmp_path / "big").write_bytes(b"x" * 101)
    with pytest.raises(OverLimit):
        read_bounded(tmp_path / "big", 100)
    (tmp_path / "link").symlink_to(tmp_path / "big")
    with pytest.raises(MediaError, match="symbolic link"):
        read_bounded(tmp_path / "link", 1000)
    (tmp_path / "dir").mkdir()
    with pytest.raises(MediaError, match="not a regular file"):
        read_bounded(tmp_path / "dir", 1000)


def test_the_layout_takes_names_from_validated_ids_only(tmp_path):
    folder = kiosk_folder(tmp_path, "10042")
    assert folder == tmp_path / "OpenReg" / "10042" and kiosk_folder(folder, "10042") == folder
    with pytest.raises(ValueError):
        kiosk_folder(tmp_path, "../x")
    with pytest.raises(ValueError):
        packet_file(folder, "../../x")
    assert is_packet_name(f"{RID}.age") and not is_packet_name("notes.txt") and not is_packet_name(".x.age")
    (folder / "packets").mkdir(parents=True)
    (tmp_path / "OpenReg" / "not-a-kiosk").mkdir()
    found = find_exports(tmp_path)
    assert found.exports == [] and found.unfinished == [folder]


def test_removable_drives_are_the_usb_and_removable_mounts(tmp_path):
    sys_root = tmp_path / "sys"
    devices = sys_root / "devices"
    usb = devices / "pci0000:00" / "usb1" / "1-1" / "block" / "sdb" / "sdb1"
    card = devices / "platform" / "mmc" / "block" / "mmcblk0" / "mmcblk0p1"
    disk = devices / "pci0000:00" / "virtio" / "block" / "vda" / "vda1"
    for node in (usb, card, disk):
        node.mkdir(parents=True)
    (card.parent / "removable").write_text("1\n")
    (disk.parent / "removable").write_text("0\n")
    (sys_root / "class" / "block").mkdir(parents=True)
    for node in (usb, card, disk):
        (sys_root / "class" / "block" / node.name).symlink_to(node)
    mounts = (
        "/dev/vda1 / ext4 rw 0 0\n"
        "proc /proc proc rw 0 0\n"
        f"/dev/sdb1 {tmp_path}/media/MY\\040STICK vfat rw 0 0\n"
        f"/dev/mmcblk0p1 {tmp_path}/card vfat rw 0 0\n"
        "/dev/sdz9 /gone vfat rw 0 0\n"
    )
    drives = linux_drives(mounts, sys_root=sys_root)
    assert [d.label for d in drives] == ["MY STICK", "card"]
    assert drives[0].path == tmp_path / "media" / "MY STICK" and drives[0].free_bytes is None

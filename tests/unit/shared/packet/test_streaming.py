"""The packet is read as it is decrypted (issue 22): the front-to-back ZIP reading agrees with zipfile's
on every layout a writer can choose, refuses a container whose central directory says otherwise,
keeps big payloads out of memory, and a failing seal leaves nothing behind."""

from __future__ import annotations

import dataclasses
import io
import os
import struct
import zipfile

import pyrage
import pytest
from pyrage import x25519

from shared.packet import (
    MalformedPacket,
    PacketError,
    TruncatedPacket,
    open_packet,
    read_container,
    seal_packet,
)
from shared.packet import builder as packet_builder
from shared.packet.model import Limits
from shared.packet.spool import MEMORY_BUDGET, payload_of
from shared.packet.zipstream import ZipStream
from tests.unit.shared.packet.conftest import make_contents


class _Collect:
    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    def begin(self, name, *, declared_size) -> None:
        self._name, self._parts = name, []

    def data(self, chunk) -> None:
        self._parts.append(chunk)

    def end(self) -> None:
        self.entries[self._name] = b"".join(self._parts)


def _stream(data: bytes, chunk: int = 7919) -> dict[str, bytes]:
    sink = _Collect()
    parser = ZipStream(sink, Limits())
    for start in range(0, len(data), chunk):
        parser.feed(data[start : start + chunk])
    parser.close()
    return sink.entries


class _Pipe(io.RawIOBase):  # not seekable: zipfile writes data descriptors, as into the age stream
    def __init__(self) -> None:
        self.out = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.out += data
        return len(data)


ENTRIES = {
    "a.json": b'{"x": 1}',
    "empty.bin": b"",
    "big.bin": os.urandom(300_000),
    # a stored entry holding what looks like a data descriptor, right size and all but the CRC
    "trap.bin": b"abc" + b"PK\x07\x08" + struct.pack("<III", 0, 3, 3) + b"tail",
    "zeros.bin": b"\0" * 50_000,
}


@pytest.mark.parametrize("seekable", [True, False])
@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize("zip64", [False, True])
def test_every_layout_reads_as_zipfile_reads_it(seekable: bool, method: int, zip64: bool) -> None:
    target = io.BytesIO() if seekable else _Pipe()
    with zipfile.ZipFile(target, "w", compression=method) as archive:
        for name, data in ENTRIES.items():
            with archive.open(zipfile.ZipInfo(name), "w", force_zip64=zip64) as out:
                out.write(data)
    data = target.getvalue() if seekable else bytes(target.out)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == ENTRIES
    for chunk in (1, 13, 65536):
        assert _stream(data, chunk) == ENTRIES


def test_a_central_directory_that_disagrees_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.json", b"{}")
        archive.writestr("b.json", b"[]")
    data = bytearray(buffer.getvalue())
    central = data.index(b"PK\x01\x02")
    data[central + 16] ^= 0xFF  # the first entry's CRC as the directory lists it
    with pytest.raises(MalformedPacket, match="central directory"):
        _stream(bytes(data))
    with pytest.raises(TruncatedPacket):
        _stream(buffer.getvalue()[:-10])


def test_a_name_that_is_not_utf8_or_a_record_cut_short_is_malformed() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("a\u00e9.json"), b"{}")  # non-ASCII: flagged as UTF-8
    data = bytearray(buffer.getvalue())
    name = data.index("a\u00e9".encode())
    data[name + 1] = 0xFF  # not UTF-8 any more, in the local header
    with pytest.raises(MalformedPacket, match="malformed"):
        _stream(bytes(data))
    end = buffer.getvalue().index(b"PK\x01\x02")
    with pytest.raises(PacketError):  # the central directory cut inside its first record
        _stream(buffer.getvalue()[: end + 20] + buffer.getvalue()[-22:])


def test_a_big_packet_keeps_its_payloads_out_of_memory(keys, tmp_path) -> None:
    contents = make_contents(image_bytes=MEMORY_BUDGET // 2 + 1000)  # the second payload spills
    sealed = seal_packet(contents, machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path)
    opened = open_packet(sealed.path, identities=keys.identities, machine_public_key=keys.machine_public)
    records = [*opened.contents.documents, *opened.contents.biometrics]
    assert [payload_of(r) is not None for r in records] == [False, True, False]
    assert opened.contents.documents == contents.documents
    assert opened.contents.biometrics == contents.biometrics
    spilled = opened.contents.biometrics[0]
    assert spilled.data == contents.biometrics[0].data and isinstance(spilled, type(contents.biometrics[0]))
    assert dataclasses.replace(spilled, quality=5).data == contents.biometrics[0].data


def test_read_container_and_open_packet_agree(keys, tmp_path) -> None:
    sealed = seal_packet(
        make_contents(), machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path
    )
    plain = io.BytesIO()
    with sealed.path.open("rb") as handle:
        pyrage.decrypt_io(handle, plain, [x25519.Identity.from_str(keys.identities[0])])
    from_bytes = read_container(plain.getvalue(), machine_public_key=keys.machine_public)
    from_file = open_packet(sealed.path, identities=keys.identities, machine_public_key=keys.machine_public)
    assert from_bytes.contents == from_file.contents


def test_a_failing_container_writer_leaves_no_packet(keys, tmp_path, monkeypatch) -> None:
    def broken(contents, *, machine_key, out) -> None:
        out.write(b"PK\x03\x04" + b"\0" * 100_000)
        raise RuntimeError("disk of the mind is full")

    monkeypatch.setattr(packet_builder, "write_container", broken)
    out = tmp_path / "packets"
    with pytest.raises(PacketError, match="disk of the mind"):
        seal_packet(make_contents(), machine_key=keys.machine, recipients=[keys.recipient], out_dir=out)
    assert list(out.iterdir()) == []

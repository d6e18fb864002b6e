"""Read the packet's ZIP as it comes out of the age stream, front to back, holding one entry at a time.

``zipfile`` needs the whole container in a seekable buffer (the central directory is at the end), so the
reader held the decrypted packet and then every entry again. This parser is fed the plaintext in
chunks (``feed``) and hands each entry's bytes to an :class:`EntrySink` as they come: local file
header, data (stored or deflated), data descriptor. At the end (``close``) the central directory must
list exactly the entries read, at the offsets read, with the same names, methods, CRCs and sizes, so
the front-to-back reading and ``zipfile``'s back-to-front one cannot disagree about what the packet
holds.

The one case a stream cannot delimit by itself, a stored entry whose sizes follow it in a data
descriptor (what ``zipfile`` writes to a pipe, i.e. every sealed packet), is found by the descriptor's
signature followed by the CRC and sizes of exactly the bytes before it. A descriptor forged inside an
entry's data can only cut the entry short into bytes the manifest's SHA-256 and the central directory
then refuse.
"""

from __future__ import annotations

import contextlib
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from shared.packet.errors import CompressionBomb, MalformedPacket, OversizedEntry, TruncatedPacket
from shared.packet.model import Limits

LOCAL = b"PK\x03\x04"
CENTRAL = b"PK\x01\x02"
DESCRIPTOR = b"PK\x07\x08"
END = b"PK\x05\x06"
END64 = b"PK\x06\x06"
END64_LOCATOR = b"PK\x06\x07"
STORED, DEFLATED = 0, 8
_LOCAL_HEAD = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL_HEAD = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END_HEAD = struct.Struct("<4sHHHHIIH")
_MAX_DIRECTORY = 4 * 1024 * 1024  # central directory and end records of up to Limits.max_entries
# A stored entry is handed on in pieces of at most this much of what is buffered. A streamed packet
# buffers a few hundred KiB at a time anyway; a packet read whole (up to spool.MEMORY_BUDGET) hands
# each entry on in one piece, so its bytes are copied once, not again joined from pieces.
_SLICE = 16 * 1024 * 1024
_INFLATE_STEP = 16 * 1024


class EntrySink(Protocol):
    """Receives each entry: ``begin`` (name checked by the caller), ``data`` chunks, ``end``."""

    def begin(self, name: str, *, declared_size: int | None) -> None: ...

    def data(self, chunk: bytes) -> None: ...

    def end(self) -> None: ...


@dataclass(frozen=True)
class LocalEntry:
    name: str
    offset: int
    method: int
    crc: int
    compressed: int
    size: int


class ZipStream:
    """Push parser: ``feed`` plaintext chunks, then ``close``; raises the packet error types."""

    def __init__(self, sink: EntrySink, limits: Limits, *, sizes: dict[int, int] | None = None) -> None:
        """``sizes``: compressed sizes by offset from the central directory, when the whole container
        is at hand (``directory_sizes``): a stored entry with a data descriptor is then read by its
        size instead of looking for its descriptor."""
        self._sink, self._limits, self._sizes = sink, limits, sizes or {}
        self._buf: bytes | bytearray = b""
        self._pos = 0  # next byte to read in self._buf (what is before it is dropped on the next feed)
        self._offset = 0  # stream offset of self._buf[self._pos]
        self._step = self._header
        self.entries: list[LocalEntry] = []
        self._total = 0
        self._directory = bytearray()

    # -- driving ------------------------------------------------------------------------------
    def feed(self, chunk: bytes | bytearray) -> None:
        """Parse on with ``chunk``, which is taken over (not copied) when nothing is pending."""
        if self._avail() == 0:
            self._buf, self._pos = chunk, 0
        else:
            if self._pos or not isinstance(self._buf, bytearray):
                self._buf = bytearray(memoryview(self._buf)[self._pos :])
                self._pos = 0
            self._buf += chunk
        with _as_malformed():
            while self._step():
                pass

    def close(self) -> list[LocalEntry]:
        """The stream ended: check the central directory against the entries read; return them."""
        if self._step != self._rest:
            raise TruncatedPacket("the container is not a complete ZIP: it ends inside an entry")
        with _as_malformed():
            self._check_directory(bytes(self._directory))
        return self.entries

    def _take(self, count: int) -> bytes | None:
        if self._avail() < count:
            return None
        with memoryview(self._buf) as view:
            piece = bytes(view[self._pos : self._pos + count])  # one copy (a bytearray slice: two)
        self._pos += count
        self._offset += count
        return piece

    def _avail(self) -> int:
        return len(self._buf) - self._pos

    def _unread(self, count: int) -> None:
        """Step back over the last ``count`` bytes taken (they are still in the buffer)."""
        self._pos -= count
        self._offset -= count

    # -- states: each returns True when it made progress and parsing can go on -------------------
    def _header(self) -> bool:
        if self._avail() < 4:
            return False
        signature = bytes(self._buf[self._pos : self._pos + 4])
        if signature in (CENTRAL, END):
            self._step = self._rest
            return True
        if signature != LOCAL:
            what = "the container is not a complete ZIP" if not self.entries else "unexpected data"
            raise TruncatedPacket(f"{what} (no local file header at offset {self._offset})")
        if self._avail() < _LOCAL_HEAD.size:
            return False
        head = _LOCAL_HEAD.unpack_from(self._buf, self._pos)
        name_len, extra_len = head[9], head[10]
        if self._avail() < _LOCAL_HEAD.size + name_len + extra_len:
            return False
        offset = self._offset
        self._take(_LOCAL_HEAD.size)
        raw_name, extra = self._take(name_len), self._take(extra_len)
        self._begin(offset, head, raw_name or b"", extra or b"")
        return True

    def _begin(self, offset: int, head: tuple, raw_name: bytes, extra: bytes) -> None:
        _sig, _version, flags, method, _time, _date, crc, compressed, size, _nl, _el = head
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
        if len(self.entries) >= self._limits.max_entries:
            raise OversizedEntry(f"over {self._limits.max_entries} entries")
        if method not in (STORED, DEFLATED):
            raise MalformedPacket(f"{name}: compression method {method} is not allowed")
        if flags & 0x1:
            raise MalformedPacket(f"{name}: ZIP-level encryption is not allowed")
        zip64 = _zip64_extra(extra)
        if zip64 is not None:
            size, compressed, _offset = _wide(zip64, size, compressed, 0)
        described = bool(flags & 0x8)
        declared = None if described and size == 0 else size
        if declared is not None:
            self._check_declared(name, declared, compressed, method)
        self._entry = dict(
            name=name, offset=offset, method=method, described=described, zip64=zip64 is not None
        )
        self._entry.update(crc=crc, compressed=compressed, size=size, declared=declared)
        self._sink.begin(name, declared_size=declared)
        self._crc, self._out, self._in = 0, 0, 0
        if method == DEFLATED:
            self._inflate = zlib.decompressobj(-15)
            self._step = self._deflated
        elif described and declared is None and offset in self._sizes:
            self._left = self._sizes[offset]
            self._step = self._stored
        elif described and declared is None:
            self._step = self._stored_until_descriptor
        else:
            self._left = compressed
            self._step = self._stored

    def _check_declared(self, name: str, size: int, compressed: int, method: int) -> None:
        if size > self._limits.max_entry_bytes:
            raise OversizedEntry(f"{name} declares {size} bytes, over the entry limit")
        ratio = size / max(compressed, 1)
        if method == DEFLATED and size > 1024 * 1024 and ratio > self._limits.max_ratio:
            raise CompressionBomb(f"{name} expands {ratio:.0f}x, over the limit of {self._limits.max_ratio}x")

    def _emit(self, data: bytes, *, crc: int | None = None) -> None:
        """Hand ``data`` to the sink, counting and checking it; ``crc`` when already computed over it."""
        name = self._entry["name"]
        self._out += len(data)
        self._total += len(data)
        if self._out > self._limits.max_entry_bytes:
            raise OversizedEntry(f"{name} is over the entry limit of {self._limits.max_entry_bytes} bytes")
        if self._total > self._limits.max_packet_bytes:
            raise OversizedEntry(
                f"entries total over the packet limit of {self._limits.max_packet_bytes} bytes"
            )
        self._crc = zlib.crc32(data, self._crc) if crc is None else crc
        self._sink.data(data)

    def _stored(self) -> bool:
        if self._left and not self._avail():
            return False
        piece = self._take(min(self._left, self._avail(), _SLICE)) or b""
        self._left -= len(piece)
        self._in += len(piece)
        if piece:
            self._emit(piece)
        if self._left:
            return bool(piece)
        return self._finish_data()

    def _deflated(self) -> bool:
        if not self._avail():
            return False
        # Small steps: what follows the end of the deflate stream is stepped back over.
        piece = self._take(min(self._avail(), _INFLATE_STEP)) or b""
        limit = self._limits.max_entry_bytes - self._out + 1
        try:
            out = self._inflate.decompress(piece, limit)
        except zlib.error as exc:
            raise MalformedPacket(f"{self._entry['name']}: {exc}") from exc
        if self._inflate.unconsumed_tail:
            raise OversizedEntry(
                f"{self._entry['name']} is over the entry limit of {self._limits.max_entry_bytes} bytes"
            )
        used = len(piece) - len(self._inflate.unused_data)
        self._in += used
        if (
            self._out + len(out) > 1024 * 1024
            and (self._out + len(out)) / max(self._in, 1) > self._limits.max_ratio
        ):
            raise CompressionBomb(
                f"{self._entry['name']} expands over the limit of {self._limits.max_ratio}x"
            )
        if out:
            self._emit(out)
        if not self._inflate.eof:
            return True
        self._unread(len(self._inflate.unused_data))
        return self._finish_data()

    def _stored_until_descriptor(self) -> bool:
        """Stored data of unknown length: up to a descriptor whose CRC and size are of what came before."""
        wide = self._entry["zip64"]
        need = 24 if wide else 16
        start = 0
        while True:
            found = self._buf.find(DESCRIPTOR, self._pos + start) - self._pos
            if found < 0:
                keep = min(self._avail(), 3)  # a signature may straddle two chunks
                return self._pass_on(self._avail() - keep)
            if self._avail() < found + need:
                return self._pass_on(found)  # wait for the whole candidate
            crc, compressed, size = struct.unpack_from(
                "<IQQ" if wide else "<III", self._buf, self._pos + found + 4
            )
            if compressed == size == self._out + found:
                piece = self._take(found) or b""
                running = zlib.crc32(piece, self._crc)
                if running == crc:  # this is the descriptor: the data ends here
                    self._in += len(piece)
                    self._emit(piece, crc=running)
                    self._step = self._descriptor
                    return True
                self._unread(len(piece))  # not it: step back and look further
            start = found + 1

    def _pass_on(self, count: int) -> bool:
        if count <= 0:
            return False
        piece = self._take(count) or b""
        self._in += len(piece)
        self._emit(piece)
        return False  # more input is needed before anything else can be decided

    def _finish_data(self) -> bool:
        self._step = self._descriptor if self._entry["described"] else self._entry_done
        return True

    def _descriptor(self) -> bool:
        wide = self._entry["zip64"]
        size = 20 if wide else 12
        if self._avail() < 4 + size:
            return False
        if bytes(self._buf[self._pos : self._pos + 4]) == DESCRIPTOR:
            self._take(4)
        raw = self._take(size) or b""
        crc, compressed, length = struct.unpack("<IQQ" if wide else "<III", raw)
        self._entry.update(crc=crc, compressed=compressed, size=length)
        return self._entry_done()

    def _entry_done(self) -> bool:
        entry = self._entry
        name = entry["name"]
        if self._out != entry["size"] or self._in != entry["compressed"]:
            raise CompressionBomb(f"{name} does not decompress to its declared size")
        if self._crc != entry["crc"]:
            raise MalformedPacket(f"{name}: Bad CRC-32")
        self._sink.end()
        self.entries.append(
            LocalEntry(
                name, entry["offset"], entry["method"], entry["crc"], entry["compressed"], entry["size"]
            )
        )
        self._step = self._header
        return True

    def _rest(self) -> bool:
        """The central directory and end records: kept (bounded) and checked in ``close``."""
        self._directory += memoryview(self._buf)[self._pos :]
        self._offset += self._avail()
        self._buf, self._pos = b"", 0
        if len(self._directory) > _MAX_DIRECTORY:
            raise OversizedEntry("the ZIP central directory is over its size limit")
        return False

    # -- the central directory ------------------------------------------------------------------
    def _check_directory(self, data: bytes) -> None:
        count = _end_count(data)
        listed, position = _central_entries(data, 0)
        if data[position : position + 4] not in (END, END64):
            raise MalformedPacket("the ZIP central directory is malformed")
        if listed != self.entries or count != len(listed):
            raise MalformedPacket("the ZIP central directory does not list the entries the container holds")


@contextlib.contextmanager
def _as_malformed() -> Iterator[None]:
    """Records cut short (``struct``) and names that are not UTF-8 are malformed packets like the rest."""
    try:
        yield
    except (struct.error, UnicodeDecodeError) as exc:
        raise MalformedPacket(f"the ZIP structure is malformed: {exc}") from exc


def _end_count(data: bytes) -> int:
    """The entry count of the end record at the end of ``data`` (refusing data after it)."""
    end = data.rfind(END)
    if end < 0 or len(data) < end + _END_HEAD.size:
        raise TruncatedPacket("the container is not a complete ZIP: no end of central directory")
    _sig, _disk, _cd_disk, _here, count, _cd_size, _cd_offset, comment = _END_HEAD.unpack_from(data, end)
    if end + _END_HEAD.size + comment != len(data):
        raise MalformedPacket("data after the ZIP's end record")
    if count == 0xFFFF:  # the real count is in the ZIP64 end record
        at = data.rfind(END64, 0, end)
        if at < 0:
            raise MalformedPacket("the ZIP64 end record is missing")
        count = struct.unpack_from("<Q", data, at + 32)[0]
    return count


def _central_entries(data: bytes, position: int) -> tuple[list[LocalEntry], int]:
    """The central directory records from ``position`` on, and where they end."""
    listed = []
    while data[position : position + 4] == CENTRAL:
        head = _CENTRAL_HEAD.unpack_from(data, position)
        flags, method, crc, compressed, size = head[3], head[4], head[7], head[8], head[9]
        name_len, extra_len, comment_len, offset = head[10], head[11], head[12], head[16]
        raw = data[position + 46 : position + 46 + name_len]
        extra = data[position + 46 + name_len : position + 46 + name_len + extra_len]
        size, compressed, offset = _wide(_zip64_extra(extra) or [], size, compressed, offset)
        name = raw.decode("utf-8" if flags & 0x800 else "cp437")
        listed.append(LocalEntry(name, offset, method, crc, compressed, size))
        position += 46 + name_len + extra_len + comment_len
    return listed, position


def directory_sizes(container: bytes) -> dict[int, int]:
    """Compressed size by local-header offset, read from the central directory of a whole container,
    or nothing when it cannot be read. A hint only (``ZipStream(sizes=...)``): what the stream then
    reads is checked against the directory at the end as always."""
    try:
        end = container.rfind(END)
        offset = _END_HEAD.unpack_from(container, end)[6] if end >= 0 else 0xFFFFFFFF
        if offset == 0xFFFFFFFF:
            return {}
        return {entry.offset: entry.compressed for entry in _central_entries(container, offset)[0]}
    except (struct.error, UnicodeDecodeError, ValueError):
        return {}


def _zip64_extra(extra: bytes) -> list[int] | None:
    """The values of the ZIP64 extended-information field in ``extra``, or None without one."""
    position = 0
    while position + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, position)
        if kind == 0x0001:
            return list(struct.unpack_from(f"<{length // 8}Q", extra, position + 4))
        position += 4 + length
    return None


def _wide(values: list[int], size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    """Size, compressed size and offset with each 0xFFFFFFFF replaced, in order, from ``values``."""
    values = list(values)
    size = values.pop(0) if size == 0xFFFFFFFF and values else size
    compressed = values.pop(0) if compressed == 0xFFFFFFFF and values else compressed
    offset = values.pop(0) if offset == 0xFFFFFFFF and values else offset
    return size, compressed, offset

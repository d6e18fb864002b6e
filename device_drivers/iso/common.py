"""Byte-level helpers shared by the ISO/IEC 19794-4/-5/-6 record readers (2005 and 2011 editions) and the
2011 writers."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime


class IsoRecordError(ValueError):
    """A record is truncated, inconsistent or not of the expected kind; the message says which field."""


class UnsupportedImageError(IsoRecordError):
    """The record is sound but its image is in a format this installation cannot decode (JPEG-LS, bit-packed
    raw, or WSQ without the ``wsq`` package)."""


# The version field of each edition, per format identifier (19794-5:2011 is "030", the others "020").
EDITIONS: dict[bytes, dict[bytes, int]] = {
    b"FIR\x00": {b"010\x00": 2005, b"020\x00": 2011},
    b"FAC\x00": {b"010\x00": 2005, b"030\x00": 2011},
    b"IIR\x00": {b"010\x00": 2005, b"020\x00": 2011},
}


def edition_of(data: bytes, magic: bytes, kind: str) -> int:
    """2005 or 2011, from the format identifier and version of ``data``; refuses anything else."""
    if len(data) < 8:
        raise IsoRecordError(f"{kind} record truncated: {len(data)} bytes cannot hold format and version")
    found = bytes(data[:4])
    if found != magic:
        raise IsoRecordError(f"not a {kind} record: format identifier is {found!r}, expected {magic!r}")
    version = bytes(data[4:8])
    editions = EDITIONS[magic]
    if version not in editions:
        known = " or ".join(v.rstrip(b"\x00").decode() for v in editions)
        raise IsoRecordError(f"{kind} record version {version!r} is not supported (expected {known})")
    return editions[version]


class Reader:
    """Bounds-checked big-endian cursor: every read past the end raises IsoRecordError, never IndexError."""

    def __init__(self, data: bytes, kind: str) -> None:
        self.data = data
        self.pos = 0
        self.kind = kind

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise IsoRecordError(f"{self.kind} record truncated while reading {what} at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return struct.unpack(">H", self.take(2, what))[0]

    def u32(self, what: str) -> int:
        return struct.unpack(">I", self.take(4, what))[0]

    def uint(self, size: int, what: str) -> int:
        return int.from_bytes(self.take(size, what), "big")

    def dimensions(self) -> tuple[int, int]:
        width, height = self.u16("width"), self.u16("height")
        if width == 0 or height == 0:
            raise IsoRecordError(f"{self.kind} record has a zero image width or height")
        return width, height

    def image(self, *, end: int, trailing_allowed: bool = False) -> bytes:
        """The length-prefixed image data of a representation ending at ``end``; only finger records may
        carry extended data after it (``trailing_allowed``)."""
        length = self.u32("image length")
        left = end - self.pos
        if length > left or (length < left and not trailing_allowed):
            raise IsoRecordError(
                f"{self.kind} image length {length} disagrees with its representation ({left} bytes left)"
            )
        return self.take(length, "image data")

    def expect_end(self, last: str) -> None:
        """Refuse bytes left over after the last ``last`` (image, finger) the header announced."""
        if self.pos != len(self.data):
            raise IsoRecordError(
                f"{self.kind} record has {len(self.data) - self.pos} unexpected bytes after the last {last}"
            )


@dataclass(frozen=True)
class QualityBlock:
    score: int
    vendor_id: int = 0
    algorithm_id: int = 0


def read_datetime(r: Reader) -> datetime | None:
    year, month, day, hour, minute, second, milli = struct.unpack(">HBBBBBH", r.take(9, "capture date"))
    try:
        return datetime(year, month, day, hour, minute, second, min(milli, 999) * 1000, tzinfo=UTC)
    except ValueError:
        return None  # "unknown" values (0xFF...) are allowed by the standard


def pack_datetime(when: datetime) -> bytes:
    when = when.astimezone(UTC)
    return struct.pack(
        ">HBBBBBH",
        when.year,
        when.month,
        when.day,
        when.hour,
        when.minute,
        when.second,
        when.microsecond // 1000,
    )


def read_quality_blocks(r: Reader) -> tuple[QualityBlock, ...]:
    count = r.u8("quality block count")
    blocks = []
    for _ in range(count):
        score = r.u8("quality score")
        if score > 100 and score != 255:
            raise IsoRecordError(f"{r.kind} record has quality score {score}, outside 0-100")
        blocks.append(QualityBlock(score, r.u16("quality vendor"), r.u16("quality algorithm")))
    return tuple(blocks)


def pack_quality_blocks(blocks: tuple[QualityBlock, ...]) -> bytes:
    out = bytes([len(blocks)])
    for b in blocks:
        out += struct.pack(">BHH", b.score, b.vendor_id, b.algorithm_id)
    return out


UNKNOWN_CAPTURE_TIME = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RepresentationStart:
    """The part every 19794-4/-5/-6 representation starts with."""

    start: int
    length: int
    captured_at: datetime
    quality: tuple[QualityBlock, ...]
    certifications: tuple[tuple[int, int], ...]

    @property
    def end(self) -> int:
        return self.start + self.length


def read_record_header(
    r: Reader, magic: bytes, version: bytes, *, tail: tuple[str, int], empty: str
) -> tuple[int, bool]:
    """The general header: format, version, length, representation count, certification flag and one
    kind-specific ``tail`` field (name, size). Returns (representation count, certification flag)."""
    check_header(r, magic, (version,))
    count = r.u16("representation count")
    cert_flag = bool(r.u8("certification flag"))
    r.take(tail[1], tail[0])
    if count == 0:
        raise IsoRecordError(empty)
    return count, cert_flag


def read_representation_start(
    r: Reader, *, kind: str, index: int, min_length: int, certified: bool
) -> RepresentationStart:
    """Length (checked against the record), capture time, device ids, quality and certification
    blocks (when the header flags them)."""
    start = r.pos
    length = r.u32("representation length")
    if length < min_length or start + length > len(r.data):
        raise IsoRecordError(f"{kind} representation {index} length {length} does not fit the record")
    when = read_datetime(r)
    r.take(5, "capture device ids")
    quality = read_quality_blocks(r)
    certs: tuple[tuple[int, int], ...] = ()
    if certified:
        certs = tuple(
            (r.u16("certification authority"), r.u8("certification scheme"))
            for _ in range(r.u8("certification count"))
        )
    return RepresentationStart(start, length, when or UNKNOWN_CAPTURE_TIME, quality, certs)


def pack_representation_start(when: datetime, quality: tuple[QualityBlock, ...]) -> bytes:
    """Capture time, zero device ids and the quality blocks."""
    return pack_datetime(when) + struct.pack(">BHH", 0, 0, 0) + pack_quality_blocks(quality)


def pack_record(prefix: bytes, representations: list[bytes], *, cert_flag: bool, tail: bytes) -> bytes:
    """A whole record: ``prefix`` (format and version), the general header ending in ``tail``, then
    each representation behind its u32 length."""
    body = b"".join(struct.pack(">I", len(rep) + 4) + rep for rep in representations)
    header_length = len(prefix) + 7 + len(tail)
    counts = struct.pack(">IHB", header_length + len(body), len(representations), int(cert_flag))
    return prefix + counts + tail + body


def check_header(r: Reader, magic: bytes, versions: tuple[bytes, ...], *, length_size: int = 4) -> None:
    """Format identifier, version and record length (``length_size`` bytes: 6 in 19794-4:2005), which must
    be the size of the whole input."""
    found = r.take(4, "format identifier")
    if found != magic:
        raise IsoRecordError(f"not a {r.kind} record: format identifier is {found!r}, expected {magic!r}")
    version = r.take(4, "version")
    if version not in versions:
        raise IsoRecordError(f"{r.kind} record version {version!r} is not supported (expected {versions})")
    length = r.uint(length_size, "record length")
    if length != len(r.data):
        raise IsoRecordError(
            f"{r.kind} record length field says {length} bytes but {len(r.data)} bytes were given"
            + (" (truncated)" if length > len(r.data) else "")
        )


def quality_2005(score: int, kind: str) -> tuple[QualityBlock, ...]:
    """The one-byte quality of a 2005-edition finger view or iris image: 0-100, 254 "not given" (no block)
    or 255 "could not be assessed" (kept as 255, as the 2011 edition writes it); anything else is refused."""
    if score == 254:
        return ()
    if score > 100 and score != 255:
        raise IsoRecordError(f"{kind} record has quality score {score}, outside 0-100")
    return (QualityBlock(score),)


def sniff_image_format(payload: bytes) -> str:
    if payload.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or payload.startswith(b"\xff\x4f\xff\x51"):
        return "jp2"
    if payload.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if payload.startswith(b"\xff\xd8"):
        return "jpeg"
    if payload.startswith(b"\xff\xa0"):
        return "wsq"
    return "unknown"

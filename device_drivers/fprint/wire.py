"""The pipe between the kiosk and its libfprint host process: one frame per message, both ways.

A frame is two big-endian u32 lengths (header, payload), a UTF-8 JSON object (the header: a request,
an answer or an event) and raw bytes (the payload: a captured image's pixels, else empty). Both sides
read with :func:`read_frame`, which refuses anything over the bounds, truncated or not a JSON object
with a clear :class:`WireError`, so a confused or hostile peer cannot make the other side allocate
without limit or act on half a message.
"""

from __future__ import annotations

import json
import struct
from typing import BinaryIO

MAX_HEADER = 64 * 1024
MAX_PAYLOAD = 16 * 1024 * 1024  # a 4000 x 4000 greyscale image; fingerprint readers give far less
_LENGTHS = struct.Struct(">II")


class WireError(Exception):
    """A frame on the pipe is malformed, oversized or cut off (the peer died mid-message)."""


class WireClosed(WireError):
    """The pipe ended cleanly between two frames."""


def encode_frame(header: dict, payload: bytes = b"") -> bytes:
    body = json.dumps(header, separators=(",", ":")).encode()
    if len(body) > MAX_HEADER or len(payload) > MAX_PAYLOAD:
        raise WireError(f"frame too large ({len(body)} header bytes, {len(payload)} payload bytes)")
    return _LENGTHS.pack(len(body), len(payload)) + body + payload


def write_frame(stream: BinaryIO, header: dict, payload: bytes = b"") -> None:
    """Write one whole frame and flush (callers serialise writers)."""
    stream.write(encode_frame(header, payload))
    stream.flush()


def _read_exactly(stream: BinaryIO, size: int, what: str) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise WireError(f"the pipe closed in the middle of a frame ({what})")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> tuple[dict, bytes]:
    """The next (header, payload); :class:`WireClosed` at a clean end, :class:`WireError` otherwise."""
    first = stream.read(_LENGTHS.size)
    if not first:
        raise WireClosed("the pipe closed")
    if len(first) < _LENGTHS.size:
        first += _read_exactly(stream, _LENGTHS.size - len(first), "lengths")
    header_size, payload_size = _LENGTHS.unpack(first)
    if header_size > MAX_HEADER or payload_size > MAX_PAYLOAD:
        raise WireError(f"frame over the limits ({header_size} header bytes, {payload_size} payload bytes)")
    raw = _read_exactly(stream, header_size, "header")
    payload = _read_exactly(stream, payload_size, "payload") if payload_size else b""
    try:
        header = json.loads(raw)
    except ValueError as exc:
        raise WireError(f"frame header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise WireError("frame header is not a JSON object")
    return header, payload

"""tus 1.0.0 on the HTTP side: its headers, parsed and bounded, and a route class that puts
``Tus-Resumable`` on every answer of the tus routes, refusals included. The rules of an upload are in
sync_server.services.tus; this module only reads and writes HTTP."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import hashlib
import hmac
import inspect
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError

from shared.packet import MAX_SEALED_PACKET_BYTES
from shared.sync import UPLOAD_CONTENT_TYPE, ErrorCode, FieldError, PacketRegisterRequest
from shared.sync.models import (
    MAX_UPLOAD_METADATA_BYTES,
    TUS_CHECKSUM_ALGORITHMS,
    TUS_EXTENSIONS,
    TUS_RESUMABLE_HEADER,
    TUS_VERSION,
    UPLOAD_CHECKSUM_HEADER,
    UPLOAD_METADATA_HEADER,
)
from sync_server.errors import ApiError

_HASHES = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}
assert set(_HASHES) == set(TUS_CHECKSUM_ALGORITHMS)
_METADATA_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_DIGITS = re.compile(r"[0-9]{1,20}")  # str.isdigit() takes other scripts' digits too
_MAX_METADATA_PAIRS = 16
# The Upload-Metadata keys a packet upload understands; a generic client's others (filename, ...) are
# ignored, as tus allows.
METADATA_FIELDS = ("rid", "sha256", "operator_id", "supervisor_id", "created_at")

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class TusRoute(APIRoute):
    """A route whose every answer carries ``Tus-Resumable``. A refusal raised by a dependency or the
    route (auth, validation, domain errors) is rendered here by the app's own handler for it, the same
    ErrorBody as everywhere; an error with no handler but the last resort goes on to it (a logged 500)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def tus_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                render = _handler_for(request, exc)
                if render is None:
                    raise
                response = render(request, exc)
                if inspect.isawaitable(response):
                    response = await response
            response.headers[TUS_RESUMABLE_HEADER] = TUS_VERSION
            return response

        return tus_handler


def _handler_for(request: Request, exc: Exception) -> Callable[..., Any] | None:
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None


def discovery_headers() -> dict[str, str]:
    """What OPTIONS tells a tus client about this server."""
    return {
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": ",".join(TUS_EXTENSIONS),
        "Tus-Max-Size": str(MAX_SEALED_PACKET_BYTES),
        "Tus-Checksum-Algorithm": ",".join(TUS_CHECKSUM_ALGORITHMS),
    }


TusResumableHeader = Annotated[
    str | None,
    Header(
        alias=TUS_RESUMABLE_HEADER,
        description=f"tus protocol version: {TUS_VERSION} (HEAD/PATCH of kiosks before tus: none)",
        json_schema_extra={"enum": [TUS_VERSION]},
    ),
]


def _version_check(*, required: bool) -> Callable[..., Awaitable[None]]:
    # the annotation is a module-level alias: a closure's own names do not resolve in string annotations
    # async: a header check needs no worker thread (``sync_server.api.deps``)
    async def check(tus_resumable: TusResumableHeader = None) -> None:
        if tus_resumable is None and not required:
            return
        if tus_resumable != TUS_VERSION:
            raise ApiError(
                412,
                ErrorCode.tus_version_unsupported,
                f"this server speaks tus {TUS_VERSION}; send Tus-Resumable: {TUS_VERSION}",
                headers={"Tus-Version": TUS_VERSION},
            )

    return check


# Creation and termination are tus only; HEAD and PATCH of a packet's content also serve the kiosks
# that predate tus (no Tus-Resumable header): a header with another version is 412 either way.
TusVersion = Depends(_version_check(required=True))
TusVersionOrLegacy = Depends(_version_check(required=False))


def check_offset_content(request: Request) -> None:
    """PATCH bodies (and creation bodies with bytes) must say ``application/offset+octet-stream``."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != UPLOAD_CONTENT_TYPE:
        raise ApiError(
            415, ErrorCode.unsupported_media_type, f"upload bytes need Content-Type: {UPLOAD_CONTENT_TYPE}"
        )


async def _offset_content(request: Request) -> None:
    check_offset_content(request)


OffsetContent = Depends(_offset_content)

UploadChecksum = Annotated[
    str | None,
    Header(
        alias=UPLOAD_CHECKSUM_HEADER,
        max_length=200,
        description=f"'<algorithm> <base64 digest>' of this request's bytes; algorithms: "
        f"{', '.join(TUS_CHECKSUM_ALGORITHMS)}; a mismatch is 460 and nothing is written",
    ),
]


def verify_checksum(header: str | None, data: bytes) -> str | None:
    """tus ``checksum``: 400 for a malformed header or unknown algorithm, 460 when ``data`` differs.
    Returns the hex SHA-256 of ``data`` when that was the algorithm (the upload may reuse it), else None."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    make = _HASHES.get(algorithm)
    if make is None:
        raise ApiError(
            400,
            ErrorCode.checksum_invalid,
            f"Upload-Checksum algorithm {algorithm[:20]!r} is not supported; use one of "
            f"{', '.join(TUS_CHECKSUM_ALGORITHMS)}",
        )
    try:
        expected = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        expected = b""
    digest = make(data).digest()
    if len(expected) != len(digest):
        raise ApiError(400, ErrorCode.checksum_invalid, "Upload-Checksum: '<algorithm> <base64 digest>'")
    if not hmac.compare_digest(digest, expected):
        raise ApiError(
            460, ErrorCode.checksum_mismatch, f"the bytes do not match their {algorithm} Upload-Checksum"
        )
    return digest.hex() if algorithm == "sha256" else None


def parse_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata`` (``key base64value`` pairs, comma-separated) as text values: bounded, unique
    keys, strict base64 of UTF-8 without control characters; 422 ``validation_error`` otherwise."""
    if header is None or not header.strip():
        raise _bad_metadata([], "Upload-Metadata is required: rid and sha256, base64-encoded")
    if len(header) > MAX_UPLOAD_METADATA_BYTES:
        raise _bad_metadata([], f"Upload-Metadata is limited to {MAX_UPLOAD_METADATA_BYTES} bytes")
    pairs = header.split(",")
    if len(pairs) > _MAX_METADATA_PAIRS:
        raise _bad_metadata([], f"Upload-Metadata has at most {_MAX_METADATA_PAIRS} pairs")
    values: dict[str, str] = {}
    for pair in pairs:
        key, _, encoded = pair.strip().partition(" ")
        if not _METADATA_KEY.fullmatch(key) or key in values:
            raise _bad_metadata([key[:64]], "keys are 1-64 of [A-Za-z0-9_.-] and appear once")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, ValueError):
            raise _bad_metadata([key], "the value is not base64 of UTF-8 text") from None
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise _bad_metadata([key], "the value has control characters")
        values[key] = value
    return values


def register_request(metadata: dict[str, str], length: int) -> PacketRegisterRequest:
    """The packet a creation announces: Upload-Metadata's fields and Upload-Length as its size."""
    fields = {k: metadata[k] for k in METADATA_FIELDS if k in metadata}
    try:
        return PacketRegisterRequest.model_validate({**fields, "size": length})
    except ValidationError as exc:
        errors = [
            FieldError(loc=["header", UPLOAD_METADATA_HEADER, *[str(p) for p in e["loc"]]], message=e["msg"])
            for e in exc.errors()
        ]
        raise ApiError(
            422, ErrorCode.validation_error, "Upload-Metadata/Upload-Length are not valid", errors=errors
        ) from None


def parse_length(length: str | None, defer: str | None) -> int:
    """``Upload-Length`` as bytes (deferring the length is not supported: packets are sealed first)."""
    if defer is not None:
        raise _bad_header("Upload-Defer-Length", "not supported: send Upload-Length")
    if length is None or not _DIGITS.fullmatch(length):
        raise _bad_header("Upload-Length", "required: the packet's size in bytes")
    size = int(length)
    if size > MAX_SEALED_PACKET_BYTES:
        raise ApiError(
            413,
            ErrorCode.packet_too_large,
            f"uploads are at most {MAX_SEALED_PACKET_BYTES} bytes (Tus-Max-Size)",
        )
    return size


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused past ``limit`` bytes (declared or streamed) with 413 chunk_too_large."""
    too_large = ApiError(413, ErrorCode.chunk_too_large, f"chunks are limited to {limit} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and _DIGITS.fullmatch(declared) and int(declared) > limit:
        raise too_large
    chunks, total = [], 0
    async for part in request.stream():
        total += len(part)
        if total > limit:
            raise too_large
        chunks.append(part)
    return b"".join(chunks)


def http_date(when: dt.datetime) -> str:
    """RFC 9110 date (``Upload-Expires``)."""
    return email.utils.format_datetime(when.astimezone(dt.UTC), usegmt=True)


def encode_metadata(values: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _bad_metadata(loc: list[str], message: str) -> ApiError:
    return ApiError(
        422,
        ErrorCode.validation_error,
        f"Upload-Metadata: {message}",
        errors=[FieldError(loc=["header", UPLOAD_METADATA_HEADER, *loc], message=message)],
    )


def _bad_header(name: str, message: str) -> ApiError:
    return ApiError(
        422,
        ErrorCode.validation_error,
        f"{name}: {message}",
        errors=[FieldError(loc=["header", name], message=message)],
    )

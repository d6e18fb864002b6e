"""Where an opened packet keeps its payloads once they pass a memory budget (issue 22).

A packet may hold up to 256 MB. Opening one kept every entry in memory (and the whole decrypted
container besides); now the first ``MEMORY_BUDGET`` bytes of payloads stay in memory, which covers every
ordinary registration, and the rest goes to an unlinked temporary file, a chunk at a time, encrypted
with AES-GCM under a key only this process holds (the plaintext of a packet never reaches a disk). A
record whose payload is spooled reads it back on each access of ``data``: what uses the packet holds
one payload at a time, not all of them.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MEMORY_BUDGET = 16 * 1024 * 1024
T = TypeVar("T")


class Spool:
    """An anonymous temporary file of AES-GCM sealed chunks; gone when the last payload using it is."""

    def __init__(self, directory: Path | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (lives as long as the payloads)
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self._chunks = 0
        self._end = 0

    def write(self, chunk: bytes) -> tuple[int, int, int]:
        """Seal and append ``chunk``; returns the span (offset, length, chunk number) to read it back."""
        number = self._chunks
        self._chunks += 1
        sealed = self._aead.encrypt(number.to_bytes(12, "big"), chunk, None)
        offset = self._end
        written = 0
        while written < len(sealed):
            written += os.pwrite(self._file.fileno(), memoryview(sealed)[written:], offset + written)
        self._end += len(sealed)
        return offset, len(sealed), number

    def read(self, spans: list[tuple[int, int, int]]) -> bytes:
        parts = []
        for offset, length, number in spans:
            sealed = os.pread(self._file.fileno(), length, offset)
            parts.append(self._aead.decrypt(number.to_bytes(12, "big"), sealed, None))
        return b"".join(parts)


class Payload:
    """One entry's bytes: in memory, or spans of a :class:`Spool`."""

    def __init__(
        self, *, data: bytes | None = None, spool: Spool | None = None, spans: list | None = None
    ) -> None:
        self._data, self._spool, self._spans = data, spool, spans or []

    @property
    def spooled(self) -> bool:
        return self._spool is not None

    def read(self) -> bytes:
        if self._spool is None:
            return self._data or b""
        return self._spool.read(self._spans)


_LAZY: dict[type, type] = {}


def lazy(cls: type[T]) -> type[T]:
    """A subclass of the frozen dataclass ``cls`` (it has a ``data`` field) whose ``data`` is read
    from a :class:`Payload` on each access; built as ``lazy(cls)(payload, **other_fields)``. It is
    an instance of ``cls`` and compares equal to one with the same fields."""
    if cls not in _LAZY:
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]

        def __init__(self: Any, payload: Payload | None = None, **fields: Any) -> None:
            if "data" in fields:  # dataclasses.replace() passes every field
                payload = Payload(data=fields.pop("data"))
            object.__setattr__(self, "_payload", payload)
            for name, value in fields.items():
                object.__setattr__(self, name, value)

        def __eq__(self: Any, other: object) -> bool:
            if not isinstance(other, cls):
                return NotImplemented
            return all(getattr(self, n) == getattr(other, n) for n in names)

        namespace = {
            "__init__": __init__,
            "__eq__": __eq__,
            "__hash__": None,
            "__doc__": cls.__doc__,
            "data": property(lambda self: self._payload.read(), doc="read from the packet's spool"),
        }
        _LAZY[cls] = type(cls.__name__, (cls,), namespace)
    return _LAZY[cls]


def payload_of(record: object) -> Payload | None:
    """The spooled payload behind a record made by :func:`lazy`, or None for an ordinary one."""
    return getattr(record, "_payload", None)

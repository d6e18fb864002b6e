"""Seal a registration: inner ZIP streamed straight into age encryption, written atomically.

The plaintext never touches the disk: a thread writes the ZIP into a reader that pyrage encrypts
from, and another hashes and writes the ciphertext into a temporary file in the packet folder
(``streams``: the ZIP writer hashes entries beside the encryption, on the other core). Only after encryption finished, the file was fsynced
and the ZIP writer reported success is the file renamed to ``<rid>.age`` (and the folder fsynced),
so a crash at any point leaves either the whole packet or only a ``.tmp-*`` file that no reader
takes for a packet (and :func:`remove_partials` clears on the next start).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

from shared.files import fsync_path
from shared.packet.errors import InvalidContents, PacketError
from shared.packet.keys import recipient_key_id
from shared.packet.layout import check_contents, write_container
from shared.packet.model import FORMAT, VERSION, PacketContents, SealedPacket
from shared.packet.streams import ContainerReader, HashingSink
from shared.signing import key_id, public_key_b64

SUFFIX = ".age"
PARTIAL_PREFIX = ".tmp-"


def packet_path(out_dir: Path, rid: str) -> Path:
    return Path(out_dir) / f"{rid}{SUFFIX}"


STALE_PARTIAL_SECONDS = 300.0


_last_sweep: dict[str, float] = {}  # folder -> monotonic time of this process's last stale sweep


def _sweep_stale_partials(out_dir: Path) -> None:
    """``remove_partials`` of the stale ones, at most once per ``STALE_PARTIAL_SECONDS`` per folder:
    listing a kiosk's packet folder (thousands of packets after months offline) cost 6 ms a seal at
    10,000 files, and nothing can turn stale sooner than that."""
    now, key = time.monotonic(), str(out_dir)
    if now - _last_sweep.get(key, -STALE_PARTIAL_SECONDS) < STALE_PARTIAL_SECONDS:
        return
    _last_sweep[key] = now
    remove_partials(out_dir, older_than=STALE_PARTIAL_SECONDS)


def remove_partials(out_dir: Path, *, older_than: float = 0.0) -> int:
    """Delete temp files left by a builder that died.

    With the default ``older_than=0`` every temp file goes: call it when no builder is running (at
    start-up). ``seal_packet`` itself clears those untouched for ``STALE_PARTIAL_SECONDS`` (looking
    at most that often): a live builder writes its temp file continuously, so only a dead one's can
    be that old.
    """
    removed = 0
    cutoff = time.time() - older_than
    for leftover in Path(out_dir).glob(f"{PARTIAL_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            if older_than and leftover.stat().st_mtime > cutoff:
                continue
            leftover.unlink()
            removed += 1
    return removed


def _parse_recipients(recipients: list[str]) -> list[x25519.Recipient]:
    if not recipients:
        raise InvalidContents("at least one age recipient (the server's) is needed")
    parsed = []
    for text in recipients:
        try:
            parsed.append(x25519.Recipient.from_str(text.strip()))
        except Exception as exc:  # pyrage raises its own RecipientError
            raise InvalidContents(f"not an age X25519 recipient: {text[:20]}…: {exc}") from exc
    return parsed


def _encrypt_streaming(contents: PacketContents, machine_key: Ed25519PrivateKey, recipients, sink) -> None:
    source = ContainerReader(lambda out: write_container(contents, machine_key=machine_key, out=out))
    try:
        pyrage.encrypt_io(source, sink, recipients)
    except Exception as exc:
        try:
            source.close()
        except BaseException as failure:  # the container writer's error is the cause, not pyrage's
            raise PacketError(f"writing the packet container failed: {failure}") from failure
        raise PacketError(f"encrypting the packet failed: {exc}") from exc
    try:
        source.close()
    except BaseException as failure:
        raise PacketError(f"writing the packet container failed: {failure}") from failure


def with_sealing_meta(
    contents: PacketContents,
    *,
    machine_key: Ed25519PrivateKey,
    recipients: list[str],
    sealed_at: datetime | None = None,
) -> PacketContents:
    """``contents`` with the meta fields the builder owns (format, version, key ids, sealed_at)."""
    meta = {
        **contents.meta,
        "format": FORMAT,
        "version": VERSION,
        "machine_key_id": key_id(machine_key),
        # Informational only: verifiers use the key they enrolled; `openreg packet inspect` may show it.
        "machine_public_key": public_key_b64(machine_key),
        "recipient_key_id": recipient_key_id(recipients[0]),
        "recipient_key_ids": [recipient_key_id(r) for r in recipients],
        "sealed_at": (sealed_at or datetime.now(UTC)).replace(microsecond=0).isoformat(),
    }
    return replace(contents, meta=meta)


def seal_packet(
    contents: PacketContents,
    *,
    machine_key: Ed25519PrivateKey,
    recipients: list[str],
    out_dir: Path,
    sealed_at: datetime | None = None,
) -> SealedPacket:
    """Build, sign and encrypt ``contents`` into ``out_dir/<rid>.age``; atomic, never overwrites.

    ``recipients[0]`` is the server's age recipient; any more (an escrow key) can also decrypt.
    """
    check_contents(contents)
    parsed = _parse_recipients(recipients)
    contents = with_sealing_meta(
        contents, machine_key=machine_key, recipients=recipients, sealed_at=sealed_at
    )
    primary_key_id = contents.meta["recipient_key_id"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _sweep_stale_partials(out_dir)
    final = packet_path(out_dir, contents.rid)
    if final.exists():
        raise InvalidContents(f"a sealed packet for {contents.rid} already exists at {final}")
    partial = out_dir / f"{PARTIAL_PREFIX}{contents.rid}-{secrets.token_hex(4)}"
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb", buffering=1024 * 1024) as handle:
            sink = HashingSink(handle)
            _encrypt_streaming(contents, machine_key, parsed, sink)
            handle.flush()
            os.fsync(handle.fileno())
        # link() refuses to replace an existing file, so two builders can never clobber a packet.
        os.link(partial, final)
        partial.unlink()
        fsync_path(out_dir)
    except FileExistsError as exc:
        raise InvalidContents(f"a sealed packet for {contents.rid} already exists at {final}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return SealedPacket(
        rid=contents.rid,
        path=final,
        sha256=sink.digest.hexdigest(),
        size=sink.size,
        recipient_key_id=primary_key_id,
    )

"""Typed errors of the packet reader and builder: each names what is wrong, none returns a partial result."""

from __future__ import annotations


class PacketError(Exception):
    """Base of every packet error."""


class DecryptionFailed(PacketError):
    """The age layer could not be opened with the given identities (wrong key or not an age file)."""


class TruncatedPacket(PacketError):
    """The file ends early or an entry is cut short."""


class MalformedPacket(PacketError):
    """The container is not a valid packet ZIP or one of its JSON files is invalid."""


class UnknownVersion(PacketError):
    """The packet declares a format or version this reader does not understand."""


class MissingEntry(PacketError):
    """A required entry, or one listed in the manifest, is absent."""


class ExtraEntry(PacketError):
    """The container holds an entry the manifest does not list, or a duplicate name."""


class UnsafePath(PacketError):
    """An entry name could escape the packet (absolute, '..', backslash, odd characters)."""


class OversizedEntry(PacketError):
    """An entry or the whole packet is larger than the configured limits."""


class CompressionBomb(PacketError):
    """An entry expands far beyond its compressed size."""


class HashMismatch(PacketError):
    """An entry's bytes do not match the SHA-256 (or size) recorded in the manifest."""


class BadSignature(PacketError):
    """The manifest signature does not verify under the machine's public key."""


class InvalidContents(PacketError):
    """The builder was given contents that cannot make a valid packet."""

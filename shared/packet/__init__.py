"""The sealed registration packet (format v1, specified in docs/packet-format.md).

Build with :func:`seal_packet`, open with :func:`open_packet`; every reader failure is a
:class:`PacketError` subclass naming what is wrong.
"""

from shared.packet.builder import PARTIAL_PREFIX, packet_path, remove_partials, seal_packet
from shared.packet.errors import (
    BadSignature,
    CompressionBomb,
    DecryptionFailed,
    ExtraEntry,
    HashMismatch,
    InvalidContents,
    MalformedPacket,
    MissingEntry,
    OversizedEntry,
    PacketError,
    TruncatedPacket,
    UnknownVersion,
    UnsafePath,
)
from shared.packet.keys import generate_identity_file, load_identities, recipient_key_id, recipient_of
from shared.packet.meta import MAX_META_BYTES, PacketMeta, read_meta
from shared.packet.model import (
    FORMAT,
    MAX_PACKET_BYTES,
    MAX_SEALED_PACKET_BYTES,
    VERSION,
    BiometricRecord,
    Document,
    Limits,
    OpenedPacket,
    PacketContents,
    SealedPacket,
    sealed_size_limit,
)
from shared.packet.outer import check_sealed_file
from shared.packet.reader import decrypt_packet, open_packet, read_container

__all__ = [
    "FORMAT",
    "MAX_META_BYTES",
    "MAX_PACKET_BYTES",
    "MAX_SEALED_PACKET_BYTES",
    "PARTIAL_PREFIX",
    "VERSION",
    "BadSignature",
    "BiometricRecord",
    "CompressionBomb",
    "DecryptionFailed",
    "Document",
    "ExtraEntry",
    "HashMismatch",
    "InvalidContents",
    "Limits",
    "MalformedPacket",
    "MissingEntry",
    "OpenedPacket",
    "OversizedEntry",
    "PacketContents",
    "PacketError",
    "PacketMeta",
    "SealedPacket",
    "TruncatedPacket",
    "UnknownVersion",
    "UnsafePath",
    "check_sealed_file",
    "decrypt_packet",
    "generate_identity_file",
    "load_identities",
    "open_packet",
    "packet_path",
    "read_container",
    "read_meta",
    "recipient_key_id",
    "recipient_of",
    "remove_partials",
    "seal_packet",
    "sealed_size_limit",
]

"""OpenReg sync server: enrolment, signed master data, resumable packet intake (docs/sync-protocol.md)."""

from shared import __version__

__all__ = ["__version__"]

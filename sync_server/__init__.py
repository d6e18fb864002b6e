"""OpenReg sync server: enrolment, signed master data, resumable packet intake (docs/sync-protocol.md)."""

__version__ = "0.1.0"

"""The interface-mutation gate: the contracts deployed kiosks and partners depend on, compared with
committed baselines so a breaking change cannot merge unnoticed.

``python -m tools.interface_gate check`` collects the current contracts (OpenAPI document, the
``shared.sync`` models, the packet format, the master-data import format, the SBI shapes the kiosk sends
and reads, the CLI tree), classifies every difference from ``baseline/`` as compatible or breaking, and
fails on a breaking one unless ``shared.sync.protocol.PROTOCOL_VERSION`` was raised and
docs/sync-protocol.md documents the migration. ``update`` rewrites the baselines.
"""

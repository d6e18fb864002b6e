"""Code both the kiosk client and the sync server import: packet format, IDs, crypto, wire models.

Nothing here imports ``client``, ``sync_server`` or ``device_drivers`` (enforced by import-linter).
"""

__version__ = "0.1.0"

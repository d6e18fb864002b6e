"""Code both the kiosk client and the sync server import: packet format, IDs, crypto, wire models.

Nothing here imports ``client``, ``sync_server`` or ``device_drivers`` (enforced by import-linter).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("openreg")  # one source: pyproject.toml, read from the installed metadata
except PackageNotFoundError:  # running from a bare source tree that was never installed
    __version__ = "0+unknown"

"""Private server files (the data dir, database, keys and packet blobs): owner-only folders and files,
shared with the kiosk (:mod:`shared.files`)."""

from shared.files import PRIVATE_DIR, PRIVATE_FILE, open_private, private_dir, tighten_file

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "open_private", "private_dir", "tighten_file"]

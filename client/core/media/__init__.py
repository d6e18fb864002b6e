"""The kiosk's side of packets, acknowledgements and master data by USB stick (issue 21).

:mod:`.export` writes approved, unacknowledged packets and a signed manifest to a stick;
:mod:`.ack_import` reads the server's acknowledgement back (statuses, UINs, master data, updates);
:mod:`.master_data_bundle` verifies and applies the master data it carries. Formats and crash-safe
file writing are shared with the server (shared.media). Every call does blocking I/O: run it on a
worker thread in the GUI.
"""

from client.core.media.errors import MediaProblem

__all__ = ["MediaProblem"]

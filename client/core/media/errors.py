"""The one error the kiosk's USB features raise: a stable ``code`` for front ends to word, an English
message for logs and the command line, and the figures the words need."""

from __future__ import annotations

from typing import Any

from shared.exit_codes import BAD_INPUT, IO_ERROR, REFUSED

# code -> meaning (the GUI's words are media.problem.<code> in client/ui/strings/usb_media.py)
CODES = (
    "not_enrolled",  # no machine id or pinned server key yet
    "no_folder",  # the chosen folder does not exist (stick not mounted)
    "full",  # the stick has no room (details: free, needed)
    "write_failed",  # writing or reading back failed (pulled stick, failing medium)
    "no_ack",  # no acknowledgement on the stick for this kiosk
    "foreign_ack",  # the acknowledgement was made for another kiosk
    "bad_ack",  # damaged, altered, not signed by the pinned server key, or malformed
)


# the command line's exit status for each code (shared.exit_codes)
EXIT_CODES = {
    "not_enrolled": REFUSED,
    "no_folder": IO_ERROR,
    "full": IO_ERROR,
    "write_failed": IO_ERROR,
    "no_ack": BAD_INPUT,
    "foreign_ack": REFUSED,
    "bad_ack": REFUSED,
}


class MediaProblem(Exception):
    """An export or acknowledgement import that could not be done; nothing half-done is left behind
    that the next run does not repair (see the modules of client.core.media)."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code, self.details = code, details

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.code, IO_ERROR)

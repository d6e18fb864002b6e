"""Exit codes of ``openreg`` commands, after BSD sysexits, so scripts can tell why a command failed.

An exception says which it is with a class attribute ``exit_code`` (the kiosk's ``TransportError`` is
``OFFLINE``, a server's refusal ``REFUSED``, invalid import files ``BAD_INPUT``); ``exit_code_for`` also
follows ``raise ... from`` chains, so a ``click.ClickException`` raised from one keeps its code.
"""

from __future__ import annotations

BAD_INPUT = 65  # EX_DATAERR: the input (a file, a value) is wrong; fix it and run again
INTERNAL = 70  # EX_SOFTWARE: a bug; run again with --debug and report the traceback
IO_ERROR = 74  # EX_IOERR: a file or device could not be read or written
OFFLINE = 75  # EX_TEMPFAIL: the server or device is not reachable now; try again later
REFUSED = 77  # EX_NOPERM: the other side (or a signature, a key, a role) refused
GENERAL = 1  # a plain click error that names no class


def exit_code_for(exc: BaseException | None, *, default: int = INTERNAL) -> int:
    """The ``exit_code`` declared by ``exc`` or by an exception it was raised from, else ``default``."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        code = getattr(type(exc), "exit_code", None)
        if isinstance(code, int) and not isinstance(code, bool) and code > 1:
            return code
        if isinstance(exc, ConnectionError | TimeoutError):
            return OFFLINE
        if isinstance(exc, PermissionError):
            return REFUSED
        if isinstance(exc, OSError):
            return IO_ERROR
        exc = exc.__cause__ or exc.__context__
    return default

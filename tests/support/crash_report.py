"""Python tracebacks of a test worker that dies in native code.

xdist reports such a worker only as "crashed" (its stderr is not shown), and the suite has seen a few
segmentation faults inside the garbage collector (``visit_decref``) that leave nothing else. Each
worker writes faulthandler's dump (every thread's stack) to a file of its own; the controller prints any
non-empty one at the end of the run. Terminating signals are dumped too (SIGKILL cannot be).
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import signal
import tempfile
from pathlib import Path

import pytest

_ENV = "OPENREG_FAULT_DIR"
_handles: list = []


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", None)
    if worker is None:
        if not os.environ.get(_ENV):  # the controller: workers started after this inherit it
            os.environ[_ENV] = tempfile.mkdtemp(prefix="openreg-faults-")
        return
    folder = Path(os.environ.get(_ENV) or tempfile.gettempdir())
    handle = (folder / f"{worker['workerid']}-{os.getpid()}.log").open("w")
    _handles.append(handle)  # kept open for as long as the worker lives
    faulthandler.enable(file=handle, all_threads=True)
    for name in ("SIGTERM", "SIGHUP", "SIGXCPU", "SIGXFSZ"):  # deaths faulthandler.enable does not see
        faulthandler.register(getattr(signal, name), file=handle, all_threads=True, chain=True)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if getattr(config, "workerinput", None) is not None or not os.environ.get(_ENV):
        return
    for log in sorted(Path(os.environ[_ENV]).glob("*.log")):
        text = log.read_text(errors="replace").strip()
        if text:
            terminalreporter.section(f"test worker {log.stem}: crash dump or signal report", sep="!")
            terminalreporter.write_line(text[-20_000:])


class _SigAction(ctypes.Structure):  # glibc's struct sigaction on Linux
    _fields_ = [
        ("handler", ctypes.c_void_p),
        ("mask", ctypes.c_ulong * 16),
        ("flags", ctypes.c_int),
        ("restorer", ctypes.c_void_p),
    ]


def sigpipe_ignored() -> bool:
    """SIGPIPE's real disposition: a native library can change it behind Python's back."""
    if signal.getsignal(signal.SIGPIPE) is not signal.SIG_IGN:
        return False
    try:
        action = _SigAction()
        if ctypes.CDLL(None).sigaction(signal.SIGPIPE, None, ctypes.byref(action)) != 0:
            return True
    except (OSError, AttributeError):  # not glibc: Python's view is all there is
        return True
    return action.handler == signal.SIG_IGN.value


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Python ignores SIGPIPE (a write to a closed pipe raises BrokenPipeError); a test or library that
    sets it back to the default makes the next such write kill the worker without a trace. Name the
    test that did, and ignore SIGPIPE again."""
    if not sigpipe_ignored():
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # Python's cached view and the real one agree
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        if _handles:
            _handles[0].write(f"{item.nodeid} left SIGPIPE at its default action (now ignored again)\n")
            _handles[0].flush()

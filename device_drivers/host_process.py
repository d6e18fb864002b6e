"""Starting a device host: a child Python process (``python -m MODULE ARGS``) that owns a device library
the kiosk does not load itself (libfprint: device_drivers/fprint/host.py; libsane:
device_drivers/sane/host.py), with pipes for its stdin, stdout and stderr; and, in the host, the check
that it can still start threads (:func:`threads_can_start`)."""

from __future__ import annotations

import _thread
import logging
import os
import subprocess
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
THREAD_START_TIMEOUT_S = 5.0  # a thread starts in well under a millisecond, even on a loaded kiosk


def spawn_host(python: str, module: str, *args: str, env: Mapping[str, str], name: str) -> subprocess.Popen:
    """Start ``python -m module args`` from the project folder, with ``env`` added to the kiosk's
    environment (which itself is never changed) and the project on its PYTHONPATH. Its stderr lines go
    to the ``module`` logger at debug level, from a thread called ``name``. OSError if it cannot start."""
    full = {**os.environ, **env}
    full["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), full.get("PYTHONPATH", "")) if p)
    process = subprocess.Popen(
        [python, "-m", module, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=full,
        cwd=str(PROJECT_ROOT),
    )
    logger = logging.getLogger(module)
    threading.Thread(target=_log_stderr, args=(process, logger), name=name, daemon=True).start()
    return process


def _log_stderr(process: subprocess.Popen, logger: logging.Logger) -> None:
    for line in process.stderr:  # type: ignore[union-attr]
        text = line[:1000].decode("utf-8", "replace").rstrip()
        if text:
            logger.debug("%s", text)


def threads_can_start(
    timeout_s: float = THREAD_START_TIMEOUT_S, *, start: Callable[..., object] = _thread.start_new_thread
) -> bool:
    """True when a new thread of this process runs within ``timeout_s`` (call it in a device host).

    A library that cancels its own threads asynchronously (SANE's ``sanei_thread`` reader) can leave a
    lock of the C library's allocator held for ever: every thread started afterwards blocks at its
    first allocation, before it takes the GIL, so the process's next scan would hang. A probe thread
    that never runs is the sign; it stays blocked, and the process is to be replaced."""
    ran = _thread.allocate_lock()
    ran.acquire()
    try:
        start(ran.release, ())
    except RuntimeError:  # "can't start new thread"
        return False
    return ran.acquire(timeout=timeout_s)

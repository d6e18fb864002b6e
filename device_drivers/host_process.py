"""Starting a device host: a child Python process (``python -m MODULE ARGS``) that owns a device library
the kiosk does not load itself (libfprint: device_drivers/fprint/host.py; libsane:
device_drivers/sane/host.py), with pipes for its stdin, stdout and stderr."""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


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

"""SANE's own ``test`` backend (``demo.sane_test_backend``), enabled through a private SANE_CONFIG_DIR, for
the scanner tests.

The tests provoke "no paper", "cover open", "device busy" and an I/O error (unplugged) through the
backend's ``read-return-value`` option. libsane reads the config at init: :func:`use_sane_test_backend`
must run before the process's first scan (the fixtures in the test modules do it, per xdist worker).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from demo.sane_test_backend import (  # noqa: F401 - re-exported for the scanner tests
    ALLOW_TEST_0,
    sane_test_backend_missing,
    scanner_rows,
    write_sane_config,
)


def pages_in(pdf: bytes) -> int:
    """How many pages a scanned PDF has (its page objects)."""
    return len(re.findall(rb"/Type /Page\b", pdf))


def use_sane_test_backend(folder: Path) -> Path:
    """Point this process's libsane at ``folder`` (skips the test where the backend is missing)."""
    if reason := sane_test_backend_missing():
        pytest.skip(reason)
    write_sane_config(folder)
    os.environ["SANE_CONFIG_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def sane_config(tmp_path_factory) -> Path:
    """The test backend for this worker process (two virtual scanners)."""
    return use_sane_test_backend(tmp_path_factory.mktemp("sane-config"))

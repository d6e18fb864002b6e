"""Suite-wide settings. Area fixtures live in tests/support/ and are registered here."""

import os

# Qt never needs a display in tests; the GUI suite renders offscreen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins: list[str] = [
    "tests.support.sbi_simulator",
    "tests.support.server",
    "tests.support.postgres",
    "tests.support.mariadb",
    "tests.support.console",
    "tests.support.browser",
    "tests.support.ftp",
    "tests.support.smtp",
]

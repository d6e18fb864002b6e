"""Suite-wide settings. Area fixtures live in tests/support/ and are registered here."""

import os

from hypothesis import settings

# Qt never needs a display in tests; the GUI suite renders offscreen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Property tests judge results, not speed: on a loaded 2-core CI machine (or under mutation testing,
# where every call goes through mutmut's trampoline) a per-example deadline only makes them flaky.
settings.register_profile("openreg", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "openreg"))

pytest_plugins: list[str] = [
    "tests.support.sbi_simulator",
    "tests.support.server",
    "tests.support.postgres",
    "tests.support.mariadb",
    "tests.support.console",
    "tests.support.browser",
    "tests.support.ftp",
    "tests.support.smtp",
    "tests.support.s3",
    "tests.support.crash_report",
]

"""Fixtures of the security rig's tests: a migrated demo data dir made once per session (every
in-process hole server starts from a copy), and ``rig`` to run the rig against a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from security_rig.context import RigOptions
from security_rig.credentials import CredentialsFile, UserCredential
from security_rig.report import Report
from security_rig.runner import run_server
from security_rig.target import Target
from tests.integration.security_rig.holes import make_template

DEMO_USERS = {
    "admin": "admin-demo",
    "operator1": "operator1-demo",
    "auditor": "auditor-demo",
    "reports": "reports-demo",
}


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("rig-template") / "data")


def demo_credentials(*names: str) -> CredentialsFile:
    return CredentialsFile(users=[UserCredential(username=n, password=DEMO_USERS[n]) for n in names])


def run_rig(
    url: str, *only: str, users: tuple[str, ...] = ("admin",), ca_file: str | None = None, **options
) -> Report:
    """The rig's server run, in process (what ``openreg security-rig --server URL`` does)."""
    target = Target(url, ca_file=ca_file)
    return run_server(target, demo_credentials(*users), RigOptions(**options), only=only)


def named(report: Report, check: str, *, target: str = "", summary: str = "") -> list:
    """The findings of ``check`` whose target and summary contain the given words."""
    return [f for f in report.findings if f.check == check and target in f.target and summary in f.summary]


@pytest.fixture
def tls_files(tmp_path: Path) -> dict:
    from tests.integration.security_rig.tls_support import make_tls_files

    return make_tls_files(tmp_path / "tls")

"""Property-based API fuzzing: schemathesis generates requests (valid and invalid) from the server's own
/openapi.json and sends them to the real server process; no answer may be a 5xx.

The short run (a handful of examples per operation) is part of ``make test``, on SQLite and on
PostgreSQL (``server`` is parametrised over both; the PostgreSQL cluster is shared by the session).
The long run (100 examples per operation and mode, or ``OPENREG_FUZZ_EXAMPLES``) is marked slow: CI
runs it when it has the time (``OPENREG_CI_SLOW=1 .ci/run``, or ``make test-fuzz``).
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.integration.sync_server.kiosk import Kiosk, admin_token


def _tokens(url: str) -> tuple[str, str]:
    kiosk = Kiosk(url)
    kiosk.enrol()
    return kiosk.login(), admin_token(url)


def _fuzz(url: str, *, examples: int, modes: list[GenerationMode]) -> list[str]:
    """Fuzz every operation; return 'METHOD path -> status: body' for each 5xx seen."""
    machine_token, admin = _tokens(url)
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    session = requests.Session()
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the OpenAPI document lists too few operations"
    for operation in operations:
        # Admin routes get an admin token, the rest a machine token, so fuzzing reaches past auth.
        token = admin if operation.path.startswith("/api/v1/admin") else machine_token
        auth = {"Authorization": f"Bearer {token}"}
        for mode in modes:

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case) -> None:
                response = case.call(base_url=url, session=session, headers=auth)  # noqa: B023 (called at once)
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
                    )

            try:
                check()
            except Unsatisfiable:
                # an operation without parameters or body has no invalid variant to generate
                assert mode is GenerationMode.NEGATIVE, f"no valid request for {operation.label}"
    # the run really exercised the API: many requests, and both accepted and refused answers
    assert len(statuses) > 3 * len(operations), statuses
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses), sorted(set(statuses))
    return failures


# make test keeps to SQLite: CI's make test-fuzz runs the long fuzz on both databases right after.
@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)], indirect=True
)
def test_fuzz_finds_no_server_errors(server):
    failures = _fuzz(server.url, examples=5, modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # about 8 minutes per database on a quiet 2-core machine
def test_fuzz_long_run_finds_no_server_errors(server):
    examples = int(os.environ.get("OPENREG_FUZZ_EXAMPLES", "100"))
    failures = _fuzz(server.url, examples=examples, modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    assert not failures, "\n".join(failures)

"""What the reports pages' tests share: the report parts of a backend on the console's database
(``report_backend``, a fixture), a report saved through the service, and a run executed in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sync_server.report_parts import ReportParts, build_report_parts
from sync_server.reports.definitions import parse_spec

SQL_REPORT = {
    "title": "Packets per center",
    "description": "How many packets each center sent.",
    "parameters": [{"name": "minimum", "type": "integer", "default": 0}],
    "source": {
        "kind": "sql",
        "query": "SELECT center_id, count(*) AS n FROM packets GROUP BY center_id HAVING count(*) >= :minimum",
    },
    "validations": [{"kind": "rule", "name": "positive", "expression": "n >= 0"}],
    "formats": ["csv", "json"],
}


@pytest.fixture
def report_backend(console_state, tmp_path) -> Iterator[ReportParts]:
    """The backend's report parts (as a server process has them), its built-in reports installed;
    ``console_state.backend.changes`` counts ``reports_changed`` calls."""
    parts = build_report_parts(console_state.engine, tmp_path / "report-data")
    parts.reports.install_builtin_definitions()
    changes: list[int] = []
    console_state.backend = SimpleNamespace(
        reports=parts.reports,
        report_parts=parts,
        reports_changed=lambda: changes.append(1),
        changes=changes,
    )
    yield parts
    console_state.backend = None
    parts.dispose()


def add_folder_destination(parts: ReportParts, destination_id: str = "archive") -> Path:
    """A folder destination in the server's report outbox (where folder destinations may write)."""
    folder = parts.reports.out_dir / "outbox" / destination_id
    parts.report_destinations.save(
        destination_id, title="Archive", kind="folder", config={"folder": str(folder)}, actor="t"
    )
    return folder


def save_report(parts: ReportParts, definition_id: str, spec: dict[str, Any], actor: str = "tester") -> int:
    return parts.reports.definitions.save(definition_id, parse_spec(spec), actor=actor)


def run_report(parts: ReportParts, definition_id: str, **claim: Any) -> int:
    """Claim and execute a run here; its id."""
    run_id = parts.reports.claim(definition_id, **claim)
    parts.reports.execute(run_id)
    return run_id

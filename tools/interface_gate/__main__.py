"""``python -m tools.interface_gate check|update``: see the package docstring."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from shared.sync.protocol import PROTOCOL_VERSION
from tools.interface_gate.changes import Change
from tools.interface_gate.collect import COLLECTORS, ROOT
from tools.interface_gate.openapi_diff import diff_openapi
from tools.interface_gate.sbi_shapes import diff_sbi
from tools.interface_gate.surface_diff import diff_cli, diff_masterdata, diff_packet, diff_sync_models

BASELINE = Path(__file__).resolve().parent / "baseline"
MIGRATIONS = ROOT / "docs" / "sync-protocol.md"


def collect() -> dict[str, dict[str, Any]]:
    return {name: gather() for name, gather in COLLECTORS.items()}


def load_baseline(folder: Path = BASELINE) -> tuple[int, dict[str, dict[str, Any]]]:
    meta = json.loads((folder / "meta.json").read_text())
    return int(meta["protocol_version"]), {
        name: json.loads((folder / f"{name}.json").read_text()) for name in COLLECTORS
    }


def differences(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[Change]:
    in_openapi = set((new["openapi"].get("components") or {}).get("schemas") or {})
    found = [
        *diff_openapi(old["openapi"], new["openapi"]),
        *diff_sync_models(old["sync_models"], new["sync_models"], in_openapi=in_openapi),
        *diff_packet(old["packet"], new["packet"]),
        *diff_masterdata(old["masterdata"], new["masterdata"]),
        *diff_cli(old["cli"], new["cli"]),
        *diff_sbi(old["sbi"], new["sbi"]),
    ]
    return sorted(set(found), key=lambda c: (not c.breaking, c.contract, c.where, c.what))


def verdict(changes: list[Change], *, baseline_version: int, version: int, migrations: str) -> str | None:
    """Why the change may not merge, or None."""
    breaking = [c for c in changes if c.breaking]
    if version < baseline_version:
        return f"PROTOCOL_VERSION {version} is lower than the baseline's {baseline_version}"
    if version > baseline_version and not re.search(
        rf"^#+ .*protocol version {version}\b", migrations, flags=re.IGNORECASE | re.MULTILINE
    ):
        return (
            f"PROTOCOL_VERSION is {version}: document the migration under a heading "
            f"'Protocol version {version}' in docs/sync-protocol.md"
        )
    if breaking and version == baseline_version:
        return (
            f"{len(breaking)} breaking change(s). Deployed kiosks cannot follow them: keep the old "
            f"contract, or raise shared.sync.protocol.PROTOCOL_VERSION to {version + 1}, document the "
            "migration in docs/sync-protocol.md and run `python -m tools.interface_gate update`"
        )
    return None


def write_baseline(current: dict[str, dict[str, Any]], folder: Path = BASELINE) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, document in current.items():
        (folder / f"{name}.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    (folder / "meta.json").write_text(json.dumps({"protocol_version": PROTOCOL_VERSION}, indent=1) + "\n")


@click.group()
def main() -> None:
    """Compare the contracts deployed kiosks depend on with the committed baselines."""


BASELINE_OPTION = click.option(
    "--baseline",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=BASELINE,
    show_default=True,
    help="Folder of the baseline documents.",
)


def compare(folder: Path) -> tuple[dict[str, dict[str, Any]], list[Change], str | None]:
    """The current contracts, their differences from the baselines in ``folder`` (none without a
    baseline yet), and why they may not merge (or None)."""
    current = collect()
    if not (folder / "meta.json").exists():
        return current, [], None
    baseline_version, baseline = load_baseline(folder)
    changes = differences(baseline, current)
    problem = verdict(
        changes,
        baseline_version=baseline_version,
        version=PROTOCOL_VERSION,
        migrations=MIGRATIONS.read_text(),
    )
    return current, changes, problem


@main.command()
@BASELINE_OPTION
def check(folder: Path) -> None:
    """Exit 1 on a breaking change the protocol version does not cover."""
    if not (folder / "meta.json").exists():
        raise click.ClickException(f"no baseline in {folder}: write one with `update`")
    _, changes, problem = compare(folder)
    for change in changes:
        click.echo(change.line())
    if problem:
        click.echo(f"interface gate: {problem}", err=True)
        sys.exit(1)
    if changes:
        click.echo(f"interface gate: {len(changes)} compatible change(s); record them with `update`")
    else:
        click.echo("interface gate: the contracts match the baselines")


@main.command()
@BASELINE_OPTION
def update(folder: Path) -> None:
    """Rewrite the baselines from the code (refused while a breaking change is not covered)."""
    current, _, problem = compare(folder)
    if problem:
        raise click.ClickException(problem)
    write_baseline(current, folder)
    click.echo(f"baselines written to {folder} (protocol version {PROTOCOL_VERSION})")


if __name__ == "__main__":
    main()

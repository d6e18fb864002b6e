"""``python -m client.core.updates start|check``: the launcher's hook and the by-hand USB check."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from client.core.updates import UpdateError, UpdateManager
from shared.release.kiosk_launcher import TRUSTED_ROOT_FILE


def main(argv: list[str] | None = None) -> int:
    """Launcher hook: ``python -m client.core.updates start --root DIR`` before starting the kiosk."""
    parser = argparse.ArgumentParser(prog="openreg-updates")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="apply a staged update, check the start, roll back if needed")
    start.add_argument("--root", type=Path, required=True)
    check = sub.add_parser("check", help="check a channel (URL or folder) and stage a newer release")
    check.add_argument("--root", type=Path, required=True)
    check.add_argument("--source", required=True)
    check.add_argument("--trusted-root", type=Path)
    args = parser.parse_args(argv)
    if args.command == "start":
        outcome = UpdateManager(install_root=args.root).apply_on_start()
        print(outcome.message)
        return 0 if outcome.running_version else 1
    trusted = args.trusted_root or args.root / TRUSTED_ROOT_FILE
    try:
        staged = UpdateManager(install_root=args.root, trusted_root_file=trusted).check_and_stage(
            source=args.source
        )
    except UpdateError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"staged {staged.version}; it is applied on next start" if staged else "no newer release")
    return 0

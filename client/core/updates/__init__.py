"""Kiosk self-update: check a TUF update channel, stage a verified bundle, apply it on next start.

Layout under the install root (the folder a field team installs into)::

    versions/<version>/   one virtual environment per installed version (never modified after)
    current -> versions/X the version the launcher starts; switched atomically (symlink + rename,
                          or where symlinks are unavailable a pointer file current.txt + os.replace)
    previous -> versions/Y kept for rollback (previous.txt likewise)
    1.root.json           the trusted TUF root shipped with the build (``trusted_root_file``)
    staged/               a downloaded, TUF-verified bundle waiting for the next start
    tuf/                  python-tuf metadata cache (remembers versions seen: rollback/freeze defence)
    state.json            versions that failed their start check (not retried) and start events to audit

Modules: :mod:`.install_root` (layout, pointers, state, install, start check), :mod:`.staging`
(channel check + download, each sync round), :mod:`.apply_on_start` (the launcher, before the kiosk
starts), :mod:`.cli` (``python -m client.core.updates start|check``).

Thread affinity: none; every call does blocking I/O (network, pip, subprocesses) and must run on a
worker thread in the GUI.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from client.core.updates.apply_on_start import StartOutcome, apply_on_start
from client.core.updates.install_root import InstallRoot, StagedUpdate, UpdateError
from client.core.updates.staging import (
    UpdateChannelUnavailable,
    UpdateHeldBack,
    UpdatesNotConfigured,
    check_and_stage,
)
from shared.release.kiosk_launcher import TRUSTED_ROOT_FILE

if TYPE_CHECKING:
    from client.core.settings import ClientSettings

__all__ = [
    "StagedUpdate",
    "StartOutcome",
    "UpdateChannelUnavailable",
    "UpdateError",
    "UpdateHeldBack",
    "UpdateManager",
    "UpdatesNotConfigured",
    "main",
    "manager_for_settings",
    "running_install_root",
    "update_source_for_server",
]

UPDATES_PATH = "/updates"  # where the sync server mounts the TUF repository (sync_server/api/updates.py)


def update_source_for_server(server_url: str) -> str:
    """The update channel URL of a sync server, for :meth:`UpdateManager.check_and_stage`."""
    return server_url.rstrip("/") + UPDATES_PATH


def running_install_root() -> Path | None:
    """The install root this interpreter runs from, if it is a version venv (``<root>/versions/<v>``
    holding the bundle's ``openreg-bundle.json``); None for a development checkout."""
    prefix = Path(sys.prefix).resolve()
    if prefix.parent.name == "versions" and (prefix / "openreg-bundle.json").is_file():
        return prefix.parent.parent
    return None


def manager_for_settings(settings: ClientSettings) -> UpdateManager:
    """The kiosk's updater: install root from settings, else the running install, else
    ``data_dir/updates``; trusted root from settings, else ``<install root>/1.root.json``."""
    root = settings.update_install_root or running_install_root() or settings.data_dir / "updates"
    trusted = settings.update_trusted_root or root / TRUSTED_ROOT_FILE
    return UpdateManager(install_root=root, trusted_root_file=trusted)


class UpdateManager(InstallRoot):
    """An install root with its two entry points: staging (sync rounds) and apply-on-start (launcher)."""

    def check_and_stage(self, *, source: str | Path) -> StagedUpdate | None:
        """See :func:`client.core.updates.staging.check_and_stage`."""
        return check_and_stage(self, source=source)

    def apply_on_start(self) -> StartOutcome:
        """See :func:`client.core.updates.apply_on_start.apply_on_start`."""
        return apply_on_start(self)


def main(argv: list[str] | None = None) -> int:
    """Launcher hook (``python -m client.core.updates``); see :mod:`client.core.updates.cli`."""
    from client.core.updates.cli import main as cli_main

    return cli_main(argv)

"""Apply-on-start: the launcher (``python -m client.core.updates start --root DIR``) installs a staged
update, switches ``current`` to it, and rolls back to ``previous`` when its start check fails.

Thread affinity: none; runs before the kiosk (and its encrypted store) starts, with blocking I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from client.core.updates.install_root import InstallRoot, UpdateError
from shared.files import sha256_file


@dataclass(frozen=True)
class StartOutcome:
    """What happened at start: ``status`` is one of ``unchanged``, ``updated``, ``rolled_back``."""

    status: str
    running_version: str | None
    message: str
    event: str | None = None  # for the audit log: updated, rolled_back, discarded, install_failed, ...


def apply_on_start(root: InstallRoot) -> StartOutcome:
    """Install a staged update, switch to it, and roll back if its start check fails.

    Also checks the current version when nothing is staged, rolling back to ``previous`` if
    the current one no longer starts (e.g. a crash after the switch). Anything other than a
    normal start is kept in state.json until the client audits it (``unreported_events``):
    the launcher runs before the kiosk's encrypted store is open.
    """
    outcome = _apply(root)
    if outcome.event is not None:
        root.record_event(outcome.event, outcome.running_version, outcome.message)
    return outcome


def _apply(root: InstallRoot) -> StartOutcome:
    staged = root.staged()
    status = "unchanged"
    if staged is not None:
        if not staged.path.exists() or sha256_file(staged.path)[0] != staged.sha256:
            root.discard_staged()
            return StartOutcome(
                "unchanged",
                root.current_version,
                f"staged update {staged.version} was damaged after download and has been discarded",
                event="discarded",
            )
        old = root.current_version
        try:
            version = root.install_version(staged.path)
        except UpdateError as exc:
            root.mark_failed(staged.version)
            root.discard_staged()
            return StartOutcome("unchanged", old, str(exc), event="install_failed")
        if old is not None:
            root.switch("previous", old)
        root.switch("current", version)
        root.discard_staged()
        status = "updated"
    current = root.current_version
    if current is None:
        return StartOutcome("unchanged", None, "nothing is installed")
    ok, output = root.start_check(current)
    if ok:
        if status == "updated":
            return StartOutcome(status, current, f"updated to {current}", event="updated")
        return StartOutcome(status, current, f"{current} starts normally")
    previous = root.previous_version
    if previous is None or previous == current:
        return StartOutcome(
            "unchanged",
            current,
            f"{current} failed its start check and there is no previous version to return to: {output}",
            event="start_check_failed",
        )
    root.mark_failed(current)
    root.switch("current", previous)
    root.switch("previous", None)
    return StartOutcome(
        "rolled_back",
        previous,
        f"{current} failed its start check ({output}); rolled back to {previous}",
        event="rolled_back",
    )

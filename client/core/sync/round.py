"""One sync round, the same for every front end: master data down, approved packets up, statuses
back, old packets purged, then a check for a newer signed release.

The command line (``openreg client sync``) and the GUI's sync centre both call
:func:`run_sync_round`; they differ only in how they show progress and results.

Failure rules: a master-data refusal or an unreachable server fails the round (the caller says
why; nothing half-applied). The update check never fails a round: whatever happens there (no
trusted root, no repository on the server, network down, metadata refused) ends up in
:attr:`SyncRoundResult.update` for the front end to show. Staged and refused updates are audited.

Thread affinity: blocking I/O throughout; a GUI runs it on a worker thread. ``progress`` is called
on worker threads (uploads run in parallel); ``should_stop`` is polled between packet chunks and
between phases and stops the round with :class:`SyncStopped` (uploads resume by offset later).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from client.core.audit import append_audit
from client.core.machine import read_setting, write_setting
from client.core.sync.master_data_sync import SyncProgress
from client.core.sync.transport import ServerRefused, SyncStopped
from client.core.sync.upload import UploadProgress, UploadReport
from shared.sync import ErrorCode, PacketStatus

if TYPE_CHECKING:
    from client.core.settings import ClientSettings
    from client.core.store import Store
    from client.core.sync.master_data_sync import MasterDataSync
    from client.core.sync.outcomes import PacketOutcomes
    from client.core.sync.server_keys import KeyRefresh
    from client.core.sync.upload import UploadAgent
    from client.core.updates import UpdateManager

UpdateStatus = Literal[
    "staged", "up_to_date", "held_back", "not_configured", "unavailable", "refused", "failed", "off"
]


@dataclass(frozen=True)
class UpdateCheck:
    """Outcome of the round's update check: ``status`` for a front end to word, ``message`` (English) for logs
    and support."""

    status: UpdateStatus
    message: str
    version: str | None = None


@dataclass
class SyncRoundResult:
    master_data: SyncProgress
    upload: UploadReport
    statuses: list[PacketStatus] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    update: UpdateCheck = field(default_factory=lambda: UpdateCheck("off", "update check not run"))

    @property
    def ok(self) -> bool:
        """Whether every approved packet went up (the update check does not count)."""
        return self.upload.ok


class SyncParts(Protocol):
    """What a round uses, and nothing else (``client.core.bootstrap.ClientApp`` provides it).

    The network parts are factories because they need a server URL, which an offline kiosk may lack.
    """

    settings: ClientSettings
    store: Store

    def server_url(self) -> str | None: ...
    def update_manager(self) -> UpdateManager: ...
    def refresh_server_keys(self) -> KeyRefresh: ...
    def master_data_sync(self) -> MasterDataSync: ...
    def upload_agent(self) -> UploadAgent: ...
    def packet_outcomes(self) -> PacketOutcomes: ...


ProgressReport = Callable[[str, Any], None]  # ("master", SyncProgress) | ("upload", UploadProgress)


def report_start_events(app: SyncParts, manager: UpdateManager) -> None:
    """Audit what the launcher did at start (updated, rolled back, ...): it ran before the store
    was open, so it left the events in the install root's state.json for the client to record."""
    events = manager.unreported_events()
    if not events:
        return
    with app.store.transaction() as conn:
        for event in events:
            append_audit(conn, actor=None, action=f"update.{event['event']}", details=event)
    manager.mark_reported(len(events))


def check_for_update(app: SyncParts) -> UpdateCheck:
    """Ask the sync server's update channel for a newer release and stage it; never raises."""
    from client.core.updates import (
        UpdateChannelUnavailable,
        UpdateError,
        UpdateHeldBack,
        UpdatesNotConfigured,
        update_source_for_server,
    )

    if not app.settings.update_check:
        return UpdateCheck("off", "update check switched off in settings")
    try:
        manager = app.update_manager()
        server_url = app.server_url()
        if not server_url:
            return UpdateCheck("unavailable", "Update check skipped: no server address")
        staged = manager.check_and_stage(source=update_source_for_server(server_url))
    except UpdatesNotConfigured as exc:
        return UpdateCheck(
            "not_configured", f"Updates not configured: {str(exc).removeprefix('updates not configured: ')}"
        )
    except UpdateChannelUnavailable as exc:
        return UpdateCheck("unavailable", f"Update check not possible now: {exc}")
    except UpdateHeldBack as exc:
        return UpdateCheck("held_back", f"Release {exc.version} is not installed: {exc}", version=exc.version)
    except UpdateError as exc:
        reason = str(exc).removeprefix("update refused: ")
        with app.store.transaction() as conn:  # audited once per distinct refusal, not every round
            if read_setting(conn, "update.last_refusal", None) != reason:
                append_audit(conn, actor=None, action="update.refused", details={"reason": reason[:500]})
                write_setting(conn, "update.last_refusal", reason)
        return UpdateCheck("refused", f"Update check refused: {reason}")
    except Exception as exc:  # a broken update check must never cost the officer a sync
        return UpdateCheck("failed", f"Update check failed: {type(exc).__name__}: {exc}")
    if staged is None:
        running = manager.current_version
        return UpdateCheck("up_to_date", f"No newer release (running {running or 'a development build'})")
    if staged.new:  # the same staged release found again by a later round is not news
        with app.store.transaction() as conn:
            append_audit(
                conn,
                actor=None,
                action="update.staged",
                details={"version": staged.version, "sha256": staged.sha256, "signed_by": staged.signed_by},
            )
            write_setting(conn, "update.last_refusal", None)
    return UpdateCheck(
        "staged", f"Update {staged.version} staged; it is applied on next start", version=staged.version
    )


def run_sync_round(
    app: SyncParts,
    *,
    progress: ProgressReport | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SyncRoundResult:
    """Run one full round; raises ServerKeysRefused / MasterDataRefused / TransportError if the
    server cannot be used,
    SyncStopped if ``should_stop`` turned true."""

    def stop_if_asked() -> None:
        if should_stop is not None and should_stop():
            raise SyncStopped("sync paused")

    def on_master(p: SyncProgress) -> None:
        if progress:
            progress("master", p)

    def on_upload(p: UploadProgress) -> None:
        if progress:
            progress("upload", p)
        stop_if_asked()

    # First, so launcher rollbacks are audited even when the kiosk is offline or checks are off;
    # this bookkeeping must never cost the officer a sync.
    with contextlib.suppress(Exception):
        report_start_events(app, app.update_manager())
    # A rotated packet key (or a moved server) is pinned first, from a key set signed with the pinned
    # server key; a refused set fails the round with ServerKeysRefused and changes nothing. A server
    # from before signed key sets (no such route) leaves the pinned keys as they are, and packets
    # sealed to them are as safe to send as before.
    try:
        app.refresh_server_keys()
    except ServerRefused as exc:
        if exc.code != ErrorCode.not_found:
            raise
    master = app.master_data_sync().sync(progress=on_master)
    stop_if_asked()
    result = SyncRoundResult(
        master_data=master, upload=app.upload_agent().upload_approved(progress=on_upload)
    )
    stop_if_asked()
    outcomes = app.packet_outcomes()
    result.statuses = outcomes.poll_statuses()
    result.purged = outcomes.purge()
    stop_if_asked()
    result.update = check_for_update(app)
    if progress:
        progress("update", result.update)
    return result

"""The ``openreg`` command.

Subcommands are contributed by each package through the ``openreg.commands`` entry-point group
(see pyproject.toml) and imported only when used, so ``shared`` stays free of client and server
imports and ``openreg --help`` starts fast.
"""

from __future__ import annotations

import gc
from importlib.metadata import EntryPoint, entry_points

import click

from shared import __version__
from shared.cli_output import PROGRESS_ENV, PROGRESS_KEY, PROGRESS_MODES, echo_json_error
from shared.exit_codes import GENERAL, exit_code_for

GROUP = "openreg.commands"


def _command_entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_command_entry_points())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        ep = _command_entry_points().get(cmd_name)
        if ep is None:
            return None
        try:
            command = _load_frozen(ep)
        except ImportError as exc:
            raise click.ClickException(f"'openreg {cmd_name}' is not available in this build: {exc}") from exc
        if not isinstance(command, click.Command):
            raise click.ClickException(f"entry point {ep.value!r} is not a click command")
        _show_envvars(command)
        return command

    def invoke(self, ctx: click.Context) -> object:
        """Errors end the command with one line and a distinct exit code (shared.exit_codes); the
        traceback only with ``--debug``."""
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            if exc.exit_code == GENERAL:
                exc.exit_code = exit_code_for(exc.__cause__, default=GENERAL)
            echo_json_error(ctx, exc)
            raise
        except (click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if ctx.meta.get("openreg.debug"):
                raise
            message = " ".join(str(exc).split())[:500] or type(exc).__name__
            error = click.ClickException(f"{message} (run with --debug for details)")
            error.exit_code = exit_code_for(exc)
            echo_json_error(ctx, error)
            raise error from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List every subcommand; one that cannot load is shown with the reason, not a crash."""
        rows = []
        for name in self.list_commands(ctx):
            try:
                command = self.get_command(ctx, name)
                summary = command.get_short_help_str(limit=70) if command else ""
            except click.ClickException as exc:
                summary = f"(unavailable: {exc.message})"
            rows.append((name, summary))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _load_frozen(ep: EntryPoint) -> object:
    """Import a subcommand with the cyclic garbage collector paused, then freeze what it made.

    Importing the server makes some 350,000 long-lived objects; with the collector running, each full
    collection during the import went over all of them again (1 s of a 2.6 s server start), and so
    did the interpreter's collections at exit (0.8 s). Frozen objects are never scanned; the import
    leaves almost no garbage (about 1,500 objects), so freezing it all costs nothing worth a
    collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ep.load()
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _show_envvars(command: click.Command) -> None:
    """Every option that reads an ``OPENREG_*`` variable says so in its ``--help``."""
    for param in command.params:
        if isinstance(param, click.Option) and param.envvar:
            param.show_envvar = True
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _show_envvars(sub)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openreg")
@click.option(
    "--debug",
    is_flag=True,
    envvar="OPENREG_DEBUG",
    show_envvar=True,
    help="Show the traceback of an unexpected error instead of one line.",
)
@click.option(
    "--progress",
    type=click.Choice(PROGRESS_MODES),
    default="auto",
    envvar=PROGRESS_ENV,
    show_envvar=True,
    show_default=True,
    help="Progress of long work on stderr: auto draws a bar on a terminal only, lines writes a line "
    "per item (for logs), off nothing. Never with --json.",
)
@click.pass_context
def main(ctx: click.Context, debug: bool, progress: str) -> None:
    """OpenReg: offline-first registration (kiosk client, sync server, devices, packets).

    Exit codes: 0 done, 1 error, 2 usage, 65 bad input, 70 internal error, 74 file or device
    error, 75 offline (try again later), 77 refused. With --json, list, status, import and sync
    commands print one JSON document on stdout, or {"error": {"message", "exit_code"}} when they fail."""
    ctx.meta["openreg.debug"] = debug
    ctx.meta[PROGRESS_KEY] = progress

"""The ``openreg`` command.

Subcommands are contributed by each package through the ``openreg.commands`` entry-point group
(see pyproject.toml) and imported only when used, so ``shared`` stays free of client and server
imports and ``openreg --help`` starts fast.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

import click

from shared import __version__

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
            command = ep.load()
        except ImportError as exc:
            raise click.ClickException(f"'openreg {cmd_name}' is not available in this build: {exc}") from exc
        if not isinstance(command, click.Command):
            raise click.ClickException(f"entry point {ep.value!r} is not a click command")
        return command

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


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openreg")
def main() -> None:
    """OpenReg: offline-first registration (kiosk client, sync server, devices, packets)."""

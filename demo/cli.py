"""``openreg demo``: the whole system on one machine (entry point ``openreg.commands: demo``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.option("--headless", is_flag=True, help="Scripted registrations instead of the GUI.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Demo folder; the server uses DATA/server and the kiosk DATA/client.",
)
@click.option("--people", "count", type=int, default=4, show_default=True)
def demo(headless: bool, data_dir: Path, count: int) -> None:
    """Run the whole system: server with demo master data, (simulated) devices and a kiosk."""
    from demo.headless import run_headless_demo

    if not headless:
        try:
            from demo.gui import run_gui_demo
        except ImportError:
            click.echo("GUI not available in this build; running the headless demo", err=True)
        else:
            sys.exit(run_gui_demo(data_dir=data_dir, echo=click.echo))
    try:
        code = run_headless_demo(data_dir=data_dir, count=count, echo=click.echo)
    except RuntimeError as exc:  # server/enrolment/set-up failures: say what failed, no traceback
        raise click.ClickException(f"demo failed: {exc}") from exc
    sys.exit(code)

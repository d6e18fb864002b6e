"""``openreg devices simulate``: contributed to the ``openreg devices`` group through the
``openreg.devices`` entry-point group, so device_drivers never imports the simulator."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

import click


@click.command()
@click.option("--port", default=4501, show_default=True, help="TCP port on 127.0.0.1 (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--profile",
    type=click.Choice(["all", "finger", "iris", "face"]),
    default="all",
    show_default=True,
    help="Which simulated devices this process serves.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the test CA (ca.pem: trust it in the client) and simulator-PORT.json are written.",
)
def simulate(port: int, host: str, profile: str, state_dir: Path | None) -> None:
    """Run an SBI simulator (a separate process speaking MOSIP SBI 0.9.5/1.0) until interrupted."""
    from demo.sbi_simulator.server import make_server, write_ready_file

    state_dir = state_dir or Path(tempfile.gettempdir()) / "openreg-sbi-sim"
    try:
        server = make_server(host=host, port=port, profile=profile, state_dir=state_dir)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
        ) from exc
    ready = write_ready_file(state_dir, server, profile)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    click.echo(
        f"SBI simulator ({profile}) on http://{host}:{server.server_address[1]}; "
        f"trust anchor {state_dir / 'ca.pem'}; admin POST /admin; ready file {ready}"
    )
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        ready.unlink(missing_ok=True)

"""``openreg devices``: run the SBI simulator and list the devices this machine can see."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

import click


@click.group()
def devices() -> None:
    """Biometric, camera, barcode and USB devices."""


@devices.command()
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
    from device_drivers.sbi.simulator import make_server, write_ready_file

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


@devices.command(name="list")
@click.option("--ports", default="4501-4600", show_default=True, help="Port range to probe, e.g. 4501-4510.")
@click.option("--protocol", type=click.Choice(["0.9.5", "1.0"]), default="0.9.5", show_default=True)
@click.option(
    "--usb-models",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON list of master-data device_models rows; lists connected USB devices matching them.",
)
def list_devices(ports: str, protocol: str, usb_models: Path | None) -> None:
    """Discover SBI devices on 127.0.0.1 (and, with --usb-models, connected USB devices)."""
    from device_drivers.sbi.client import discover

    low, _, high = ports.partition("-")
    found = discover(ports=range(int(low), int(high or low) + 1), protocol=protocol)
    if not found:
        click.echo("No SBI devices answered.")
    for e in found:
        click.echo(
            f"SBI {e.bio_type:<6} port {e.port} id {e.device_id} status {e.status} "
            f"{e.digital_id.get('make')} {e.digital_id.get('model')} serial {e.digital_id.get('serialNo')}"
        )
    if usb_models is not None:
        _list_usb(usb_models)


def _list_usb(models_path: Path) -> None:
    import json

    from device_drivers.base import DeviceUnavailableError
    from device_drivers.usb_discovery import AllowedModel, UsbScanner

    rows = json.loads(models_path.read_text())
    if isinstance(rows, dict):  # a master-data import file
        rows = rows.get("entities", {}).get("device_models", [])
    try:
        found = UsbScanner([AllowedModel.from_master_data(r) for r in rows]).scan()
    except DeviceUnavailableError as exc:
        click.echo(str(exc))
        return
    if not found:
        click.echo("No allowed USB devices are connected.")
    for info in found:
        click.echo(
            f"USB {info.modality.value:<6} {info.key} {info.detail} {info.identity.make} {info.identity.model}"
        )

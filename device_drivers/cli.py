"""``openreg devices``: list the devices this machine can see; other packages add subcommands (the demo's
``simulate``) through the ``openreg.devices`` entry-point group, so nothing here imports them."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import click

from shared.cli_output import echo_json, json_option

GROUP = "openreg.devices"


class _PluggableGroup(click.Group):
    """The built-in commands plus those registered under :data:`GROUP`, imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(ep.name for ep in entry_points(group=GROUP))})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        for ep in entry_points(group=GROUP, name=cmd_name):
            try:
                return ep.load()
            except ImportError as exc:
                raise click.ClickException(
                    f"'devices {cmd_name}' is not available in this build: {exc}"
                ) from exc
        return None


@click.group(cls=_PluggableGroup)
def devices() -> None:
    """Biometric, camera, barcode and USB devices."""


@devices.command(name="list")
@click.option("--ports", default="4501-4600", show_default=True, help="Port range to probe, e.g. 4501-4510.")
@click.option("--protocol", type=click.Choice(["0.9.5", "1.0"]), default="0.9.5", show_default=True)
@click.option(
    "--usb-models",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON list of master-data device_models rows; lists connected USB devices matching them.",
)
@json_option
def list_devices(ports: str, protocol: str, usb_models: Path | None, as_json: bool) -> None:
    """Discover SBI devices on 127.0.0.1 (and, with --usb-models, connected USB devices)."""
    from device_drivers.sbi.client import discover

    low, _, high = ports.partition("-")
    found = discover(ports=range(int(low), int(high or low) + 1), protocol=protocol)
    if as_json:
        usb, usb_error = _scan_usb(usb_models) if usb_models is not None else (None, None)
        echo_json(
            {
                "sbi": [
                    {
                        "bio_type": e.bio_type,
                        "host": e.host,
                        "port": e.port,
                        "device_id": e.device_id,
                        "status": e.status,
                        "make": e.digital_id.get("make"),
                        "model": e.digital_id.get("model"),
                        "serial": e.digital_id.get("serialNo"),
                        "spec_versions": list(e.spec_versions),
                    }
                    for e in found
                ],
                "usb": None
                if usb is None
                else [
                    {
                        "modality": info.modality,
                        "key": info.key,
                        "usb_id": info.detail,
                        "make": info.identity.make,
                        "model": info.identity.model,
                        "serial": info.identity.serial,
                    }
                    for info in usb
                ],
                "usb_error": usb_error,
            }
        )
        return
    if not found:
        click.echo("No SBI devices answered.")
    for e in found:
        click.echo(
            f"SBI {e.bio_type:<6} port {e.port} id {e.device_id} status {e.status} "
            f"{e.digital_id.get('make')} {e.digital_id.get('model')} serial {e.digital_id.get('serialNo')}"
        )
    if usb_models is not None:
        _list_usb(usb_models)


def _scan_usb(models_path: Path) -> tuple[list, str | None]:
    """The connected USB devices that match the allowed models, or why they cannot be scanned."""
    import json

    from device_drivers.base import DeviceUnavailableError
    from device_drivers.usb_discovery import AllowedModel, UsbScanner

    rows = json.loads(models_path.read_text())
    if isinstance(rows, dict):  # a master-data import file
        rows = rows.get("entities", {}).get("device_models", [])
    try:
        return UsbScanner([AllowedModel.from_master_data(r) for r in rows]).scan(), None
    except DeviceUnavailableError as exc:
        return [], str(exc)


def _list_usb(models_path: Path) -> None:
    found, error = _scan_usb(models_path)
    if error is not None:
        click.echo(error)
        return
    if not found:
        click.echo("No allowed USB devices are connected.")
    for info in found:
        click.echo(
            f"USB {info.modality.value:<6} {info.key} {info.detail} {info.identity.make} {info.identity.model}"
        )

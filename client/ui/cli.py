"""``openreg client gui``: open the kiosk window (devices from options or OPENREG_CLIENT_* variables)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("gui")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder with this kiosk's encrypted DB, packets and receipts.",
)
@click.option(
    "--keyring-file",
    type=click.Path(path_type=Path),
    envvar="OPENREG_CLIENT_KEYRING_FILE",
    help="Plaintext file keyring for the DB key (tests/demo only).",
)
@click.option("--server", "server_url", help="Sync server base URL (first run).")
@click.option(
    "--device-ca",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="OPENREG_CLIENT_DEVICE_CA",
    help="PEM of the device-provider CAs to trust (SBI).",
)
@click.option(
    "--face-camera",
    envvar="OPENREG_CLIENT_FACE_CAMERA",
    help="Face camera when no SBI face device is used: a webcam index (0), a video file or a folder of "
    "images; photos are checked (ICAO-lite) before they are kept.",
)
@click.option(
    "--document-camera",
    envvar="OPENREG_CLIENT_DOCUMENT_CAMERA",
    help="Document camera: a webcam index (0), a video file or a folder of images. It also scans "
    "pre-registration barcodes and QR codes.",
)
def gui(
    data_dir: Path,
    keyring_file: Path | None,
    server_url: str | None,
    device_ca: Path | None,
    face_camera: str | None,
    document_camera: str | None,
) -> None:
    """Open the kiosk window. A CA to pin at enrolment comes from OPENREG_CLIENT_SERVER_CA_FILE."""
    from pydantic import ValidationError

    from client.core.settings import settings_problem
    from client.core.store import KeyStoreUnavailable
    from client.ui.app import run_gui

    try:
        code = run_gui(
            data_dir=data_dir,
            keyring_file=keyring_file,
            server_url=server_url,
            device_ca=device_ca,
            face_camera=face_camera,
            document_camera=document_camera,
        )
    except ValidationError as exc:  # e.g. --server http://<not loopback>: say why, no traceback
        raise click.ClickException(settings_problem(exc)) from exc
    except KeyStoreUnavailable as exc:  # no OS keyring (or a plaintext one): say how to fix it
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)

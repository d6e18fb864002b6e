"""``openreg packet``: look inside and check sealed packets (needs the server's identity file)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from shared.packet.errors import PacketError
from shared.packet.keys import generate_identity_file, load_identities
from shared.packet.reader import open_packet

_path = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def packet() -> None:
    """Inspect and verify sealed registration packets."""


def _open(path: Path, identity: Path, machine_key):
    try:
        return open_packet(path, identities=load_identities(identity), machine_public_key=machine_key)
    except (PacketError, ValueError) as exc:
        raise click.ClickException(f"{path.name}: REFUSED — {type(exc).__name__}: {exc}") from exc


@packet.command()
@click.argument("path", type=_path)
@click.option("--identity", "-i", type=_path, required=True, help="age identity file of the server")
@click.option("--machine-key", required=True, help="the kiosk's Ed25519 public key (base64)")
def verify(path: Path, identity: Path, machine_key: str) -> None:
    """Decrypt PATH and check every entry and the machine signature; exit 1 if anything is wrong."""
    opened = _open(path, identity, machine_key)
    click.echo(f"{path.name}: OK — RID {opened.contents.rid}, signed by machine key {opened.machine_key_id}")


def _key_named_in_meta(meta: dict) -> str:
    return str(meta.get("machine_public_key", ""))


@packet.command()
@click.argument("path", type=_path)
@click.option("--identity", "-i", type=_path, required=True, help="age identity file of the server")
@click.option(
    "--machine-key",
    default=None,
    help="the kiosk's Ed25519 public key (base64); without it the key the packet names is used",
)
def inspect(path: Path, identity: Path, machine_key: str | None) -> None:
    """Print the verified packet's meta and a list of what it holds (no image bytes)."""
    contents = _open(path, identity, machine_key or _key_named_in_meta).contents
    if machine_key is None:
        click.echo(
            "note: signature checked against the key named inside the packet, not an enrolled machine key "
            "(pass --machine-key to check who sealed it)",
            err=True,
        )
    summary = {
        "meta": contents.meta,
        "demographic_fields": sorted(contents.demographics),
        "documents": [f"{d.doc_type} ({d.content_type}, {len(d.data)} bytes)" for d in contents.documents],
        "biometrics": [
            f"{b.modality}/{b.bio_subtype}: "
            + ("exception" if b.exception else f"q{b.quality}, {len(b.data)} bytes")
            for b in contents.biometrics
        ],
        "exceptions": contents.exceptions,
        "audit_entries": len(contents.audit),
    }
    click.echo(json.dumps(summary, indent=2, ensure_ascii=False))


@packet.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keygen(path: Path) -> None:
    """Create an age identity file (0600) at PATH and print its recipient."""
    try:
        click.echo(generate_identity_file(path))
    except FileExistsError as exc:
        raise click.ClickException(f"{path} already exists; refusing to overwrite a key") from exc

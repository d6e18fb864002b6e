"""Admin commands for processing and the ID store, run on a server host against its database.

The sync server mounts them under ``openreg admin`` (``admin.add_command(reprocess)`` etc.).
Each command is an admin action in the server audit log, with the operating-system user as actor;
identity reads also need a stated purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from sync_server.bootstrap import open_database, open_engine
from sync_server.cli_options import cli_settings
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdentityNotFound, IdStore
from sync_server.processing import queue
from sync_server.services.audit import cli_actor


@click.command("reprocess")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    envvar="OPENREG_DATA",
    help="Server data directory (its database unless --db is given), as the other admin commands take.",
)
@click.option("--db", "db_url", envvar="OPENREG_DB", help="SQLAlchemy URL of the server DB.")
@click.option("--rid", help="One packet to put back in the queue.")
@click.option(
    "--status",
    "status",
    type=click.Choice(["failed", "retry", "rejected"]),
    help="All packets in this state.",
)
def reprocess(data_dir: Path | None, db_url: str | None, rid: str | None, status: str | None) -> None:
    """Queue packets again (a failed stage, or a rejection after master data was fixed)."""
    if bool(rid) == bool(status):
        raise click.UsageError("give exactly one of --rid or --status")
    if data_dir is not None:
        engine = open_engine(cli_settings(data_dir=data_dir, db_url=db_url))
    elif db_url:
        engine = open_database(db_url)
    else:
        raise click.UsageError("give --data (the server's data directory) or --db")
    count = queue.reprocess(engine, rid=rid, status=status, actor=cli_actor())
    if rid and count == 0:
        raise click.ClickException(f"no packet {rid} in the processing queue (or it is running now)")
    click.echo(f"queued {count} packet(s) for processing")


@click.command("identity")
@click.option("--db", "db_url", required=True, envvar="OPENREG_DB")
@click.option("--data", "data_dir", required=True, type=click.Path(path_type=Path), envvar="OPENREG_DATA")
@click.option("--uin")
@click.option("--rid")
@click.option(
    "--purpose", required=True, help="Why you read this identity (kept in the audit log; at most 500 chars)."
)
@click.option(
    "--save-blobs", type=click.Path(path_type=Path), help="Write the decrypted documents/biometrics here."
)
def identity(
    db_url: str, data_dir: Path, uin: str | None, rid: str | None, purpose: str, save_blobs: Path | None
) -> None:
    """Look an identity up by UIN or RID (audited) and print it as JSON."""
    if bool(uin) == bool(rid):
        raise click.UsageError("give exactly one of --uin or --rid")
    settings = cli_settings(data_dir=data_dir, db_url=db_url)
    store = IdStore(engine=open_engine(settings), keyring=DataKeyring(settings.data_dir))
    actor = cli_actor()
    try:
        found = (
            store.get_by_uin(uin, actor=actor, purpose=purpose)
            if uin
            else store.get_by_rid(rid or "", actor=actor, purpose=purpose)
        )
    except IdentityNotFound:
        raise click.ClickException(f"no identity with {'UIN ' + uin if uin else 'RID ' + str(rid)}") from None
    except ValueError as exc:  # an empty or oversized purpose
        raise click.UsageError(str(exc)) from None
    blobs = []
    for index, blob in enumerate(found.blobs):
        entry = {
            "kind": blob.kind,
            "name": blob.name,
            "content_type": blob.content_type,
            "bytes": len(blob.data),
            "attributes": blob.attributes,
        }
        if save_blobs:
            save_blobs.mkdir(parents=True, exist_ok=True)
            target = save_blobs / f"{index:02d}-{blob.kind}"
            target.write_bytes(blob.data)
            entry["saved_to"] = str(target)
        blobs.append(entry)
    click.echo(
        json.dumps(
            {
                "uin": found.uin,
                "rid": found.rid,
                "version": found.version,
                "center_id": found.center_id,
                "demographics": found.demographics,
                "blobs": blobs,
            },
            indent=1,
            ensure_ascii=False,
        )
    )

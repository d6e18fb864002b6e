"""``openreg id``: print a resident's UIN letter (admin, on the server host) and verify one offline
(anyone holding the server's public key).

``verify`` exits 0 with "signature valid", 1 for a letter that is not valid (bad signature, unknown
key, no QR, unreadable file) with the reason on stderr, and 2 for wrong usage.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from shared.cli_output import echo_json, json_option
from sync_server.cli_options import cli_settings, data_option, db_option
from sync_server.letters.words import LANGUAGES

_KEY_HELP = "A file of the server's public signing key (base64, one per line); repeatable."


@click.group("id")
def id_group() -> None:
    """UIN letters: print one for a resident and verify one offline."""


@id_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key", "key_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path), help=_KEY_HELP
)
@click.option(
    "--server-key-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="On the server host: its key folder (DATA/keys) or data folder.",
)
@json_option
def verify(file: Path, key_files: tuple[Path, ...], server_key_dir: Path | None, as_json: bool) -> None:
    """Check the signed QR of a UIN letter: FILE is the letter PDF, a photo or scan of it (PNG, JPEG,
    ...), or a text file holding the credential. No network is used. With --json: {"valid", ...}
    (exit 1 when not valid, as without)."""
    from shared.uin_credential import CredentialError, group_uin, public_keys_by_id, verify_credential
    from sync_server.letters.scan import LetterReadError, credential_text_from_file
    from sync_server.letters.trusted_keys import TrustedKeyError, key_from_server_dir, keys_from_file

    if not key_files and server_key_dir is None:
        raise click.UsageError("give the server's public key with --key FILE or --server-key-dir DIR")
    try:
        keys = [key for path in key_files for key in keys_from_file(path)]
        if server_key_dir is not None:
            keys.append(key_from_server_dir(server_key_dir))
    except TrustedKeyError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        credential = verify_credential(credential_text_from_file(file), public_keys_by_id(keys))
    except (LetterReadError, CredentialError) as exc:
        if as_json:
            echo_json({"valid": False, "reason": str(exc)})
        click.echo(f"NOT VALID: {exc}", err=True)
        sys.exit(1)
    if as_json:
        echo_json(
            {
                "valid": True,
                "uin": credential.uin,
                "name": credential.name,
                "issued_at": credential.issued_at,
                "kid": credential.kid,
            }
        )
        return
    click.echo(f"UIN:       {group_uin(credential.uin)}")
    click.echo(f"Name:      {credential.name}")
    click.echo(f"Issued on: {credential.issued_at.isoformat()}")
    click.echo(f"Key id:    {credential.kid}")
    click.echo("signature valid")


@id_group.command("letter")
@data_option
@db_option
@click.argument("uin")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The PDF to write."
)
@click.option("--language", type=click.Choice(LANGUAGES), default="eng", show_default=True)
@click.option(
    "--purpose", required=True, help="Why you print this letter (kept in the audit log; at most 500 chars)."
)
@click.option(
    "--issued-on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The issue date printed and signed (default: today, UTC).",
)
def letter(
    data_dir: Path,
    db_url: str | None,
    uin: str,
    out: Path,
    language: str,
    purpose: str,
    issued_on: dt.datetime | None,
) -> None:
    """Write the UIN letter of the identity UIN to --out, signed with the server's signing key.
    The identity read and the letter are both recorded in the server audit log."""
    from shared.files import atomic_write
    from shared.uin_credential import CredentialError
    from sync_server.bootstrap import open_engine
    from sync_server.idstore.data_key import DataKeyring
    from sync_server.idstore.store import IdStore
    from sync_server.idstore.uin import UinError, check_uin
    from sync_server.keys import KeyFileError, load_or_create_keys, require_keys
    from sync_server.letters.issue import issue_letter
    from sync_server.letters.names import NoResidentName
    from sync_server.ports import MAX_PURPOSE_CHARS, IdentityInactive, IdentityNotFound
    from sync_server.services.audit import cli_actor
    from sync_server.services.clock import utcnow

    if not purpose.strip() or len(purpose.strip()) > MAX_PURPOSE_CHARS:
        raise click.BadParameter(
            f"give a purpose of 1-{MAX_PURPOSE_CHARS} characters", param_hint="--purpose"
        )
    try:
        check_uin(uin)
        require_keys(data_dir)  # never make keys for a server that has not started
    except UinError as exc:
        raise click.BadParameter(str(exc), param_hint="UIN") from None
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None
    settings = cli_settings(data_dir=data_dir, db_url=db_url)
    engine = open_engine(settings)
    try:
        issued = issue_letter(
            engine=engine,
            store=IdStore(engine=engine, keyring=DataKeyring(settings.data_dir)),
            signing_key=load_or_create_keys(settings.data_dir).signing_key,
            uin=uin,
            language=language,
            purpose=purpose,
            actor=cli_actor(),
            issued_on=issued_on.date() if issued_on else utcnow().date(),
            deliver=lambda pdf: atomic_write(out, pdf),
        )
    except IdentityNotFound:
        raise click.ClickException(f"no identity with UIN {uin}") from None
    except (NoResidentName, CredentialError, IdentityInactive) as exc:  # no name, one the credential
        # cannot carry, or a UIN that is deactivated or revoked
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # --out not writable: nothing was logged (the audit entry rolls back)
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        engine.dispose()
    click.echo(f"wrote {out} ({language}, issued {issued.issued_on.isoformat()}, key id {issued.key_id})")


@id_group.command("public-key")
@data_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def public_key(data_dir: Path, out: Path | None) -> None:
    """Print the server's public signing key as the key file `openreg id verify --key` reads; hand it
    to whoever checks letters (it is public)."""
    from shared.files import atomic_write
    from sync_server.letters.trusted_keys import TrustedKeyError, key_from_server_dir, public_key_file_text

    try:
        text = public_key_file_text(key_from_server_dir(data_dir))
    except TrustedKeyError as exc:
        raise click.ClickException(str(exc)) from None
    if out is None:
        click.echo(text, nl=False)
    else:
        atomic_write(out, text.encode("ascii"))
        click.echo(f"wrote {out}")

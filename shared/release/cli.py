"""``openreg release``: build bundles, manage signing keys, publish and verify signed releases."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click

from shared.cli_output import echo_json, json_option, progress
from shared.release.bundle import BundleError, build_bundle, read_bundle_manifest
from shared.release.channel import ReleaseChannel, ReleaseRefused
from shared.release.keys import (
    OFFLINE_ROLES,
    ONLINE_ROLES,
    ROLES,
    KeyStoreError,
    RoleKey,
    archive_role_key,
    generate_role_key,
    load_role_key,
    refuse_inside_git,
    write_role_key,
)
from shared.release.repository import Expiry, Repository, RepositoryError

PASSPHRASE_ENV = "OPENREG_RELEASE_PASSPHRASE"
_errors = (KeyStoreError, RepositoryError, BundleError, ReleaseRefused)

keys_option = click.option(
    "--keys",
    "offline_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="folder with the offline root and targets keys",
)
online_option = click.option(
    "--online-keys",
    "online_dir",
    type=click.Path(path_type=Path),
    help="folder with the online snapshot/timestamp keys (default: --keys)",
)
repo_option = click.option(
    "--repo",
    "repo_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="the TUF repository folder the sync server serves",
)


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode() if value else None


def _key_dir(role: str, offline_dir: Path, online_dir: Path | None) -> Path:
    return offline_dir if role in OFFLINE_ROLES or online_dir is None else online_dir


def _load(roles: tuple[str, ...], offline_dir: Path, online_dir: Path | None) -> dict[str, RoleKey]:
    return {
        role: load_role_key(
            role,
            directory=_key_dir(role, offline_dir, online_dir),
            passphrase=_passphrase() if role in OFFLINE_ROLES else None,
        )
        for role in roles
    }


def _expiry_options(func):
    for role, days in (("timestamp", 7), ("snapshot", 30), ("targets", 90), ("root", 365)):
        func = click.option(
            f"--{role}-days",
            type=click.IntRange(1, 3650),
            default=days,
            show_default=True,
            help=f"lifetime of {role} metadata",
        )(func)
    return func


def _expiry(kw: dict) -> Expiry:
    return Expiry(**{role: kw.pop(f"{role}_days") for role in ("root", "targets", "snapshot", "timestamp")})


@click.group()
def release() -> None:
    """Signed release bundles and the TUF update repository (build, keys, publish, verify)."""


@release.group()
def keys() -> None:
    """Create and rotate the release signing keys."""


@keys.command("init")
@keys_option
@online_option
@repo_option
@click.option(
    "--owner", default="OpenReg release team", show_default=True, help="name recorded with each key"
)
@_expiry_options
def keys_init(offline_dir: Path, online_dir: Path | None, repo_dir: Path, owner: str, **kw) -> None:
    """Generate root/targets (offline) and snapshot/timestamp (online) keys and an empty repository.

    Keys are never written inside a git work tree. Set OPENREG_RELEASE_PASSPHRASE to encrypt the
    offline keys.
    """
    expiry = _expiry(kw)
    try:
        for directory in {offline_dir, online_dir or offline_dir}:
            refuse_inside_git(directory)
        if Repository(repo_dir).exists():
            raise RepositoryError(f"{repo_dir} already holds a repository")
        today = datetime.now(UTC).date().isoformat()
        made = {role: generate_role_key(role, name=f"{owner} {role} key ({today})") for role in ROLES}
        for role, key in made.items():
            passphrase = _passphrase() if role in OFFLINE_ROLES else None
            write_role_key(key, directory=_key_dir(role, offline_dir, online_dir), passphrase=passphrase)
        Repository(repo_dir).init(keys=made, expiry=expiry)
    except _errors as exc:
        raise click.ClickException(str(exc)) from exc
    for role, key in made.items():
        kind = "offline" if role in OFFLINE_ROLES else "online"
        click.echo(f"{role:<10} {kind:<8} {key.keyid}  {_key_dir(role, offline_dir, online_dir)}/{role}.pem")
    click.echo(
        f"repository initialised in {repo_dir}; give {repo_dir}/metadata/1.root.json to kiosks "
        "as their trusted root and print the root key id on the release sheet."
    )


@keys.command("rotate")
@click.argument("role", type=click.Choice(ROLES))
@keys_option
@online_option
@repo_option
@_expiry_options
def keys_rotate(role: str, offline_dir: Path, online_dir: Path | None, repo_dir: Path, **kw) -> None:
    """Replace ROLE's key: a new root version signed by the old and the new root keys."""
    expiry = _expiry(kw)
    repo = Repository(repo_dir)
    try:
        current = _load(ROLES, offline_dir, online_dir)
        old_root = current["root"]
        version = repo.load("root").signed.version
        directory = _key_dir(role, offline_dir, online_dir)
        archive_role_key(role, directory=directory, version=version)
        new_key = generate_role_key(
            role,
            name=current[role].name.rsplit(" (", 1)[0]
            + f" ({datetime.now(UTC).date().isoformat()}, v{version + 1})",
        )
        write_role_key(
            new_key, directory=directory, passphrase=_passphrase() if role in OFFLINE_ROLES else None
        )
        current[role] = new_key
        new_version = repo.rotate(
            role, new_key=new_key, old_root_keys=[old_root], keys=current, expiry=expiry
        )
    except _errors as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{role} key rotated to {new_key.keyid}; root is now version {new_version} "
        f"(old key kept as {role}.pem.retired-v{version} — destroy it once every kiosk has updated)"
    )


@release.group()
def bundle() -> None:
    """Build release bundles."""


@bundle.command("build")
@click.option(
    "--project",
    "project_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=".",
    show_default=True,
    help="project folder (with pyproject.toml)",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default="dist", show_default=True)
@click.option("--no-deps", is_flag=True, help="ship only the project wheel (hot fix / tests)")
@click.option(
    "--find-links",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="take dependency wheels only from these folders (offline build)",
)
def bundle_build(project_dir: Path, out_dir: Path, no_deps: bool, find_links: tuple[Path, ...]) -> None:
    """Build openreg-<version>.tar.gz: project wheel + locked dependency wheels + install script."""
    units = {"archive": "bytes", "dependency wheels": "wheels", "project wheel": "steps"}
    try:
        with progress() as display:
            archive = build_bundle(
                project_dir=project_dir,
                out_dir=out_dir,
                with_dependencies=not no_deps,
                find_links=list(find_links),
                progress=lambda step, done, total: display.show(step, done, total=total, unit=units[step]),
            )
        manifest = read_bundle_manifest(archive)
    except _errors as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"built {archive} (version {manifest['version']}, {len(manifest['wheels'])} wheels)")


@release.command()
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@keys_option
@online_option
@repo_option
@click.option("--notes", default="", help="release notes shown to operators")
@_expiry_options
def publish(bundle_path: Path, offline_dir: Path, online_dir: Path | None, repo_dir: Path, notes: str, **kw):
    """Add BUNDLE to the repository and re-sign targets, snapshot and timestamp."""
    expiry = _expiry(kw)
    try:
        keys_ = _load(("targets", *ONLINE_ROLES), offline_dir, online_dir)
        pointer = Repository(repo_dir).publish(bundle_path, keys=keys_, expiry=expiry, notes=notes)
    except _errors as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"published {pointer['target']} as version {pointer['version']} (sha256 {pointer['sha256']})")


@release.command()
@click.option("--online-keys", "online_dir", required=True, type=click.Path(path_type=Path))
@repo_option
@_expiry_options
def refresh(online_dir: Path, repo_dir: Path, **kw) -> None:
    """Re-sign snapshot and timestamp with fresh expiry (cron job, or before copying to a USB stick)."""
    expiry = _expiry(kw)
    try:
        keys_ = _load(ONLINE_ROLES, online_dir, online_dir)
        Repository(repo_dir).refresh(keys=keys_, expiry=expiry)
    except _errors as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("snapshot and timestamp re-signed")


@release.command()
@repo_option
@json_option
def expiry(repo_dir: Path, as_json: bool) -> None:
    """Show when each role's metadata expires (soonest first)."""
    try:
        rows = Repository(repo_dir).expiry_report()
    except _errors as exc:
        raise click.ClickException(str(exc)) from exc
    now = datetime.now(UTC)
    if as_json:
        roles = [
            {
                "role": role,
                "version": version,
                "expires": expires,
                "expired": expires <= now,
                "days_left": (expires - now).days,
            }
            for role, version, expires in rows
        ]
        echo_json({"roles": roles})
        return
    for role, version, expires in rows:
        left = expires - now
        state = "EXPIRED" if left.total_seconds() <= 0 else f"{left.days} days left"
        click.echo(f"{role:<10} v{version:<4} expires {expires.isoformat()}  ({state})")


def _find_repo(path: Path) -> Path | None:
    for parent in [path if path.is_dir() else path.parent, *path.resolve().parents]:
        if (parent / "metadata" / "root.json").is_file() or (parent / "metadata" / "1.root.json").is_file():
            return parent
    return None


@release.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option("--repo", "source", help="repository folder or URL (default: the folder holding PATH)")
@click.option(
    "--root",
    "root_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    envvar="OPENREG_TRUSTED_ROOT",
    help="trusted root.json shipped with the kiosk build",
)
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(path_type=Path),
    help="metadata cache that remembers versions seen (rollback protection)",
)
@json_option
def verify(
    path: Path, source: str | None, root_file: Path | None, cache_dir: Path | None, as_json: bool
) -> None:
    """Tell whether the bundle at PATH (or the newest in repository PATH) is genuine, before installing."""
    repo = Path(source) if source and not source.startswith("http") else _find_repo(path)
    source = source or (str(repo) if repo else None)
    if source is None:
        raise click.ClickException(f"no update repository found around {path}; pass --repo FOLDER_OR_URL")
    trusting_own_root = root_file is None
    if root_file is None:
        local = repo / "metadata" / "1.root.json" if repo else None
        if local is None or not local.exists():
            raise click.ClickException("pass --root with the trusted root.json from the kiosk build")
        click.echo(
            "WARNING: no trusted root given; trusting the repository's own first root. Compare the "
            "root key ids below with the release sheet.",
            err=as_json,  # stdout holds only the JSON document
        )
        root_file = local
    try:
        with tempfile.TemporaryDirectory() as tmp:
            channel = ReleaseChannel(
                source=source, trusted_root=root_file.read_bytes(), cache_dir=cache_dir or Path(tmp) / "cache"
            )
            if path.is_dir():
                info = channel.latest()
                if info is None:
                    raise ReleaseRefused("the repository is genuine but has no published release yet")
            else:
                info = channel.verify_file(path)
    except _errors as exc:
        raise click.ClickException(f"NOT VERIFIED: {exc}") from exc
    subject = path.name if path.is_file() else f"latest release in {path}"
    if as_json:
        echo_json(
            {
                "genuine": True,
                "subject": subject,
                "version": info.version,
                "target": info.target,
                "signed_by": [{"name": s.name, "keyid": s.keyid} for s in info.signed_by],
                "root_version": info.root_version,
                "root_keys": [{"name": s.name, "keyid": s.keyid} for s in info.root_keys],
                "trusted_root_given": not trusting_own_root,
            }
        )
        return
    click.echo(f"GENUINE: {subject} is OpenReg version {info.version} ({info.target}).")
    for signer in info.signed_by:
        click.echo(f"  signed by: {signer.name} (key {signer.keyid[:16]})")
    keys_ = ", ".join(f"{s.name} ({s.keyid[:16]})" for s in info.root_keys)
    click.echo(f"  trust chain: root version {info.root_version}, root keys: {keys_}")

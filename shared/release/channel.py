"""The verifying side of the update channel: python-tuf's ngclient over HTTP or a local folder.

Used by the kiosk's updater (``client.core.updates``) and by ``openreg release verify``. Every TUF
failure is turned into a :class:`ReleaseRefused` whose message a field team can act on.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata, Root, TargetFile, Targets
from tuf.ngclient import FetcherInterface, Updater

from shared.exit_codes import OFFLINE, REFUSED
from shared.release.keys import NAME_FIELD
from shared.release.repository import LATEST_TARGET

_HASH_PREFIX = re.compile(r"^[0-9a-f]{64}\.")


class ReleaseRefused(Exception):
    """The repository or a bundle failed verification; the message says why in plain words."""

    exit_code = REFUSED


class ReleaseUnreachable(ReleaseRefused):
    """The repository could not be read at all (network down, nothing published at that address).
    Nothing was found wrong with it; a caller may treat this as "try again later"."""

    exit_code = OFFLINE


def refusal(exc: Exception) -> ReleaseRefused:
    """The ReleaseRefused (or ReleaseUnreachable) for a TUF failure."""
    unreachable = isinstance(exc, tuf_errors.DownloadError) and not isinstance(
        exc, tuf_errors.DownloadLengthMismatchError
    )
    return (ReleaseUnreachable if unreachable else ReleaseRefused)(explain(exc))


@dataclass(frozen=True)
class Signer:
    keyid: str
    name: str


@dataclass(frozen=True)
class ReleaseInfo:
    """A verified release: its version, target name, signed hashes and the targets signers."""

    version: str
    target: str
    target_file: TargetFile
    signed_by: list[Signer]
    root_version: int
    root_keys: list[Signer]


class LocalFolderFetcher(FetcherInterface):
    """Reads ``file://`` URLs, so a repository copied to a USB stick works with the same client."""

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = Path(url2pathname(unquote(urlparse(url).path)))
        if not path.is_file():
            raise tuf_errors.DownloadHTTPError(f"{path} not found", 404)
        with path.open("rb") as handle:
            while block := handle.read(1 << 16):
                yield block


def repository_urls(source: str | Path) -> tuple[str, str, FetcherInterface | None]:
    """(metadata URL, targets URL, fetcher) for an http(s) base URL or a local repository folder."""
    text = str(source)
    if text.startswith(("http://", "https://")):
        base = text.rstrip("/")
        return f"{base}/metadata/", f"{base}/targets/", None
    folder = Path(text).resolve()
    if not (folder / "metadata").is_dir():
        raise ReleaseRefused(f"{folder} is not an OpenReg update repository (no metadata/ folder in it)")
    base = folder.as_uri()
    return f"{base}/metadata/", f"{base}/targets/", LocalFolderFetcher()


def explain(exc: Exception) -> str:
    """Plain-words reason for a TUF failure."""
    if isinstance(exc, tuf_errors.ExpiredMetadataError):
        return (
            f"the release information has expired ({exc}). Do not install from it; ask the release "
            "team for a fresh copy of the update repository."
        )
    if isinstance(exc, tuf_errors.BadVersionNumberError):
        return (
            f"this is an older copy of the release information than this machine has already seen "
            f"(possible rollback attack): {exc}"
        )
    if isinstance(exc, tuf_errors.UnsignedMetadataError):
        return (
            f"the release information is not signed by the trusted release keys (wrong key or "
            f"tampered metadata): {exc}"
        )
    if isinstance(exc, tuf_errors.LengthOrHashMismatchError):
        return f"the file does not match its signed size and hash: it was altered or damaged ({exc})"
    if isinstance(exc, tuf_errors.DownloadError):
        return f"the update repository could not be read: {exc}"
    return f"the release information is invalid: {exc}"


def _signers_for(root: Root, role: str, md: Metadata[Targets] | None = None) -> list[Signer]:
    keyids = root.roles[role].keyids
    if md is not None:
        keyids = [k for k in keyids if k in md.signatures]
    return [Signer(k, str(root.keys[k].unrecognized_fields.get(NAME_FIELD, "unnamed key"))) for k in keyids]


class ReleaseChannel:
    """One trusted view of an update repository (HTTP or folder), with a persistent metadata cache.

    The cache (``cache_dir``) is what makes rollback and freeze protection work across runs: TUF
    remembers the highest metadata versions it has seen there. ``trusted_root`` is used only for
    the first run; afterwards the cached, chain-verified root is used.
    """

    def __init__(self, *, source: str | Path, trusted_root: bytes, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        metadata_url, self.targets_url, fetcher = repository_urls(source)
        cache_dir.mkdir(parents=True, exist_ok=True)
        bootstrap = None if (cache_dir / "root.json").exists() else trusted_root
        try:
            self._updater = Updater(
                str(cache_dir),
                metadata_url,
                str(cache_dir / "downloads"),
                self.targets_url,
                fetcher=fetcher,
                bootstrap=bootstrap,
            )
        except (tuf_errors.RepositoryError, ValueError) as exc:
            raise ReleaseRefused(f"the trusted root is not valid: {exc}") from exc
        self._refreshed = False

    def refresh(self) -> None:
        try:
            self._updater.refresh()
        except (tuf_errors.RepositoryError, tuf_errors.DownloadError) as exc:
            raise refusal(exc) from exc
        self._refreshed = True

    def _target_info(self, name: str) -> TargetFile:
        if not self._refreshed:
            self.refresh()
        try:
            info = self._updater.get_targetinfo(name)
        except (tuf_errors.RepositoryError, tuf_errors.DownloadError) as exc:
            raise refusal(exc) from exc
        if info is None:
            raise ReleaseRefused(f"{name} is not a release published in this repository")
        return info

    def _describe(self, info: TargetFile) -> ReleaseInfo:
        root = Metadata[Root].from_file(str(self.cache_dir / "root.json"))
        targets = Metadata[Targets].from_file(str(self.cache_dir / "targets.json"))
        custom = info.unrecognized_fields.get("custom", {})
        return ReleaseInfo(
            version=str(custom.get("version", "?")),
            target=info.path,
            target_file=info,
            signed_by=_signers_for(root.signed, "targets", targets),
            root_version=root.signed.version,
            root_keys=_signers_for(root.signed, "root"),
        )

    def latest(self) -> ReleaseInfo | None:
        """The newest published bundle, or None if nothing is published yet."""
        if not self._refreshed:
            self.refresh()
        if self._updater.get_targetinfo(LATEST_TARGET) is None:
            return None
        pointer = json.loads(Path(self.download(LATEST_TARGET, self.cache_dir / "pointer")).read_text())
        return self._describe(self._target_info(pointer["target"]))

    def download(self, name: str, dest_dir: Path) -> Path:
        """Download target ``name`` into ``dest_dir``; only a file matching the signed hash is kept."""
        info = self._target_info(name)
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / Path(info.path).name
        partial = dest.with_name(f".{dest.name}.part")
        try:
            self._updater.download_target(info, str(partial))
        except (tuf_errors.RepositoryError, tuf_errors.DownloadError) as exc:
            partial.unlink(missing_ok=True)
            raise refusal(exc) from exc
        os.replace(partial, dest)
        return dest

    def verify_file(self, path: Path) -> ReleaseInfo:
        """Check a bundle file (e.g. on a USB stick) against the signed targets metadata."""
        name = _HASH_PREFIX.sub("", path.name)
        info = self._target_info(name)
        try:
            with path.open("rb") as handle:
                info.verify_length_and_hashes(handle)
        except tuf_errors.LengthOrHashMismatchError as exc:
            raise ReleaseRefused(
                f"{path.name} is NOT genuine: it does not match the signed release {name} "
                "(one or more bytes differ). Do not install it."
            ) from exc
        return self._describe(info)

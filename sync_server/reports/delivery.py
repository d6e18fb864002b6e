"""Deliver report artifacts to a destination: a folder, SFTP, FTP or FTPS (``ftp.py``).

``Destination.send`` is one attempt: each file goes to ``<name>.part`` and is renamed when complete
(the receiver never picks up half a file), into a remote folder made like ``mkdir -p``; with
``ack_suffix`` it then waits for the receiver's ``<name><suffix>`` beside each artifact. ``deliver``
retries with exponential backoff and reports every attempt; ``select_files`` applies a route. Secrets
(password, private key) are passed in, never kept in the config nor put in an error message."""

from __future__ import annotations

import base64
import binascii
import io
import posixpath
import shutil
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from sync_server.reports.spec import Route

if TYPE_CHECKING:  # paramiko is imported where SFTP is used: it costs 0.16 s of every start
    import paramiko

Kind = Literal["folder", "sftp", "ftp", "ftps"]
KINDS: tuple[str, ...] = ("folder", "sftp", "ftp", "ftps")
ACK_POLL_S = 0.5
# Called after every attempt: (attempt number from 1, "delivered" | "failed", detail, locations).
AttemptLog = Callable[[int, str, str, list[str]], None]

HostName = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9._:-]+$")]
UserName = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]
RemoteDir = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[^\x00-\x1f\x7f]+$")]
AckSuffix = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]


class DeliveryError(RuntimeError):
    """A delivery failed or a destination cannot be built; the message never holds a secret."""


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FolderConfig(_Config):
    """Copy into a folder on the server (absolute path)."""

    folder: str = Field(min_length=1, max_length=1024, pattern=r"^[^\x00-\x1f\x7f]+$")

    @field_validator("folder")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not Path(value).is_absolute():
            raise ValueError("folder must be an absolute path")
        return value


class _RemoteConfig(_Config):
    host: HostName
    username: UserName
    remote_dir: RemoteDir = "."
    ack_suffix: AckSuffix | None = None  # e.g. ".ack": wait for the receiver's <name>.ack per artifact
    ack_timeout_s: float = Field(300, gt=0, le=86_400)
    timeout_s: float = Field(30, gt=0, le=600)  # connect and I/O timeout


class SftpConfig(_RemoteConfig):
    """SFTP with the server's public key pinned (``ssh-ed25519 AAAA...``); the secret is the private
    key PEM (``auth="key"``) or the password."""

    port: int = Field(22, ge=1, le=65535)
    host_key: str = Field(min_length=16, max_length=16_384)
    auth: Literal["key", "password"] = "key"

    @field_validator("host_key")
    @classmethod
    def _host_key(cls, value: str) -> str:
        key = parse_host_key(value)
        return f"{key.get_name()} {key.get_base64()}"


class FtpConfig(_RemoteConfig):
    """FTP, or FTPS with explicit TLS (kind ``ftps``); ``ca_pem`` (ftps only) is the CA or
    certificate that must sign the server's certificate instead of the system's trusted CAs."""

    port: int = Field(21, ge=1, le=65535)
    passive: bool = True
    ca_pem: str | None = Field(None, max_length=65_536)


CONFIGS: dict[str, type[_Config]] = dict(folder=FolderConfig, sftp=SftpConfig, ftp=FtpConfig, ftps=FtpConfig)


def parse_config(kind: str, config: Mapping[str, Any]) -> _Config:
    """The validated config of a ``kind`` destination; ``ValueError`` says what is wrong."""
    if kind not in CONFIGS:
        raise ValueError(f"unknown destination kind {kind!r}; use one of {', '.join(KINDS)}")
    try:
        parsed = CONFIGS[kind].model_validate(dict(config))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"invalid {kind} config: {problems}") from None
    if isinstance(parsed, FtpConfig) and parsed.ca_pem is not None:
        if kind != "ftps":
            raise ValueError("invalid ftp config: ca_pem applies to ftps only")
        from sync_server.reports.ftp import tls_context

        tls_context(parsed.ca_pem)  # raises ValueError on a PEM that holds no certificate
    return parsed


class Destination(Protocol):
    """Where a report's files go. Methods block on network I/O; call them off the event loop."""

    id: str

    def send(self, files: Sequence[Path]) -> list[str]:
        """One attempt: place every file (artifacts and their sidecars); a location per file.
        Raises ``DeliveryError``."""
        ...

    def check(self) -> str:
        """Connect and list the target folder; a one-line summary. Raises ``DeliveryError``."""
        ...


def wait_for_acks(
    listing: Callable[[], Iterable[str]], files: Sequence[Path], *, suffix: str, timeout_s: float, where: str
) -> None:
    """Poll ``listing`` (file names in the remote folder) until ``<name><suffix>`` exists for each
    file but the ``.sha256`` sidecars."""
    deadline = time.monotonic() + timeout_s
    pending = [f.name + suffix for f in files if not f.name.endswith(".sha256")]
    while True:
        present = {posixpath.basename(n) for n in listing()}
        pending = [n for n in pending if n not in present]
        if not pending:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeliveryError(f"{where}: no acknowledgement within {timeout_s:g}s: {', '.join(pending)}")
        time.sleep(min(ACK_POLL_S, left))


def scrub(text: str, secret: str | None) -> str:
    """``text`` with the secret (and each of its lines, for a PEM) replaced by ``***``."""
    if secret:
        parts = {secret, *(line for line in secret.splitlines() if len(line) >= 8)}
        for part in sorted(parts, key=len, reverse=True):
            text = text.replace(part, "***")
    return text


def remote_path(remote_dir: str, name: str) -> str:
    base = posixpath.normpath(remote_dir)
    return name if base == "." else posixpath.join(base, name)


class FolderDestination:
    """Copy files into a local (or mounted) folder."""

    def __init__(self, id: str, config: FolderConfig) -> None:
        self.id, self.config = id, config

    def send(self, files: Sequence[Path]) -> list[str]:
        folder = Path(self.config.folder)
        placed = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for source in files:
                target = folder / source.name
                if source.resolve() != target.resolve():
                    temp = target.with_name(target.name + ".part")
                    shutil.copyfile(source, temp)
                    temp.replace(target)
                placed.append(str(target))
        except OSError as exc:
            raise DeliveryError(f"folder {folder}: {exc.strerror or exc}") from exc
        return placed

    def check(self) -> str:
        folder = Path(self.config.folder)
        if not folder.exists():
            return f"{folder} does not exist yet; it is created on the first delivery"
        try:
            return f"{folder}: {sum(1 for _ in folder.iterdir())} entries"
        except OSError as exc:
            raise DeliveryError(f"folder {folder}: {exc.strerror or exc}") from exc


def parse_host_key(line: str) -> paramiko.PKey:
    """A public key from ``type base64 [comment]`` (or a ``host type base64`` known_hosts line)."""
    import paramiko

    parts = line.split()
    if len(parts) >= 3 and not parts[0].startswith(("ssh-", "ecdsa-")):
        parts = parts[1:]
    if len(parts) < 2:
        raise ValueError("host_key must be the server's public key line, e.g. 'ssh-ed25519 AAAA...'")
    try:
        return paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1], validate=True))
    except (binascii.Error, paramiko.SSHException, ValueError, TypeError) as exc:
        raise ValueError(f"host_key is not a valid {parts[0]} public key") from exc


def load_private_key(pem: str) -> paramiko.PKey:
    """An unencrypted Ed25519, ECDSA or RSA private key from its PEM / OpenSSH text."""
    import paramiko

    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(pem))
        except Exception:  # the wrong type for this class, or not a key at all
            continue
    raise DeliveryError("the private key is not an unencrypted Ed25519, ECDSA or RSA key (PEM or OpenSSH)")


class SftpDestination:
    """Upload over SFTP; the server must present the pinned host key, any other key is refused."""

    def __init__(self, id: str, config: SftpConfig, secret: str) -> None:
        self.id, self.config, self._secret = id, config, secret
        self._host_key = parse_host_key(config.host_key)
        self._key = load_private_key(secret) if config.auth == "key" else None
        self.where = f"sftp://{config.username}@{config.host}:{config.port}"

    @contextmanager
    def _session(self) -> Iterator[paramiko.SFTPClient]:
        import paramiko

        c = self.config
        try:
            sock = socket.create_connection((c.host, c.port), timeout=c.timeout_s)
        except OSError as exc:
            raise DeliveryError(f"{self.where}: cannot connect: {exc}") from exc
        transport = paramiko.Transport(sock)
        try:
            transport.banner_timeout = transport.auth_timeout = c.timeout_s
            options = transport.get_security_options()
            name = self._host_key.get_name()
            wanted = ("rsa-sha2-512", "rsa-sha2-256") if name == "ssh-rsa" else (name,)
            # Ask only for the pinned key's type, so the server shows the key we can compare.
            options.key_types = tuple(t for t in options.key_types if t in wanted) or options.key_types
            transport.start_client(timeout=c.timeout_s)
            offered = transport.get_remote_server_key()
            if offered.asbytes() != self._host_key.asbytes():
                raise DeliveryError(
                    f"{self.where}: the server's host key {offered.get_name()} {offered.fingerprint} "
                    f"is not the pinned key {self._host_key.fingerprint}; refusing to connect"
                )
            if self._key is not None:
                transport.auth_publickey(c.username, self._key)
            else:
                transport.auth_password(c.username, self._secret)
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:
                raise DeliveryError(f"{self.where}: the server refused the sftp subsystem")
            sftp.get_channel().settimeout(c.timeout_s)
            yield sftp
        except (paramiko.SSHException, OSError, EOFError) as exc:
            detail = scrub(str(exc) or type(exc).__name__, self._secret)
            raise DeliveryError(f"{self.where}: {detail}") from None
        finally:
            transport.close()

    def _makedirs(self, sftp: paramiko.SFTPClient) -> str:
        path = posixpath.normpath(self.config.remote_dir)
        current = "/" if path.startswith("/") else ""
        for part in (p for p in path.split("/") if p and p != "."):
            current = posixpath.join(current, part) if current else part
            try:
                sftp.stat(current)
            except FileNotFoundError:
                try:
                    sftp.mkdir(current)
                except OSError:
                    sftp.stat(current)  # made by someone else meanwhile, or the real error
        return path

    def send(self, files: Sequence[Path]) -> list[str]:
        c = self.config
        with self._session() as sftp:
            base = self._makedirs(sftp)
            placed = []
            for source in files:
                final = remote_path(base, source.name)
                sftp.put(str(source), final + ".part", confirm=True)
                try:
                    sftp.posix_rename(final + ".part", final)
                except OSError:  # a server without the posix-rename extension
                    with suppress(OSError):
                        sftp.remove(final)
                    sftp.rename(final + ".part", final)
                placed.append(f"{self.where}/{final}")
            if c.ack_suffix:
                wait_for_acks(
                    lambda: sftp.listdir(base),
                    files,
                    suffix=c.ack_suffix,
                    timeout_s=c.ack_timeout_s,
                    where=f"{self.where}/{base}",
                )
        return placed

    def check(self) -> str:
        with self._session() as sftp:
            base = posixpath.normpath(self.config.remote_dir)
            try:
                count = len(sftp.listdir(base))
            except FileNotFoundError:
                return f"{self.where}/{base} does not exist yet; it is created on the first delivery"
        return f"{self.where}/{base}: {count} entries"


def build_destination(row: Mapping[str, Any], secret: str | None) -> Destination:
    """The destination of a ``report_destinations`` row with its decrypted secret (if it has one)."""
    kind, dest_id = row["kind"], row["id"]
    try:
        config = parse_config(kind, row["config"] or {})
    except ValueError as exc:
        raise DeliveryError(f"destination {dest_id!r}: {exc}") from None
    if isinstance(config, FolderConfig):
        return FolderDestination(dest_id, config)
    if not secret:
        raise DeliveryError(f"destination {dest_id!r} has no password or private key set")
    if isinstance(config, SftpConfig):
        return SftpDestination(dest_id, config, secret)
    from sync_server.reports.ftp import FtpDestination  # ftp.py builds on this module

    assert isinstance(config, FtpConfig)
    return FtpDestination(dest_id, config, secret, tls=kind == "ftps")


def deliver(
    destination: Destination,
    files: Sequence[Path],
    *,
    attempts: int = 4,
    on_attempt: AttemptLog | None = None,
    backoff_s: float = 1.0,
    max_backoff_s: float = 60.0,
) -> list[str]:
    """Send ``files``, retrying a ``DeliveryError`` up to ``attempts`` times with exponential backoff
    (``backoff_s``, doubling, at most ``max_backoff_s``); ``on_attempt`` hears of every attempt. Returns
    the locations of the successful attempt or re-raises the last error."""
    count = 0

    def attempt() -> list[str]:
        nonlocal count
        count += 1
        try:
            placed = destination.send(files)
        except Exception as exc:  # only a DeliveryError is retried; anything else is a bug
            if on_attempt:
                detail = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
                on_attempt(count, "failed", detail, [])
            raise
        if on_attempt:
            on_attempt(count, "delivered", f"{len(placed)} files to {destination.id}", placed)
        return placed

    retrying = Retrying(
        stop=stop_after_attempt(max(1, attempts)),
        wait=wait_exponential(multiplier=backoff_s, max=max_backoff_s),
        retry=retry_if_exception_type(DeliveryError),
        reraise=True,
    )
    return retrying(attempt)


def select_files(
    route: Route, *, status: str, weekday: int, artifacts: Sequence[tuple[str, Path, int]]
) -> list[Path] | None:
    """The files ``route`` sends for a run, or None when the route does not apply.

    ``artifacts`` are ``(format, path, size)``; ``"meta"`` is the metadata JSON. The route applies when
    the run's status and weekday (0 = Monday) are among the route's and the total size of the chosen
    formats lies within ``min_bytes``..``max_bytes``; with nothing to send it does not apply. Each
    chosen file comes with its ``.sha256`` sidecar (the metadata file's only if it has one).
    """
    if status not in route.statuses:
        return None
    if route.weekdays is not None and weekday not in route.weekdays:
        return None
    chosen = [
        (fmt, path, size) for fmt, path, size in artifacts if route.formats is None or fmt in route.formats
    ]
    total = sum(size for _, _, size in chosen)
    if not chosen or (route.min_bytes is not None and total < route.min_bytes):
        return None
    if route.max_bytes is not None and total > route.max_bytes:
        return None
    files = []
    for fmt, path, _ in chosen:
        sidecar = path.with_name(path.name + ".sha256")
        files += [path, sidecar] if fmt != "meta" or sidecar.exists() else [path]
    return files

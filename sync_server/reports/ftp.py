"""FTP and FTPS (explicit TLS, ``AUTH TLS`` then ``PROT P``) report destinations.

Files go to ``<name>.part`` and are renamed when complete, like every destination (``delivery.py``).
FTPS verifies the server's certificate and host name against the system's trusted CAs, or against
the CA or certificate pinned in the config (``ca_pem``); data connections reuse the control
connection's TLS session, which servers such as vsftpd require.
"""

from __future__ import annotations

import ftplib
import posixpath
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from sync_server.reports.delivery import (
    DeliveryError,
    FtpConfig,
    remote_path,
    scrub,
    wait_for_acks,
)

_ERRORS = (ftplib.Error, OSError, EOFError)  # ssl.SSLError and timeouts are OSErrors


def tls_context(ca_pem: str | None) -> ssl.SSLContext:
    """A client context verifying the server: against ``ca_pem`` if given, else the system's CAs.
    Raises ``ValueError`` when ``ca_pem`` holds no usable certificate."""
    try:
        context = ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.create_default_context()
    except (ssl.SSLError, ValueError) as exc:
        raise ValueError(f"ca_pem is not a PEM certificate: {exc}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class _SessionReusingFTP(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS session."""

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[ssl.SSLSocket, int | None]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:  # type: ignore[attr-defined]
            session = self.sock.session if isinstance(self.sock, ssl.SSLSocket) else None
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
        return conn, size


class FtpDestination:
    """Upload over FTP, or FTPS when ``tls`` (kind ``ftps``); ``password`` logs in as the user."""

    def __init__(self, id: str, config: FtpConfig, password: str, *, tls: bool) -> None:
        self.id, self.config, self.tls, self._password = id, config, tls, password
        self._context = tls_context(config.ca_pem) if tls else None
        self.where = f"{'ftps' if tls else 'ftp'}://{config.username}@{config.host}:{config.port}"

    @contextmanager
    def _session(self) -> Iterator[ftplib.FTP]:
        c = self.config
        ftp = (
            _SessionReusingFTP(context=self._context, timeout=c.timeout_s)
            if self._context
            else ftplib.FTP(timeout=c.timeout_s)
        )
        try:
            try:
                ftp.connect(c.host, c.port)
            except OSError as exc:
                raise DeliveryError(f"{self.where}: cannot connect: {exc}") from None
            if isinstance(ftp, ftplib.FTP_TLS):
                ftp.auth()
            ftp.login(c.username, self._password)
            if isinstance(ftp, ftplib.FTP_TLS):
                ftp.prot_p()
            ftp.set_pasv(c.passive)
            yield ftp
        except _ERRORS as exc:
            detail = scrub(str(exc).strip() or type(exc).__name__, self._password)
            raise DeliveryError(f"{self.where}: {detail}") from None
        finally:
            _close(ftp)

    def send(self, files: Sequence[Path]) -> list[str]:
        c = self.config
        with self._session() as ftp:
            base = _makedirs(ftp, c.remote_dir)
            placed = []
            for source in files:
                with source.open("rb") as data:
                    ftp.storbinary(f"STOR {source.name}.part", data)
                _rename(ftp, f"{source.name}.part", source.name)
                placed.append(f"{self.where}/{remote_path(base, source.name)}")
            if c.ack_suffix:
                wait_for_acks(
                    lambda: _names(ftp),
                    files,
                    suffix=c.ack_suffix,
                    timeout_s=c.ack_timeout_s,
                    where=f"{self.where}/{base}",
                )
        return placed

    def check(self) -> str:
        with self._session() as ftp:
            base = posixpath.normpath(self.config.remote_dir)
            try:
                ftp.cwd(base)
            except ftplib.error_perm:
                return f"{self.where}/{base} does not exist yet; it is created on the first delivery"
            count = len(_names(ftp))
        return f"{self.where}/{base}: {count} entries"


def _makedirs(ftp: ftplib.FTP, remote_dir: str) -> str:
    """``mkdir -p remote_dir`` and change into it; returns the normalised path."""
    path = posixpath.normpath(remote_dir)
    if path.startswith("/"):
        ftp.cwd("/")
    for part in (p for p in path.split("/") if p and p != "."):
        try:
            ftp.cwd(part)
        except ftplib.error_perm:
            # Made by someone else meanwhile, or refused: the cwd below says which.
            with suppress(ftplib.error_perm):
                ftp.mkd(part)
            ftp.cwd(part)
    return path


def _rename(ftp: ftplib.FTP, temp: str, final: str) -> None:
    try:
        ftp.rename(temp, final)
    except ftplib.error_perm:
        # Some servers refuse to rename over an existing file (a re-run's artifact): replace it.
        ftp.delete(final)
        ftp.rename(temp, final)


def _names(ftp: ftplib.FTP) -> list[str]:
    """File names in the current folder (an empty folder may answer 550 instead of nothing)."""
    try:
        return [posixpath.basename(n) for n in ftp.nlst()]
    except ftplib.error_perm:
        return []


def _close(ftp: ftplib.FTP) -> None:
    try:
        if ftp.sock is not None:
            ftp.quit()
    except _ERRORS:
        pass
    finally:
        ftp.close()

"""Real FTP and FTPS servers (pyftpdlib) on free local ports, for report delivery tests.

Fixtures: ``ftp_server`` (plain FTP) and ``ftps_server`` (explicit TLS required on control and data
connections, with a self-signed certificate for 127.0.0.1 made in tmp_path). Both log in one user
with a password, serve ``root`` as that user's home and answer passive and active transfers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

with warnings.catch_warnings():  # pyftpdlib builds on asyncore/asynchat, deprecated in Python 3.11
    warnings.simplefilter("ignore", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
    from pyftpdlib.ioloop import IOLoop
    from pyftpdlib.servers import FTPServer

from tests.support.ports import free_port

USERNAME = "reports"
PASSWORD = "s3cret-Ftp-pass"


@dataclass
class RunningFtp:
    host: str
    port: int
    username: str
    password: str
    root: Path
    ca_pem: str | None = None  # the self-signed certificate (FTPS only)


def self_signed_cert(directory: Path) -> tuple[Path, Path, str]:
    """A certificate for 127.0.0.1 / localhost and its key as PEM files; returns (cert, key, cert PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cert_path, key_path = directory / "ftps-cert.pem", directory / "ftps-key.pem"
    cert_path.write_text(cert_pem)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path, cert_pem


@contextmanager
def _serve(handler: type[FTPHandler], root: Path) -> Iterator[int]:
    """Run pyftpdlib in a thread until the caller's block ends; yields the port."""
    authorizer = DummyAuthorizer()
    authorizer.add_user(USERNAME, PASSWORD, str(root), perm="elradfmwMT")
    handler.authorizer = authorizer
    handler.passive_ports = None
    handler.timeout = 30
    handler.auth_failed_timeout = 0.1  # pyftpdlib waits 3 s after a wrong password
    port = free_port()
    # Its own event loop: the default one is process-wide, and an FTP and an FTPS server may run at once.
    server = FTPServer(("127.0.0.1", port), handler, ioloop=IOLoop())
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        server.close_all()

    thread = threading.Thread(target=loop, name=f"ftp-{port}", daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(timeout=10)


@pytest.fixture
def ftp_server(tmp_path) -> Iterator[RunningFtp]:
    root = tmp_path / "ftp-root"
    root.mkdir()
    handler = type("TestFtpHandler", (FTPHandler,), {})
    with _serve(handler, root) as port:
        yield RunningFtp("127.0.0.1", port, USERNAME, PASSWORD, root)


@pytest.fixture
def ftps_server(tmp_path) -> Iterator[RunningFtp]:
    root = tmp_path / "ftps-root"
    root.mkdir()
    cert, key, cert_pem = self_signed_cert(tmp_path)
    handler = type(
        "TestFtpsHandler",
        (TLS_FTPHandler,),
        {"certfile": str(cert), "keyfile": str(key), "tls_control_required": True, "tls_data_required": True},
    )
    with _serve(handler, root) as port:
        yield RunningFtp("127.0.0.1", port, USERNAME, PASSWORD, root, ca_pem=cert_pem)

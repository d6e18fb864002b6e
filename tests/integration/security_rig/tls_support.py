"""A throwaway CA with a valid and an expired server certificate for 127.0.0.1, and a server context
that still speaks TLS 1.0 (where this machine's OpenSSL can)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import warnings
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _server_cert(
    ca_key, ca_cert, key, *, not_before: dt.datetime, not_after: dt.datetime
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def make_tls_files(folder: Path) -> dict:
    """ca, cert (valid a day), expired_cert (ended yesterday), key, and legacy_context() -> a server
    SSLContext that still allows TLS 1.0 (besides 1.2 and 1.3) with the valid certificate (None where OpenSSL cannot)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Security rig test CA"))
        .issuer_name(_name("Security rig test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=3))
        .not_valid_after(now + dt.timedelta(days=3))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    valid = _server_cert(
        ca_key, ca_cert, key, not_before=now - dt.timedelta(minutes=5), not_after=now + dt.timedelta(days=30)
    )
    expired = _server_cert(
        ca_key, ca_cert, key, not_before=now - dt.timedelta(days=2), not_after=now - dt.timedelta(days=1)
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = {name: folder / f"{name}.pem" for name in ("ca", "cert", "expired_cert", "key")}
    files["ca"].write_bytes(_pem(ca_cert))
    files["cert"].write_bytes(_pem(valid))
    files["expired_cert"].write_bytes(_pem(expired))
    files["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return {**files, "legacy_context": _legacy(files["cert"], files["key"])}


def _legacy(cert: Path, key: Path) -> Callable[[], ssl.SSLContext | None]:
    def build() -> ssl.SSLContext | None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.minimum_version = ssl.TLSVersion.TLSv1  # and everything newer
                context.set_ciphers("ALL:@SECLEVEL=0")
                context.load_cert_chain(cert, key)
            except (ValueError, ssl.SSLError):
                return None
        return context if _speaks_tls1(context) else None

    return build


def _speaks_tls1(server: ssl.SSLContext) -> bool:
    """Whether a TLS 1.0 handshake works between this machine's OpenSSL and itself."""
    import socket
    import threading

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
        try:
            client.minimum_version = client.maximum_version = ssl.TLSVersion.TLSv1
            client.set_ciphers("ALL:@SECLEVEL=0")
        except (ValueError, ssl.SSLError):
            return False
    left, right = socket.socketpair()
    result: list[bool] = []

    def serve() -> None:
        try:
            with server.wrap_socket(right, server_side=True):
                result.append(True)
        except (ssl.SSLError, OSError):
            result.append(False)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with client.wrap_socket(left):
            ok = True
    except (ssl.SSLError, OSError):
        ok = False
    thread.join(5)
    return ok and result == [True]

"""Test device certificates for the SBI simulator: a throw-away device-provider CA and a device cert.

Never used for real devices; a real deployment's trust anchors come from master data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class DeviceKeys:
    ca_cert: x509.Certificate
    device_key: rsa.RSAPrivateKey
    device_cert: x509.Certificate


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OpenReg Simulated Devices"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_cert(
    subject: str,
    issuer: str,
    public_key,
    signing_key,
    *,
    ca: bool,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> x509.Certificate:
    """A certificate with the extensions RFC 5280 path validation looks at (basic constraints, key
    usage, key identifiers). Tests also use it to forge bad chains."""
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_key_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False
        )
        .sign(signing_key, hashes.SHA256())
    )


def _has_key_usage(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        return False
    return True


def load_or_create_ca(state_dir: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """Reuse state_dir/ca.key + ca.pem so restarted simulators stay trusted; create them otherwise."""
    key_path, cert_path = state_dir / "ca.key", state_dir / "ca.pem"
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        # CAs written before key usage was added fail path validation: make a new one (clients read
        # ca.pem when they connect, so they pick it up).
        if _has_key_usage(cert):
            return key, cert
    state_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = make_cert(
        "OpenReg Test Device Provider CA", "OpenReg Test Device Provider CA", key.public_key(), key, ca=True
    )
    tmp = key_path.with_suffix(".tmp")
    tmp.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    tmp.replace(key_path)
    tmp = cert_path.with_suffix(".tmp")
    tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tmp.replace(cert_path)
    return key, cert


def issue_device_keys(ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate, serial: str) -> DeviceKeys:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = make_cert(
        f"Simulated device {serial}", "OpenReg Test Device Provider CA", key.public_key(), ca_key, ca=False
    )
    return DeviceKeys(ca_cert=ca_cert, device_key=key, device_cert=cert)


def rogue_keys(serial: str) -> DeviceKeys:
    """Keys from an untrusted, self-made CA: used by the "bad signature" knob."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = make_cert(
        f"Simulated device {serial}", "OpenReg Test Device Provider CA", key.public_key(), key, ca=False
    )
    return DeviceKeys(ca_cert=cert, device_key=key, device_cert=cert)

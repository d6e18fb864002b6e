"""HTTPS end to end: a throwaway CA and server certificate, the real server process started with
--certfile/--keyfile, the real kiosk enrolling and syncing with the CA pinned (and only with it)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import demo.headless as demo
from client.core.bootstrap import build_client
from client.core.settings import ClientSettings
from client.core.sync.transport import TransportError


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture
def tls_files(tmp_path: Path) -> dict[str, Path]:
    """ca.pem (the CA to pin), server.pem + server.key (for 127.0.0.1 and localhost), other-ca.pem."""
    ca_key, ca_cert = make_ca("OpenReg test CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
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
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path / "tls"
    folder.mkdir()
    files = {
        "ca": folder / "ca.pem",
        "cert": folder / "server.pem",
        "key": folder / "server.key",
        "other_ca": folder / "other-ca.pem",
    }
    files["ca"].write_bytes(_pem(ca_cert))
    files["cert"].write_bytes(_pem(cert))
    files["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    files["other_ca"].write_bytes(_pem(make_ca("Someone else's CA")[1]))
    return files


@pytest.fixture
def https_server(start_sync_server, tmp_path, tls_files):
    return start_sync_server(
        tmp_path / "server",
        workers=1,
        args=("--certfile", str(tls_files["cert"]), "--keyfile", str(tls_files["key"])),
    )


def kiosk_settings(tmp_path: Path, url: str, **extra) -> ClientSettings:
    return ClientSettings(
        data_dir=tmp_path / "kiosk", keyring_file=tmp_path / "kiosk.kr", server_url=url, **extra
    )


def test_kiosk_enrols_syncs_and_uploads_over_https_with_the_ca_pinned(tmp_path, https_server, tls_files):
    assert https_server.url.startswith("https://127.0.0.1:")
    app = build_client(kiosk_settings(tmp_path, https_server.url, server_ca_file=tls_files["ca"]))
    try:
        ident = app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
        assert ident.enrolled
    finally:
        app.close()
    # From now on the CA pinned at enrolment is used without being configured again.
    app = build_client(kiosk_settings(tmp_path, https_server.url))
    try:
        assert app.master_data_sync().sync().rows > 0
        rids = demo.register_people(app, count=1, echo=lambda _m: None)
        supervisor = app.authentication.login(user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD)
        app.end_of_day.approve(session=supervisor, rid=rids[0])
        report = app.upload_agent().upload_approved()
        assert report.ok and report.uploaded == rids
        assert app.refresh_server_keys().recipient_key_id == app.machine.identity().recipient_key_id
    finally:
        app.close()


def test_without_the_pinned_ca_or_with_another_the_server_is_not_trusted(tmp_path, https_server, tls_files):
    for name, extra in (("system", {}), ("other", {"server_ca_file": tls_files["other_ca"]})):
        app = build_client(kiosk_settings(tmp_path / name, https_server.url, **extra))
        try:
            with pytest.raises(TransportError, match="SSLError"):
                app.enrolment().enrol(center_id=demo.CENTER_ID)
            assert not app.machine.identity().pinned
        finally:
            app.close()

"""SBI device certificate chains: RFC 5280 path validation, not a hand-written walk.

A device certificate is no CA: a leaf "issued" by a genuine device certificate used to be accepted.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from demo.sbi_simulator.certs import issue_device_keys, load_or_create_ca, make_cert
from device_drivers.sbi.jws import SignatureError, b64url_encode, sign_jws, verify_jws

ROOT = "OpenReg Test Device Provider CA"
PAYLOAD = b'{"bioValue": "x"}'


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _sign_with_chain(key: rsa.RSAPrivateKey, chain: list[x509.Certificate]) -> str:
    header = {
        "alg": "RS256",
        "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in chain],
    }
    signing_input = f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(PAYLOAD)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url_encode(signature)}"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    ca_key, ca_cert = load_or_create_ca(tmp_path_factory.mktemp("ca"))
    return ca_key, ca_cert, issue_device_keys(ca_key, ca_cert, "GENUINE-1")


def test_simulator_chain_accepted(provider):
    _, ca_cert, device = provider
    token = sign_jws(PAYLOAD, key=device.device_key, cert=device.device_cert)
    payload, leaf = verify_jws(token, anchors=[ca_cert])
    assert payload == PAYLOAD and leaf == device.device_cert


def test_leaf_issued_by_a_genuine_device_certificate_refused(provider):
    _, ca_cert, device = provider
    forged_key = _key()
    forged = make_cert(
        "Forged device", "Simulated device GENUINE-1", forged_key.public_key(), device.device_key, ca=False
    )
    token = _sign_with_chain(forged_key, [forged, device.device_cert])
    with pytest.raises(SignatureError):
        verify_jws(token, anchors=[ca_cert])


def test_expired_intermediate_refused(provider):
    ca_key, ca_cert, _ = provider
    sub_key, leaf_key = _key(), _key()
    now = datetime.now(UTC)
    sub = make_cert(
        "Expired sub-CA",
        ROOT,
        sub_key.public_key(),
        ca_key,
        ca=True,
        not_before=now - timedelta(days=400),
        not_after=now - timedelta(days=30),
    )
    leaf = make_cert(
        "Device under expired sub-CA",
        "Expired sub-CA",
        leaf_key.public_key(),
        sub_key,
        ca=False,
        not_before=now - timedelta(days=400),
    )
    token = _sign_with_chain(leaf_key, [leaf, sub])
    with pytest.raises(SignatureError, match="not issued by a trusted device provider"):
        verify_jws(token, anchors=[ca_cert])


def test_valid_intermediate_accepted(provider):
    ca_key, ca_cert, _ = provider
    sub_key, leaf_key = _key(), _key()
    sub = make_cert("Device sub-CA", ROOT, sub_key.public_key(), ca_key, ca=True)
    leaf = make_cert("Device under sub-CA", "Device sub-CA", leaf_key.public_key(), sub_key, ca=False)
    payload, got = verify_jws(_sign_with_chain(leaf_key, [leaf, sub]), anchors=[ca_cert])
    assert payload == PAYLOAD and got == leaf


def test_expired_device_certificate_and_foreign_anchor_refused(provider):
    _, ca_cert, device = provider
    token = sign_jws(PAYLOAD, key=device.device_key, cert=device.device_cert)
    with pytest.raises(SignatureError, match="not issued by a trusted device provider"):
        verify_jws(token, anchors=[ca_cert], now=datetime.now(UTC) + timedelta(days=800))
    other_key = _key()
    other = make_cert(ROOT, ROOT, other_key.public_key(), other_key, ca=True)  # same name, other key
    with pytest.raises(SignatureError, match="not issued by a trusted device provider"):
        verify_jws(token, anchors=[other])
    with pytest.raises(SignatureError, match="no trusted device providers"):
        verify_jws(token, anchors=[])

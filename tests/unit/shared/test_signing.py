import base64
import hashlib

import pytest

from shared.canonical import canonical_json
from shared.signing import (
    SignatureError,
    generate_private_key,
    key_id,
    private_key_from_bytes,
    private_key_to_bytes,
    public_key_b64,
    public_key_from_b64,
    sign_b64,
    verify_b64,
)


def test_sign_and_verify_round_trip_with_stable_encoding():
    key = generate_private_key()
    message = canonical_json({"b": 1, "a": "é"})
    assert message == '{"a":"é","b":1}'.encode()
    signature = sign_b64(key, message)
    verify_b64(public_key_b64(key), message, signature)
    restored = private_key_from_bytes(private_key_to_bytes(key))
    assert public_key_b64(restored) == public_key_b64(key)
    assert key_id(key) == key_id(public_key_b64(key)) and len(key_id(key)) == 16


def test_wrong_message_key_or_encoding_refused():
    key, other = generate_private_key(), generate_private_key()
    signature = sign_b64(key, b"hello")
    with pytest.raises(SignatureError, match="does not match"):
        verify_b64(public_key_b64(key), b"hellO", signature)
    with pytest.raises(SignatureError, match="does not match"):
        verify_b64(public_key_b64(other), b"hello", signature)
    with pytest.raises(SignatureError, match="base64"):
        verify_b64(public_key_b64(key), b"hello", "not base64!")
    with pytest.raises(SignatureError, match="public key"):
        verify_b64("AAAA", b"hello", signature)


def test_canonical_json_refuses_nan():
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


SMALL_ORDER_HEX = [
    "00" * 32,  # order 4, the all-zero key
    "01" + "00" * 31,  # the identity
    "ec" + "ff" * 30 + "7f",  # order 2
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
    "0000000000000000000000000000000000000000000000000000000000000080",  # order 4, x sign set
    "ed" + "ff" * 30 + "7f",  # non-canonical 0
    "ee" + "ff" * 30 + "7f",  # non-canonical identity
]


@pytest.mark.parametrize("raw_hex", SMALL_ORDER_HEX)
def test_small_order_public_keys_refused(raw_hex):
    text = base64.b64encode(bytes.fromhex(raw_hex)).decode()
    with pytest.raises(SignatureError, match="small-order"):
        public_key_from_b64(text)


def test_a_forged_constant_signature_is_why_small_order_keys_are_refused():
    # Under the all-zero key, R = identity and S = 0 "verifies" for any message in cofactored checks;
    # whatever the library does, the key must never get that far.
    zero = base64.b64encode(bytes(32)).decode()
    forged = base64.b64encode(bytes.fromhex("01" + "00" * 63)).decode()
    with pytest.raises(SignatureError, match="small-order"):
        verify_b64(zero, b"any challenge", forged)


def test_ordinary_keys_still_accepted():
    for _ in range(20):
        key = generate_private_key()
        assert public_key_b64(public_key_from_b64(public_key_b64(key))) == public_key_b64(key)


def test_a_private_key_of_the_wrong_length_is_refused():
    with pytest.raises(SignatureError, match="^not a 32-byte Ed25519 private key: "):
        private_key_from_bytes(bytes(31))


def test_a_public_key_with_stray_characters_or_not_text_is_refused():
    text = public_key_b64(generate_private_key())
    for bad in (text[:20] + "!" + text[20:], text + "\n", text[:-4], None, 7):
        with pytest.raises(SignatureError, match="^public key is not base64 of 32 raw Ed25519 bytes$"):
            public_key_from_b64(bad)


def test_key_id_is_the_start_of_sha256_over_the_raw_public_key():
    key = private_key_from_bytes(bytes(range(32)))
    raw = base64.b64decode(public_key_b64(key))
    assert key_id(key) == hashlib.sha256(raw).hexdigest()[:16] == key_id(public_key_b64(key))
    assert key_id(key.public_key()) == key_id(key)


def test_a_signature_is_base64_of_the_64_raw_bytes():
    key = private_key_from_bytes(bytes(range(32)))
    signature = base64.b64decode(sign_b64(key, b"message"), validate=True)
    assert len(signature) == 64
    key.public_key().verify(signature, b"message")
    verify_b64(key.public_key(), b"message", sign_b64(key, b"message"))
    with pytest.raises(SignatureError, match="^signature is not valid base64$"):
        verify_b64(key.public_key(), b"message", sign_b64(key, b"message") + "!")


def test_refusals_are_worded_for_the_operator():
    key = generate_private_key()
    with pytest.raises(SignatureError, match="^signature does not match$"):
        verify_b64(public_key_b64(key), b"hello", sign_b64(generate_private_key(), b"hello"))
    weak = base64.b64encode(bytes(32)).decode()
    message = "^public key is a small-order Ed25519 point \\(a weak key\\); make a new key$"
    with pytest.raises(SignatureError, match=message):
        public_key_from_b64(weak)

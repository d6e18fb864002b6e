import pytest

from shared.canonical import canonical_json
from shared.signing import (
    SignatureError,
    generate_private_key,
    key_id,
    private_key_from_bytes,
    private_key_to_bytes,
    public_key_b64,
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

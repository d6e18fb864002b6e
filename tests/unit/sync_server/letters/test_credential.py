"""The signed UIN credential (shared.uin_credential): round trip, tampering, unknown keys, and strict
parsing with a clear, typed error for everything else."""

import base64
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.canonical import canonical_json
from shared.signing import generate_private_key, key_id, public_key_b64, sign_b64
from shared.uin_credential import (
    MAX_CREDENTIAL_CHARS,
    SIGNING_CONTEXT,
    BadCredentialSignature,
    CredentialError,
    MalformedCredential,
    UnknownSigningKey,
    group_uin,
    issue_credential,
    parse_credential,
    public_keys_by_id,
    verify_credential,
)

KEY = generate_private_key()
TRUSTED = public_keys_by_id([KEY.public_key()])
ISSUED = dt.date(2026, 6, 1)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed(payload: dict | bytes, key=KEY, *, context: bytes = SIGNING_CONTEXT) -> str:
    """A credential over any payload, correctly signed: for checks that come after the signature."""
    raw = payload if isinstance(payload, bytes) else canonical_json(payload)
    signature = base64.b64decode(sign_b64(key, context + raw))
    return f"OR1:{b64url(raw)}.{b64url(signature)}"


def fields(**changes) -> dict:
    return {
        "v": 1,
        "uin": "2345678901",
        "name": "Amina Diallo",
        "issued_at": "2026-06-01",
        "kid": key_id(KEY),
    } | changes


def test_round_trip_in_latin_and_arabic_names():
    for name in ("Amina Diallo", "أمينة ديالو", "Amélie Çelik-Dubois"):
        text = issue_credential(KEY, uin="2345678901", name=f"  {name} ", issued_at=ISSUED)
        assert text.startswith("OR1:") and text.isascii() and len(text) < 400
        credential = verify_credential(text, TRUSTED)
        assert (credential.uin, credential.name, credential.issued_at) == ("2345678901", name, ISSUED)
        assert credential.kid == key_id(KEY)
    # base64 keys work too, as the server publishes them
    assert verify_credential(text, {key_id(KEY): public_key_b64(KEY)}).name == "Amélie Çelik-Dubois"


def test_a_changed_name_fails_the_signature():
    text = issue_credential(KEY, uin="2345678901", name="Amina Diallo", issued_at=ISSUED)
    payload, signature = text.removeprefix("OR1:").split(".")
    forged = canonical_json(fields(name="Someone Else"))
    with pytest.raises(BadCredentialSignature, match="altered"):
        verify_credential(f"OR1:{b64url(forged)}.{signature}", TRUSTED)
    with pytest.raises(BadCredentialSignature):  # one flipped signature bit
        raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
        raw[10] ^= 1
        verify_credential(f"OR1:{payload}.{b64url(bytes(raw))}", TRUSTED)


def test_an_unknown_key_is_named():
    other = generate_private_key()
    text = issue_credential(other, uin="2345678901", name="Amina Diallo", issued_at=ISSUED)
    with pytest.raises(UnknownSigningKey, match=key_id(other)) as caught:
        verify_credential(text, TRUSTED)
    assert caught.value.kid == key_id(other)
    # a trust map that files another key under this kid does not make it verify
    with pytest.raises(UnknownSigningKey):
        verify_credential(text, {key_id(other): KEY.public_key()})


def test_a_signature_made_for_another_purpose_does_not_verify():
    """The same server key signs master data; only signatures over the credential context count."""
    with pytest.raises(BadCredentialSignature):
        verify_credential(signed(fields(), context=b""), TRUSTED)


def test_oversize_text_is_refused_before_parsing():
    huge = "OR1:" + "A" * 100_000 + ".B"
    with pytest.raises(MalformedCredential, match="too long"):
        parse_credential(huge)
    with pytest.raises(MalformedCredential, match="too long"):
        parse_credential("OR1:" + "A" * MAX_CREDENTIAL_CHARS)
    with pytest.raises(MalformedCredential, match="1-200 characters"):  # what keeps issued ones short
        issue_credential(KEY, uin="2345678901", name="x" * 5000, issued_at=ISSUED)
    longest = issue_credential(KEY, uin="9" * 32, name="\U00020000" * 200, issued_at=ISSUED)
    assert len(longest) < MAX_CREDENTIAL_CHARS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "does not start with"),
        ("hello world", "does not start with"),
        ("https://example.org/?uin=1", "does not start with"),
        ("OR1:abc", "two parts"),
        ("OR1:a.b.c", "two parts"),
        ("OR1:ab+c.def", "not base64url"),
        ("OR1:a.AAAA", "not base64url"),
        ("OR1:AAAA.AAAA", "not 64 bytes"),
    ],
)
def test_garbage_gets_a_clear_error(text, message):
    with pytest.raises(MalformedCredential, match=message):
        verify_credential(text, TRUSTED)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[1,2]", "not a JSON object"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b'{"v":NaN}', "not JSON"),
        (b'{"kid":"a","kid":"b"}', "repeats a field"),
        (b'{ "v": 1 }', "canonical form"),
        (fields(extra="x"), "unexpected"),
        ({k: v for k, v in fields().items() if k != "name"}, "missing"),
        (fields(v=2), "version 2 is not supported"),
        (fields(v=True), "not a number"),
        (fields(uin="12a4"), "UIN"),
        (fields(uin="١٢٣٤٥"), "UIN"),  # Arabic-Indic digits are digits to str.isdigit, not to us
        (fields(issued_at="2026-02-30"), "not a real date"),
        (fields(issued_at="1 June 2026"), "YYYY-MM-DD"),
        (fields(kid="ABCDEF0123456789"), "key id"),
        (fields(name=""), "1-200"),
        (fields(name="Amina  Diallo"), "extra spaces"),
        (fields(name="Amina\u202eollaiD"), "text-direction"),
        (fields(name="Amina\x07"), "control"),
        (fields(name="Ame\u0301lie"), "NFC"),
    ],
)
def test_bad_content_is_refused_even_when_signed(payload, message):
    with pytest.raises(MalformedCredential, match=message):
        verify_credential(signed(payload), TRUSTED)


def test_non_canonical_base64_is_refused():
    text = issue_credential(KEY, uin="2345678901", name="Amina Diallo", issued_at=ISSUED)
    payload, signature = text.removeprefix("OR1:").split(".")
    # the signature's last character carries 4 spare bits: setting one keeps the bytes, changes the text
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(signature[-1]) | 1]
    with pytest.raises(MalformedCredential, match="canonical"):
        verify_credential(f"OR1:{payload}.{signature[:-1]}{last}", TRUSTED)


def test_surrounding_whitespace_from_a_scanner_is_tolerated():
    text = issue_credential(KEY, uin="2345678901", name="Amina Diallo", issued_at=ISSUED)
    assert verify_credential(f"{text}\r\n", TRUSTED).uin == "2345678901"


@given(st.text(max_size=300))
def test_any_text_gives_a_credential_error_or_nothing_else(text):
    with pytest.raises(CredentialError):
        verify_credential(text, TRUSTED)


@given(st.binary(min_size=1, max_size=200))
def test_any_signed_bytes_give_a_credential_error(raw):
    with pytest.raises(CredentialError):
        verify_credential(signed(raw), TRUSTED)


def test_uin_is_grouped_for_reading():
    assert group_uin("2345678901") == "2345 6789 01"
    assert group_uin("12345678") == "1234 5678"

"""tus headers as the server reads them: Upload-Metadata pairs, Upload-Length, Upload-Checksum."""

from __future__ import annotations

import base64
import hashlib

import pytest

from sync_server.api.tus_protocol import parse_length, parse_metadata, verify_checksum
from sync_server.errors import ApiError


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_metadata_pairs_decode_and_a_key_may_have_no_value():
    header = f"rid {b64('1' * 29)}, sha256 {b64('ab')},is_confidential,filename {b64('é.age')}"
    assert parse_metadata(header) == {
        "rid": "1" * 29,
        "sha256": "ab",
        "is_confidential": "",
        "filename": "é.age",
    }


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        " , ",
        "k!y " + b64("x"),
        "x " + "QUFB" * 700,
        ",".join(f"k{i}" for i in range(17)),
        "rid " + b64("x") + ",rid " + b64("y"),
        "rid ???",
        "rid " + b64("a\nb"),
    ],
)
def test_bad_metadata_is_a_validation_error(header):
    with pytest.raises(ApiError) as refused:
        parse_metadata(header)
    assert refused.value.status == 422 and refused.value.errors


@pytest.mark.parametrize("value", [None, "", "-1", "1.5", "١٢", "1" * 21, "12\n"])
def test_upload_length_is_plain_digits(value):
    with pytest.raises(ApiError) as refused:
        parse_length(value, None)
    assert refused.value.status == 422


def test_checksums_by_algorithm():
    data = b"hello world"
    # the SHA-256 it checked comes back for the upload to reuse; no other algorithm's digest does
    assert verify_checksum(None, data) is None
    assert verify_checksum("sha1 " + base64.b64encode(hashlib.sha1(data).digest()).decode(), data) is None
    sha256 = hashlib.sha256(data)
    assert verify_checksum("sha256 " + base64.b64encode(sha256.digest()).decode(), data) == sha256.hexdigest()
    for header, status in [
        ("sha256 " + base64.b64encode(hashlib.sha256(b"other").digest()).decode(), 460),
        ("md5 XrY7u+Ae7tCTyyK7j1rNww==", 400),
        ("sha256 not-base64", 400),
        ("sha256 " + base64.b64encode(b"short").decode(), 400),
        ("sha256", 400),
    ]:
        with pytest.raises(ApiError) as refused:
            verify_checksum(header, data)
        assert refused.value.status == status, header

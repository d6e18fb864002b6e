"""CBEFF XML reading is strict: every malformed element raises IsoRecordError naming the BIR at fault."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device_drivers.iso import CbeffEntry, IsoRecordError, read_cbeff, write_cbeff

NS = "http://standards.iso.org/iso-iec/19785/-3/ed-2/"
RECORD = b"FIR\x00020\x00" + bytes(range(200))


def _doc(
    *, score: str = "85", bdb: str | None = None, exception: str = "false", with_bdb: bool = True
) -> bytes:
    text = base64.urlsafe_b64encode(RECORD).decode().rstrip("=") if bdb is None else bdb
    element = f"<BDB>{text}</BDB>" if with_bdb else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<BIR xmlns="{NS}"><BIRInfo><Integrity>false</Integrity></BIRInfo>
<BIR><BDBInfo><Format><Organization>Mosip</Organization><Type>7</Type></Format>
<CreationDate>2019-06-27T13:40:06.209Z</CreationDate><Type>Finger</Type><Subtype>Left Thumb</Subtype>
<Quality><Score>{score}</Score></Quality></BDBInfo>{element}
<others><entry key="EXCEPTION">{exception}</entry></others></BIR></BIR>""".encode()


def test_a_mosip_style_document_reads() -> None:
    (entry,) = read_cbeff(_doc())
    assert entry == CbeffEntry("Finger", "Left Thumb", 85, RECORD, "2019-06-27T13:40:06.209Z")


def test_standard_base64_with_padding_and_line_breaks_reads() -> None:
    wrapped = base64.encodebytes(RECORD).decode()  # standard alphabet, '=' padding, a newline every 76
    (entry,) = read_cbeff(_doc(bdb=wrapped))
    assert entry.iso_record == RECORD


@pytest.mark.parametrize("score", ["85.5", "-1", "101", "high", "", "٨٥"])
def test_a_quality_that_is_not_a_whole_number_0_to_100_is_refused(score: str) -> None:
    with pytest.raises(IsoRecordError, match=r"CBEFF BIR 0 \(Finger Left Thumb\) has quality score"):
        read_cbeff(_doc(score=score))


@pytest.mark.parametrize("bdb", ["!!!!", "QUJD*", "A", "QUJD=QUJD", "QU JD\u00e9"])
def test_a_bdb_that_is_not_base64_is_refused_not_read_as_empty(bdb: str) -> None:
    with pytest.raises(IsoRecordError, match="BDB that is not base64"):
        read_cbeff(_doc(bdb=bdb))


def test_an_empty_bdb_must_be_a_marked_exception() -> None:
    with pytest.raises(IsoRecordError, match="has no BDB but is not marked as an exception"):
        read_cbeff(_doc(bdb=""))
    (entry,) = read_cbeff(_doc(bdb="", exception="true", score="0"))
    assert entry.exception and entry.iso_record == b""
    (entry,) = read_cbeff(_doc(exception="TRUE", with_bdb=False))
    assert entry.exception and entry.iso_record == b""
    with pytest.raises(IsoRecordError, match="has no BDB"):
        read_cbeff(_doc(with_bdb=False))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_doc(exception="maybe"), "EXCEPTION entry that is neither true nor false"),
        (_doc().replace(b"2019-06-27T13:40:06.209Z", b"yesterday"), "creation date 'yesterday'"),
        (_doc().replace(b"<Type>Finger</Type>", b""), "has no BDBInfo Type"),
        (_doc().replace(b"<BDBInfo>", b"<Info>").replace(b"</BDBInfo>", b"</Info>"), "lacks BDBInfo"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]>' + _doc()[38:], "DOCTYPE"),
        (_doc().replace(b"<BIR xmlns", b"<Root xmlns").replace(b"</BIR></BIR>", b"</BIR></Root>"), "root"),
    ],
)
def test_malformed_elements_are_refused(document: bytes, message: str) -> None:
    with pytest.raises(IsoRecordError, match=message):
        read_cbeff(document)


def test_too_many_birs_are_refused() -> None:
    one = _doc().split(b"<BIR><BDBInfo>", 1)[1].rsplit(b"</BIR>", 1)[0]
    many = _doc().rsplit(b"</BIR>", 1)[0] + (b"<BIR><BDBInfo>" + one) * 100 + b"</BIR>"
    with pytest.raises(IsoRecordError, match="101 BIRs"):
        read_cbeff(many)


def test_the_writer_refuses_what_the_reader_would() -> None:
    with pytest.raises(IsoRecordError, match="not 0-100"):
        write_cbeff([CbeffEntry("Finger", "Left Thumb", 85.5, RECORD, "2026-01-02T03:04:05Z")])  # type: ignore[arg-type]
    with pytest.raises(IsoRecordError, match="no record and is no exception"):
        write_cbeff([CbeffEntry("Finger", "Left Thumb", 0, b"", "2026-01-02T03:04:05Z")])
    entries = [CbeffEntry("Iris", "Left", 100, RECORD, "2026-01-02T03:04:05+00:00")]
    assert read_cbeff(write_cbeff(entries)) == entries


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, 2_000), value=st.integers(0, 255))
def test_mutated_documents_give_only_typed_errors(index: int, value: int) -> None:
    document = bytearray(_doc())
    document[index % len(document)] = value
    with contextlib.suppress(IsoRecordError):
        read_cbeff(bytes(document))

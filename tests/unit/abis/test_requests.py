"""MOSIP ABIS request parsing in the reference ABIS, and answer parsing and queueing on the server."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from abis_service import wire
from sync_server.abis import mosip
from sync_server.abis.http_client import AbisHttpClient
from sync_server.abis.port import MAX_RECORD_BYTES, AbisRequestError, BiometricRecord
from sync_server.abis.queue import AbisRequests
from sync_server.abis.tables import metadata

BASE = {"version": "1.1", "requestId": "req-1", "requesttime": "2026-01-01T00:00:00Z"}
CBEFF_URL = wire.DATA_URL_PREFIX + base64.b64encode(b"<BIR/>").decode()


def test_a_full_identify_request_is_parsed() -> None:
    request = wire.parse_request(
        {
            **BASE,
            "id": "mosip.abis.identify",
            "referenceId": "RID-1",
            "referenceURL": CBEFF_URL,
            "flags": {"maxResults": "5", "targetFPIR": 60},
            "gallery": {"referenceIds": [{"referenceId": "UIN-1"}, {"referenceId": "UIN-2"}]},
        }
    )
    assert (request.action, request.reference_id, request.cbeff) == ("identify", "RID-1", b"<BIR/>")
    assert request.gallery == ("UIN-1", "UIN-2") and request.max_results == 5 and request.target_fpir == 60


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], wire.INVALID_REQUEST),
        ({**BASE, "id": "mosip.abis.explode"}, wire.INVALID_ID),
        ({**BASE, "id": "mosip.abis.ping", "version": "9"}, wire.INVALID_VERSION),
        ({**BASE, "id": "mosip.abis.ping", "requestId": ""}, wire.MISSING_REQUEST_ID),
        ({**BASE, "id": "mosip.abis.ping", "requestId": "x" * 65}, wire.INVALID_REQUEST),
        ({**BASE, "id": "mosip.abis.ping", "requesttime": "yesterday"}, wire.INVALID_REQUEST_TIME),
        ({**BASE, "id": "mosip.abis.insert", "referenceURL": CBEFF_URL}, wire.MISSING_REFERENCE_ID),
        ({**BASE, "id": "mosip.abis.insert", "referenceId": "R"}, wire.MISSING_REFERENCE_URL),
        (
            {**BASE, "id": "mosip.abis.insert", "referenceId": "R", "referenceURL": "file:///etc/passwd"},
            wire.UNABLE_TO_FETCH_BIOMETRICS,
        ),
        (
            {
                **BASE,
                "id": "mosip.abis.insert",
                "referenceId": "R",
                "referenceURL": wire.DATA_URL_PREFIX + "%%",
            },
            wire.INVALID_CBEFF,
        ),
        ({**BASE, "id": "mosip.abis.identify"}, wire.MISSING_REFERENCE_ID),
        (
            {**BASE, "id": "mosip.abis.identify", "referenceId": "R", "flags": {"maxResults": 1000}},
            wire.INVALID_REQUEST,
        ),
        (
            {
                **BASE,
                "id": "mosip.abis.identify",
                "referenceId": "R",
                "gallery": {"referenceIds": [{"referenceId": "ok"}] * (wire.MAX_GALLERY + 1)},
            },
            wire.INVALID_REQUEST,
        ),
    ],
)
def test_bad_requests_are_refused_with_mosips_reason(body: object, reason: int) -> None:
    with pytest.raises(wire.RequestError) as refused:
        wire.parse_request(body)
    assert refused.value.reason == reason and str(refused.value)


def test_an_oversize_cbeff_is_refused_before_decoding() -> None:
    huge = wire.DATA_URL_PREFIX + "A" * (wire.MAX_CBEFF_BYTES * 2)
    with pytest.raises(wire.RequestError, match="larger than"):
        wire.parse_request({**BASE, "id": "mosip.abis.insert", "referenceId": "R", "referenceURL": huge})


def answer(**fields: object) -> dict:
    return {"id": "mosip.abis.identify", "requestId": "req-1", "returnValue": 1, **fields}


def test_answers_are_validated_before_they_are_stored() -> None:
    good = answer(
        candidateList={
            "count": "1",
            "candidates": [
                {
                    "referenceId": "UIN-2",
                    "analytics": {"confidence": "91.5"},
                    "modalities": [{"biometricType": "FIR", "analytics": {"confidence": "95"}}],
                }
            ],
        }
    )
    result = mosip.parse_answer(good, action="identify", request_id="req-1", reference_id="RID-1")
    assert (
        result.ok
        and result.candidates[0].score == 91.5
        and result.candidates[0].modality_scores == {"finger": 95}
    )
    failed = mosip.parse_answer(
        {"requestId": "req-1", "returnValue": 2, "failureReason": 7},
        action="insert",
        request_id="req-1",
        reference_id="R",
    )
    assert not failed.ok and failed.failure_reason == 7
    for bad in (
        [],
        answer(requestId="other"),
        answer(returnValue=3),
        answer(candidateList={"candidates": "many"}),
        answer(candidateList={"candidates": [{"referenceId": "U", "analytics": {"confidence": "150"}}]}),
        answer(candidateList={"candidates": [{"analytics": {"confidence": "50"}}]}),
        answer(candidateList={"candidates": [{"referenceId": "U", "analytics": {}}] * 101}),
    ):
        with pytest.raises(mosip.AbisAnswerError):
            mosip.parse_answer(bad, action="identify", request_id="req-1", reference_id="RID-1")


@pytest.fixture
def queue(tmp_path: Path) -> AbisRequests:
    engine = create_engine(f"sqlite:///{tmp_path / 'q.db'}")
    metadata.create_all(engine)
    return AbisRequests(engine, AbisHttpClient("http://127.0.0.1:9"))


RECORD = BiometricRecord("finger", "Left Thumb", "ISO19794_4_2011", b"FIR\x00...")


def test_queueing_is_idempotent_and_bounded(queue: AbisRequests) -> None:
    queue.insert(request_id="r1", reference_id="UIN-1", records=[RECORD])
    queue.insert(request_id="r1", reference_id="UIN-1", records=[RECORD])  # the same again: fine
    info = queue.request("r1")
    assert info is not None and info.status == "pending" and info.attempts == 0 and queue.result("r1") is None
    assert info.created_at.tzinfo is not None
    with pytest.raises(AbisRequestError, match="already used"):
        queue.delete(request_id="r1", reference_id="UIN-1")
    for call in (
        lambda: queue.insert(request_id="r2", reference_id="UIN-2", records=[]),
        lambda: queue.insert(request_id="r2", reference_id="bad id!", records=[RECORD]),
        lambda: queue.insert(request_id="r2", reference_id="U", records=[RECORD] * 17),
        lambda: queue.insert(
            request_id="r2",
            reference_id="U",
            records=[BiometricRecord("finger", "", "", b"x" * (MAX_RECORD_BYTES + 1))],
        ),
        lambda: queue.insert(
            request_id="r2", reference_id="U", records=[BiometricRecord("voice", "", "", b"x")]
        ),
        lambda: queue.identify(request_id="r2", reference_id="U", records=[RECORD], max_results=0),
        lambda: queue.identify(request_id="r2", reference_id="U", records=[RECORD], gallery=["ok", "not ok"]),
    ):
        with pytest.raises(AbisRequestError):
            call()
    assert queue.request("r2") is None  # nothing stored by a refused request


def test_request_body_carries_the_biometrics_inline() -> None:
    body = mosip.request_body(
        action="insert",
        request_id="r",
        reference_id="UIN-1",
        payload=b"<BIR/>",
        gallery=None,
        max_results=None,
        at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    assert body["referenceURL"] == CBEFF_URL and body["requesttime"] == "2026-01-01T00:00:00.000Z"
    assert wire.parse_request(body).cbeff == b"<BIR/>"  # the two sides agree

"""The reference ABIS process answering MOSIP ABIS requests over HTTP: insert, identify, delete, ping."""

from __future__ import annotations

import datetime as dt
import http.client
import time

import pytest
import requests

from sync_server.abis import mosip
from tests.integration.abis.conftest import AbisProcess
from tests.integration.abis.people import records_of

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def call(
    abis: AbisProcess,
    action: str,
    request_id: str,
    reference_id: str = "",
    *,
    person: int | None = None,
    impression: int = 0,
    gallery: list[str] | None = None,
) -> dict:
    payload = mosip.cbeff_of(records_of(person, impression)) if person is not None else None
    body = mosip.request_body(
        action=action,
        request_id=request_id,
        reference_id=reference_id,
        payload=payload,
        gallery=gallery,
        max_results=10,
        at=NOW,
    )
    answer = requests.post(abis.url + "/abis", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_identify_finds_the_same_person_and_nobody_for_a_new_one(abis: AbisProcess) -> None:
    before = int(call(abis, "referenceCount", "count-0a")["count"])
    for person in (1, 2, 3):
        assert call(abis, "insert", f"ins-{person}", f"UIN-{person}", person=person)["returnValue"] == 1
    assert call(abis, "referenceCount", "count-1")["count"] == str(before + 3)

    started = time.perf_counter()
    found = call(abis, "identify", "idy-1", "RID-2b", person=2, impression=1)
    elapsed = time.perf_counter() - started
    candidates = found["candidateList"]["candidates"]
    assert candidates[0]["referenceId"] == "UIN-2"
    assert float(candidates[0]["analytics"]["confidence"]) >= 80
    assert {m["biometricType"] for m in candidates[0]["modalities"]} == {"FIR", "IIR", "FID"}
    assert [c["referenceId"] for c in candidates] == ["UIN-2"]  # nobody else above the threshold
    assert elapsed < 15

    nobody = call(abis, "identify", "idy-2", "RID-9", person=9)
    assert nobody["returnValue"] == 1 and nobody["candidateList"]["candidates"] == []

    # only against a gallery that leaves person 2 out: no candidate
    narrowed = call(abis, "identify", "idy-3", "RID-2c", person=2, impression=2, gallery=["UIN-1", "UIN-3"])
    assert narrowed["candidateList"]["candidates"] == []


def test_requests_are_idempotent_and_failures_say_why(abis: AbisProcess) -> None:
    count = int(call(abis, "referenceCount", "count-0")["count"])
    first = call(abis, "insert", "ins-a", "UIN-7", person=7)
    assert (
        call(abis, "insert", "ins-a", "UIN-7", person=7) == first
    )  # same request id: same answer, one entry
    again = call(abis, "insert", "ins-b", "UIN-7", person=7)
    assert again["returnValue"] == 2 and again["failureReason"] == 10  # referenceId already exists
    assert call(abis, "referenceCount", "count-a")["count"] == str(count + 1)

    missing = call(abis, "delete", "del-x", "UIN-404")
    assert missing["returnValue"] == 2 and missing["failureReason"] == 12
    assert call(abis, "delete", "del-a", "UIN-7")["returnValue"] == 1
    assert call(abis, "referenceCount", "count-b")["count"] == str(count)
    assert call(abis, "ping", "ping-1")["returnValue"] == 1


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"{not json", 400, 4),
        (b'{"id": "mosip.abis.fly", "requestId": "x", "requesttime": "2026-01-01T00:00:00Z"}', 200, 14),
        (
            b'{"id": "mosip.abis.insert", "requestId": "x", "requesttime": "2026-01-01T00:00:00Z",'
            b' "referenceId": "R1", "referenceURL": "https://example.invalid/bio"}',
            200,
            7,
        ),
        (
            b'{"id": "mosip.abis.insert", "requestId": "y", "requesttime": "2026-01-01T00:00:00Z",'
            b' "referenceId": "R1", "referenceURL": "data:application/xml;base64,PEJJUi8+"}',
            200,
            7,
        ),
    ],
)
def test_malformed_requests_get_a_clear_failure(
    abis: AbisProcess, body: bytes, status: int, reason: int
) -> None:
    answer = requests.post(
        abis.url + "/abis", data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert answer.status_code == status
    assert answer.json()["returnValue"] == 2 and answer.json()["failureReason"] == reason
    assert answer.json()["failureMessage"]


def test_an_oversize_body_is_refused_unread(abis: AbisProcess) -> None:
    host, port = abis.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/abis")
    connection.putheader("Content-Length", str(10**9))  # announced, never sent
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()

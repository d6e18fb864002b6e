"""POST /api/v1/resident/status against a real server process: each state in plain words and the
resident's language, nothing else revealed (no UIN, no operator reason), the same 404 for an unknown
RID, a wrong date and a registration not validated yet, 422 for malformed input, and 429 with
Retry-After per client address and per RID."""

from __future__ import annotations

import pytest

from tests.integration.sync_server.resident.world import BIRTH_DATE, UIN, ask, fresh_address, new_rid

# (queue row, expected state, expected reason code, words the English message must hold)
STATES = [
    ({"status": "queued", "stage": None}, "received", None, "waiting to be processed"),
    ({"status": "queued", "stage": "dedupe"}, "processing", None, "being processed"),
    ({"status": "running"}, "processing", None, "being processed"),
    (
        {"status": "retry", "reason_code": "stage_failed", "reason_text": "ABIS down"},
        "processing",
        None,
        "being processed",
    ),
    (
        {"status": "failed", "reason_code": "stage_failed", "reason_text": "gave up"},
        "processing",
        None,
        "being processed",
    ),
    (
        {"status": "held", "reason_code": "adjudication", "reason_text": "near UIN 4825139076"},
        "processing",
        None,
        "being processed",
    ),
    (
        {"status": "held", "reason_code": "more_information", "reason_text": "Bring your birth certificate."},
        "more_information",
        "more_information",
        "Bring your birth certificate.",
    ),
    ({"status": "processed", "uin": UIN}, "uin_issued", None, "has been issued"),
    ({"status": "processed", "uin": UIN, "flow": "update"}, "uin_issued", None, "update has been made"),
    ({"status": "processed", "uin": UIN, "flow": "lost"}, "uin_issued", None, "We found your UIN"),
    (
        {"status": "rejected", "reason_code": "duplicate", "reason_text": f"duplicate of UIN {UIN}"},
        "rejected",
        "duplicate",
        "already registered",
    ),
    (
        {"status": "rejected", "reason_code": "missing_document", "reason_text": "no proof of address"},
        "rejected",
        "missing_document",
        "document was missing",
    ),
    (
        {"status": "rejected", "reason_code": "inactive_operator", "reason_text": "operator op7 disabled"},
        "rejected",
        "inactive_operator",
        "technical problem",
    ),
    (
        {"status": "rejected", "reason_code": "not_found", "reason_text": "no candidate", "flow": "lost"},
        "rejected",
        "not_found",
        "could not find an identity",
    ),
    (
        {"status": "rejected", "reason_code": "hook_said_no", "reason_text": "CRM 0042 refused"},
        "rejected",
        "other",
        "ask at a registration center",
    ),
]


@pytest.mark.parametrize(("row", "state", "reason_code", "words"), STATES)
def test_each_state_in_plain_words_and_nothing_else(
    resident_server, registrations, row, state, reason_code, words
):
    rid = registrations.add(**row)
    response = ask(resident_server.url, {"rid": rid, "date_of_birth": BIRTH_DATE})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == state and body.get("reason_code") == reason_code, body
    assert words in body["message"], body
    assert body["language"] == "eng"
    assert set(body) <= {"state", "reason_code", "message", "request", "language"}
    assert UIN not in response.text and "10001" not in response.text and "operator1" not in response.text
    if state != "more_information":  # the operator's reason text is for staff, never the resident
        assert (row.get("reason_text") or "\x00") not in response.text
    else:
        assert body["request"] == "Bring your birth certificate."
    assert response.headers["Cache-Control"] == "no-store"


# Headers every answer has its own value of, which say nothing about the registration asked for.
PER_ANSWER = {"date", "x-request-id"}


def test_unknown_rid_wrong_date_and_not_yet_validated_get_one_same_answer(resident_server, registrations):
    known = registrations.add(status="processed", uin=UIN)
    unchecked = registrations.add(status="running", birth_date=None)  # validate has not run yet
    answers = [
        ask(resident_server.url, {"rid": known, "date_of_birth": "1990-04-26"}),
        ask(resident_server.url, {"rid": new_rid(), "date_of_birth": BIRTH_DATE}),
        ask(resident_server.url, {"rid": unchecked, "date_of_birth": BIRTH_DATE}),
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({r.content for r in answers}) == 1, [r.text for r in answers]
    assert answers[0].json() == {
        "code": "not_found",
        "detail": "We found no registration with this RID and date of birth. Check both against your "
        "receipt and try again. A new registration can take a day or two to appear here.",
        "errors": [],
    }
    assert (
        len(
            {
                tuple(sorted((k, v) for k, v in r.headers.items() if k.lower() not in PER_ANSWER))
                for r in answers
            }
        )
        == 1
    )


@pytest.mark.parametrize(
    "typed",
    ["25/04/1990", "1990/04/25", "1990-04-25T00:00:00", "١٩٩٠-٠٤-٢٥"],
    ids=["dmy", "ymd-slash", "datetime", "arabic-digits"],
)
def test_dates_of_birth_in_the_accepted_formats(resident_server, registrations, typed):
    rid = registrations.add(status="processed", uin=UIN)
    response = ask(resident_server.url, {"rid": rid, "date_of_birth": typed})
    assert response.status_code == 200 and response.json()["state"] == "uin_issued", response.text


@pytest.mark.parametrize(
    "body",
    [
        {"rid": "1" * 28, "date_of_birth": BIRTH_DATE},
        {"rid": "1" * 30, "date_of_birth": BIRTH_DATE},
        {"rid": "1000110001000012024050x000000", "date_of_birth": BIRTH_DATE},
        {"rid": "10001100010000120241399000000", "date_of_birth": BIRTH_DATE},  # month 13
        {"rid": "10001100010000020240501000000", "date_of_birth": BIRTH_DATE},  # sequence 0
        {"rid": 10001100010000120240501000000, "date_of_birth": BIRTH_DATE},
        {"date_of_birth": BIRTH_DATE},
        {"rid": "10001100010000120240501000000"},
        {"rid": "10001100010000120240501000000", "date_of_birth": "25 April 1990"},
        {"rid": "10001100010000120240501000000", "date_of_birth": "1990-02-30"},
        {"rid": "10001100010000120240501000000", "date_of_birth": "1" * 5000},
        {"rid": "10001100010000120240501000000", "date_of_birth": BIRTH_DATE, "language": "deu"},
        {"rid": "10001100010000120240501000000", "date_of_birth": BIRTH_DATE, "uin": UIN},
        ["10001100010000120240501000000", BIRTH_DATE],
    ],
)
def test_malformed_input_is_refused_with_422(resident_server, body):
    response = ask(resident_server.url, body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


def test_a_body_that_is_not_json_is_refused(resident_server):
    import requests

    response = requests.post(
        f"{resident_server.url}/api/v1/resident/status",
        data=b"rid=1",
        headers={"Content-Type": "application/json", "X-Forwarded-For": fresh_address()},
        timeout=30,
    )
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"


def test_the_answer_speaks_the_chosen_then_the_recorded_then_the_browser_language(
    resident_server, registrations
):
    url = resident_server.url
    arabic = registrations.add(status="processed", uin=UIN, language="ara")
    plain = registrations.add(status="rejected", reason_code="missing_document", reason_text="x")
    recorded = ask(
        url, {"rid": arabic, "date_of_birth": BIRTH_DATE}, headers={"Accept-Language": "fr"}
    ).json()
    assert recorded["language"] == "ara" and "صدر رقم هويتك الموحّد" in recorded["message"]
    chosen = ask(url, {"rid": arabic, "date_of_birth": BIRTH_DATE, "language": "fra"}).json()
    assert chosen["language"] == "fra" and "a été attribué" in chosen["message"]
    browser = ask(
        url, {"rid": plain, "date_of_birth": BIRTH_DATE}, headers={"Accept-Language": "ar-MA,ar;q=0.9"}
    ).json()
    assert browser["language"] == "ara" and "السبب:" in browser["message"]
    missing = ask(url, {"rid": new_rid(), "date_of_birth": BIRTH_DATE}, headers={"Accept-Language": "fr-FR"})
    assert missing.status_code == 404 and missing.json()["detail"].startswith("Aucun enregistrement")


def test_one_address_is_limited_to_a_few_checks_a_minute(resident_server, registrations):
    url, address = resident_server.url, fresh_address()
    rid = registrations.add(status="processed", uin=UIN)
    statuses = [
        ask(url, {"rid": new_rid(), "date_of_birth": BIRTH_DATE}, address=address).status_code
        for _ in range(10)
    ]
    assert statuses == [404] * 10
    # the right date now is refused too, and so is a malformed body: the address spent its tokens
    limited = ask(
        url, {"rid": rid, "date_of_birth": BIRTH_DATE}, address=address, headers={"Accept-Language": "ar"}
    )
    assert limited.status_code == 429, limited.text
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json()["code"] == "rate_limited" and "مدة الانتظار بالدقائق" in limited.json()["detail"]
    assert ask(url, {"rid": "x"}, address=address).status_code == 429
    # another address is not affected
    assert ask(url, {"rid": rid, "date_of_birth": BIRTH_DATE}).status_code == 200


@pytest.mark.parametrize("known", [True, False], ids=["known-rid", "unknown-rid"])
def test_one_rid_is_limited_from_any_address_whether_it_exists_or_not(resident_server, registrations, known):
    url = resident_server.url
    rid = registrations.add(status="processed", uin=UIN) if known else new_rid()
    guesses = [f"1990-01-{day:02d}" for day in range(1, 21)]
    statuses = [ask(url, {"rid": rid, "date_of_birth": guess}).status_code for guess in guesses]
    assert statuses == [404] * 20
    limited = ask(url, {"rid": rid, "date_of_birth": BIRTH_DATE})
    assert limited.status_code == 429, limited.text
    assert 60 <= int(limited.headers["Retry-After"]) <= 300  # about one RID token's refill (3 min)
    assert ask(url, {"rid": new_rid(), "date_of_birth": BIRTH_DATE}).status_code == 404

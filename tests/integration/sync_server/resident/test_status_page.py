"""The public status page over real HTTP (no browser): the form and its CSRF cookie, answers in the
resident's language, one same page for an unknown RID and a wrong date, friendly 422 / 403 / 429
pages, the console's strict security headers, and no sign-in anywhere."""

from __future__ import annotations

import re

import requests

from tests.integration.sync_server.resident.world import BIRTH_DATE, PAGE, UIN, fresh_address, new_rid

_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


class Visitor:
    """A browser-like session from one client address: GETs the form, posts it with its token."""

    def __init__(self, url: str, *, address: str | None = None, language: str | None = None) -> None:
        self.url, self.http = url, requests.Session()
        self.http.headers["X-Forwarded-For"] = address or fresh_address()
        if language:
            self.http.headers["Accept-Language"] = language

    def form(self, query: str = "") -> requests.Response:
        return self.http.get(f"{self.url}{PAGE}{query}", timeout=30)

    def check(self, rid: str, date_of_birth: str, *, query: str = "") -> requests.Response:
        token = _TOKEN.search(self.form(query).text).group(1)
        data = {"csrf": token, "rid": rid, "date_of_birth": date_of_birth}
        return self.http.post(f"{self.url}{PAGE}", data=data, timeout=30)


def _without_token(html: str) -> str:
    return _TOKEN.sub("", html)


def test_the_form_is_public_and_strict(resident_server):
    page = Visitor(resident_server.url).form()
    assert page.status_code == 200
    assert '<form method="post" action="/resident/status"' in page.text
    assert 'type="date"' in page.text and 'name="rid"' in page.text
    assert "sign-in" not in page.text and "/console/" not in page.text.replace("/console/static/", "")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Frame-Options"] == "DENY"
    cookie = next(c for c in page.cookies if c.name == "openreg_resident_form")
    assert cookie.path == PAGE and cookie.has_nonstandard_attr("HttpOnly")


def test_an_answer_in_plain_words_and_never_the_uin(resident_server, registrations):
    rid = registrations.add(status="processed", uin=UIN)
    answer = Visitor(resident_server.url).check(
        " ".join(rid[i : i + 5] for i in range(0, 29, 5)), "25/04/1990"
    )
    assert answer.status_code == 200, answer.text
    assert 'data-state="uin_issued"' in answer.text and "has been issued" in answer.text
    assert UIN not in answer.text and "operator1" not in answer.text


def test_more_information_shows_the_request(resident_server, registrations):
    rid = registrations.add(
        status="held", reason_code="more_information", reason_text="Bring a proof of address <b>please</b>."
    )
    answer = Visitor(resident_server.url).check(rid, BIRTH_DATE)
    assert 'data-state="more_information"' in answer.text
    assert "Bring a proof of address &lt;b&gt;please&lt;/b&gt;." in answer.text


def test_the_page_speaks_the_residents_language_unless_one_is_chosen(resident_server, registrations):
    rid = registrations.add(
        status="rejected", reason_code="duplicate", reason_text=f"dup of {UIN}", language="ara"
    )
    recorded = Visitor(resident_server.url, language="en-GB").check(rid, BIRTH_DATE)
    assert '<html lang="ar" dir="rtl">' in recorded.text and "أنت مسجّل من قبل" in recorded.text
    chosen = Visitor(resident_server.url).check(rid, BIRTH_DATE, query="?lang=fra")  # the cookie remembers
    assert '<html lang="fr" dir="ltr">' in chosen.text and "Vous êtes déjà enregistré" in chosen.text
    assert UIN not in recorded.text + chosen.text


def test_unknown_rid_and_wrong_date_show_the_same_page(resident_server, registrations):
    known = registrations.add(status="processed", uin=UIN)
    stranger = new_rid()
    wrong_date = Visitor(resident_server.url).check(known, "1990-04-24")
    unknown = Visitor(resident_server.url).check(stranger, BIRTH_DATE)
    assert wrong_date.status_code == unknown.status_code == 404
    # the same page but for the RID typed, which it shows back for correcting
    assert _without_token(wrong_date.text).replace(known, "RID") == _without_token(unknown.text).replace(
        stranger, "RID"
    )
    assert "No registration found" in unknown.text


def test_bad_input_and_an_old_form_get_a_friendly_page(resident_server):
    visitor = Visitor(resident_server.url)
    bad_rid = visitor.check("12345", BIRTH_DATE)
    assert bad_rid.status_code == 422 and "has 29 digits" in bad_rid.text and 'value="12345"' in bad_rid.text
    bad_date = visitor.check(new_rid(), "April 25")
    assert bad_date.status_code == 422 and "year-month-day" in bad_date.text
    forged = requests.post(
        f"{resident_server.url}{PAGE}",
        data={"csrf": "x" * 43, "rid": new_rid(), "date_of_birth": BIRTH_DATE},
        headers={"X-Forwarded-For": fresh_address()},
        timeout=30,
    )
    assert forged.status_code == 403 and "open too long" in forged.text


def test_too_many_checks_get_a_friendly_429_page(resident_server):
    visitor = Visitor(resident_server.url, language="fr")
    statuses = [visitor.check(new_rid(), BIRTH_DATE).status_code for _ in range(10)]
    assert statuses == [404] * 10
    limited = visitor.check(new_rid(), BIRTH_DATE)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "Veuillez patienter un peu" in limited.text and "dans environ 1 min" in limited.text


def test_a_process_without_a_backend_says_the_check_is_unavailable(console_client):
    page = console_client.get(PAGE)
    token = _TOKEN.search(page.text).group(1)
    data = {"csrf": token, "rid": new_rid(), "date_of_birth": BIRTH_DATE}
    answer = console_client.post(PAGE, data=data)
    assert answer.status_code == 503 and "cannot be checked right now" in answer.text
    api = console_client.post("/api/v1/resident/status", json={"rid": new_rid(), "date_of_birth": BIRTH_DATE})
    assert api.status_code == 503 and api.json()["code"] == "backend_unavailable"

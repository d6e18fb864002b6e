"""Contacts and message values are checked before anything reaches the outbox."""

from __future__ import annotations

import pytest

from sync_server.notifications.events import Contact, ContactInvalid, Event, ValuesInvalid, check_values


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("amina.diallo@example.org", "amina.diallo@example.org"),
        ("  a+tag@Mail.Example.ORG ", "a+tag@mail.example.org"),
        ("jean@bücher.example", "jean@xn--bcher-kva.example"),
    ],
)
def test_good_emails_are_normalised(given, kept):
    assert Contact(email=given).email == kept


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "no-at-sign.example.org",
        "two@@example.org",
        "a@b@example.org",
        "Amina <amina@example.org>",
        "amina@localhost",
        "amina@example..org",
        "amina@-example.org",
        ".amina@example.org",
        "ami..na@example.org",
        "amina diallo@example.org",
        "amina@example.org\r\nBcc: victim@example.org",
        "amina@10.0.0.1",
        "é@example.org",
        "a" * 65 + "@example.org",
        "a@" + "b" * 250 + ".org",
    ],
)
def test_bad_emails_are_refused_without_echoing_them(bad):
    with pytest.raises(ContactInvalid) as refused:
        Contact(email=bad)
    assert refused.value.field == "email"
    assert not bad.strip() or bad.strip() not in str(refused.value)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("+222 36 12 34 56", "+22236123456"),
        ("00222-36-12-34-56", "+22236123456"),
        ("+1 (555) 010-9999", "+15550109999"),
    ],
)
def test_phones_become_e164(given, kept):
    assert Contact(phone=given).phone == kept


@pytest.mark.parametrize(
    "bad", ["36123456", "+0123456789", "+12345", "+1234567890123456", "+222 36 12 34 5x", "+" + "1" * 40]
)
def test_bad_phones_are_refused(bad):
    with pytest.raises(ContactInvalid) as refused:
        Contact(phone=bad)
    assert refused.value.field == "phone"


def test_keep_valid_drops_bad_parts_and_says_why():
    contact, problems = Contact.keep_valid(email="not an address", phone="+22236123456")
    assert contact == Contact(phone="+22236123456") and len(problems) == 1
    assert problems[0].startswith("email:") and "not an address" not in problems[0]
    assert Contact.keep_valid(email="  ", phone=None) == (Contact(), [])
    assert Contact.keep_valid(email=42)[1] == ["email: must be text"]  # type: ignore[arg-type]
    assert Contact().addresses() == {}


def test_values_are_bounded_plain_text():
    assert check_values("R1", {"uin": "123", "name": None}) == {"rid": "R1", "uin": "123"}
    assert (
        check_values("R1", {"reason": {"eng": "Blurred", "ara": "غير واضح"}})["reason"]["ara"] == "غير واضح"
    )
    for bad in (
        {"uin": "x" * 501},
        {"name": "Amina\x00"},
        {"Name": "Amina"},
        {"uin": 123},
        {"reason": {}},
        {"reason": {"english": "x"}},
        {f"k{n}": "v" for n in range(21)},
    ):
        with pytest.raises(ValueError):
            check_values("R1", bad)
    with pytest.raises(ValuesInvalid):
        check_values("../R1", {})


def test_the_events():
    assert [str(e) for e in Event] == [
        "registration_received",
        "uin_issued",
        "update_applied",
        "more_information_needed",
        "lost_uin_found",
        "rejected",
    ]

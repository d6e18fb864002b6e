"""Which languages a receipt is printed in, and that every language has every word."""

from types import SimpleNamespace

from client.core.registration.receipt_words import RECEIPT_WORDS, receipt_languages


def spec(default, second=None):
    return SimpleNamespace(default_language=default, second_language=second)


def test_the_form_languages_in_order():
    assert receipt_languages(spec("ara", "fra")) == ("ara", "fra")
    assert receipt_languages(spec("eng", "ara"), kiosk_language="fra") == ("eng", "ara")


def test_one_known_language_is_joined_by_the_kiosk_language_and_english():
    assert receipt_languages(spec("fra")) == ("fra", "eng")
    assert receipt_languages(spec("fra"), kiosk_language="ara") == ("fra", "ara", "eng")
    assert receipt_languages(None) == ("eng",)


def test_languages_without_receipt_words_are_left_out():
    assert receipt_languages(spec("tam", "ara")) == ("ara", "eng")
    assert receipt_languages(spec("tam", "hin")) == ("eng",)


def test_every_language_has_every_word():
    keys = set(RECEIPT_WORDS["eng"])
    assert all(set(words) == keys and all(words.values()) for words in RECEIPT_WORDS.values())

"""The one mapping from service refusals (domain errors) to HTTP answers."""

from __future__ import annotations

import json

import pytest

from shared.sync import ErrorCode
from sync_server.api.errors import HTTP_STATUS, domain_error_response, http_status
from sync_server.services import errors as domain

KINDS = [
    cls for cls in vars(domain).values() if isinstance(cls, type) and issubclass(cls, domain.DomainError)
]


@pytest.mark.parametrize("kind", KINDS, ids=lambda cls: cls.__name__)
def test_every_kind_of_refusal_has_a_status(kind):
    assert 400 <= http_status(kind(ErrorCode.validation_error, "x")) < 600


def test_statuses_by_meaning():
    assert HTTP_STATUS[domain.BadInput] == 422 and HTTP_STATUS[domain.TooLarge] == 413
    assert http_status(domain.TokenRefused(ErrorCode.token_expired, "x")) == 401  # from NotAuthenticated
    assert HTTP_STATUS[domain.RateLimited] == 429 and HTTP_STATUS[domain.Busy] == 503


def test_body_and_headers_carry_what_the_error_says():
    answer = domain_error_response(
        domain.Conflict(ErrorCode.offset_mismatch, "wrong offset", current_offset=1000)
    )
    assert answer.status_code == 409 and answer.headers["Upload-Offset"] == "1000"
    assert json.loads(answer.body) == {
        "code": "offset_mismatch",
        "detail": "wrong offset",
        "errors": [],
        "current_offset": 1000,
    }
    locked = domain_error_response(domain.Forbidden(ErrorCode.account_locked, "locked", retry_after=61.2))
    assert locked.status_code == 403 and locked.headers["Retry-After"] == "62"
    assert "WWW-Authenticate" not in locked.headers
    token = domain_error_response(domain.TokenRefused(ErrorCode.token_invalid, "unknown token"))
    assert token.headers["WWW-Authenticate"] == "Bearer" and "Retry-After" not in token.headers
    assert "current_offset" not in json.loads(token.body)

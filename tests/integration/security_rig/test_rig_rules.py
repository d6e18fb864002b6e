"""The rig's own rules, without a server: which targets it accepts, plain http off loopback, the access
table, plausible parameter values and the redaction of secrets in reports."""

from __future__ import annotations

import re

import pytest

from security_rig.access import must_refuse, public_reason
from security_rig.openapi import plausible
from security_rig.report import Outcome, redact
from security_rig.target import Target, TargetRefused
from security_rig.tls_checks import plain_http_finding


def test_only_loopback_targets_unless_owned():
    assert Target("http://127.0.0.1:8765").loopback
    assert Target("http://[::1]:8765/").base == "http://[::1]:8765"
    assert Target("http://localhost:8765").loopback
    with pytest.raises(TargetRefused, match="not a loopback address"):
        Target("http://192.0.2.10:8765")  # TEST-NET-1: refused before any connection
    for bad in ("ftp://127.0.0.1", "http://u:p@127.0.0.1:1", "http://127.0.0.1:1/?x=1", "127.0.0.1:8765"):
        with pytest.raises(TargetRefused):
            Target(bad)


def test_plain_http_is_a_finding_off_loopback_only():
    assert plain_http_finding(Target("http://192.0.2.10:8765", allow_remote=True))
    assert plain_http_finding(Target("https://192.0.2.10:8765", allow_remote=True)) is None
    assert plain_http_finding(Target("http://127.0.0.1:8765")) is None


def test_the_access_table():
    operator, auditor, machine = frozenset({"operator"}), frozenset({"auditor"}), frozenset({"machine"})
    assert must_refuse(operator, "GET", "/api/v1/admin/machines")
    assert must_refuse(auditor, "GET", "/api/v1/admin/users")
    assert not must_refuse(auditor, "GET", "/api/v1/admin/packets/search")
    assert must_refuse(auditor, "POST", "/api/v1/admin/packets/{rid}/reprocess")  # read only
    assert must_refuse(frozenset({"admin"}), "POST", "/api/v1/packets")  # machine-only sync routes
    assert not must_refuse(machine, "GET", "/api/v1/masterdata/changes")
    assert must_refuse(machine, "GET", "/api/v1/admin/new-area")  # unknown admin area: kiosk roles out
    assert not must_refuse(auditor, "GET", "/api/v1/admin/new-area")  # not judged for console roles
    assert public_reason("POST", "/api/v1/auth/login") and not public_reason("GET", "/api/v1/admin/users")


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^[0-9]{29}$"},
        {"type": "string", "pattern": "^[0-9]{5}$"},
        {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9_-]{16,64}$"},
        {"type": "string", "pattern": "^[a-z0-9]{1,16}(\\.sha256)?$"},
        {"type": "string", "minLength": 3, "maxLength": 500, "pattern": "^[^\\x00-\\x1f\\x7f]+$"},
        {"anyOf": [{"type": "string"}, {"type": "null"}], "enum": ["1.0.0"]},
    ],
)
def test_plausible_values_match_their_schema(schema):
    value = plausible(schema)
    plain = next((o for o in schema.get("anyOf", []) if o.get("type") != "null"), schema)
    assert re.search(plain.get("pattern", ""), value), value
    assert schema.get("minLength", 1) <= len(value) <= schema.get("maxLength", 10_000)


def test_integers_name_nothing_that_exists():
    assert plausible({"type": "integer", "minimum": 1, "maximum": 2147483647}) == "2000000001"
    assert int(plausible({"type": "integer", "minimum": 0, "maximum": 10})) == 10


def test_secrets_are_redacted_from_evidence():
    out = Outcome("x", "x")
    out.find("high", "t", "s", '200 {"token":"s3cr3t","password":"pw"} Authorization: Bearer abc.def')
    evidence = out.findings[0].evidence
    assert "s3cr3t" not in evidence and '"pw"' not in evidence and "abc.def" not in evidence
    assert redact("no secret here") == "no secret here"

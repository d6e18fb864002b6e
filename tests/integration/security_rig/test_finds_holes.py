"""The rig finds each hole it checks when that hole is re-opened: the real app, built in process with
controls removed or loosened, served by uvicorn on loopback.

Holes that cannot mask each other share one server and one rig run (``holed``); the three that replace
the same authentication dependency, and the TLS ones, get a server each."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials

from sync_server.api import deps, import_body
from sync_server.services import auth, console_sessions, masterdata
from sync_server.services import packets as packet_service
from sync_server.services.auth import Principal
from tests.integration.security_rig.conftest import named, run_rig
from tests.integration.security_rig.holes import body_limit, served, without_security_headers

ADMIN = Principal(kind="user", subject="admin", roles=["admin"], center_id=None)


def test_an_operation_without_its_auth_dependency_is_found(template, tmp_path):
    def anonymous_allowed(app, state):
        app.dependency_overrides[deps.get_principal] = lambda: ADMIN

    with served(template, tmp_path, open_hole=anonymous_allowed) as url:
        report = run_rig(url, "access.anonymous", users=())
    found = named(
        report, "access.anonymous", target="GET /api/v1/admin/machines", summary="without credentials"
    )
    assert found and found[0].severity == "high", report.to_text()
    assert report.exit_code() == 1


def test_a_role_check_that_lets_a_low_role_through_is_found(template, tmp_path):
    def widened(app, state):
        def principal(
            session: deps.UnitOfWorkDep,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(deps._bearer)],
        ) -> Principal:
            real = deps.get_principal(session, credentials)
            return dataclasses.replace(real, roles=[*real.roles, "admin"])

        app.dependency_overrides[deps.get_principal] = principal

    with served(template, tmp_path, open_hole=widened) as url:
        report = run_rig(url, "access.roles", users=("operator1",))
    assert named(report, "access.roles", target="GET /api/v1/admin/users as operator1"), report.to_text()
    assert not named(report, "access.anonymous")


def test_a_server_that_takes_any_bearer_token_is_found(template, tmp_path):
    def any_token(app, state):
        def principal(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(deps._bearer)],
        ) -> Principal:
            if credentials is None:
                return deps.get_principal(None, None)  # 401 as before
            return ADMIN

        app.dependency_overrides[deps.get_principal] = principal

    with served(template, tmp_path, open_hole=any_token) as url:
        report = run_rig(url, "tokens.bearer")
    assert named(report, "tokens.bearer", summary="garbage bearer is not refused"), report.to_text()
    assert named(report, "tokens.bearer", summary="last character changed")


def _file_route(app, state) -> None:
    """A download route that joins its path parameter to a folder unchecked."""
    folder = Path(state.settings.data_dir) / "exports"

    @app.get("/api/v1/exports/{name:path}")
    def export(name: str) -> FileResponse:
        return FileResponse(folder / name)


def _loosen(app, state) -> None:
    without_security_headers(app)
    body_limit(
        app,
        max_body_bytes=256 * 1024 * 1024,
        max_json_bytes=256 * 1024 * 1024,
        max_header_count=100_000,
        max_header_bytes=64 * 1024 * 1024,
    )
    _file_route(app, state)


def _keep_challenge(session, *, machine_id, challenge):
    from sync_server.db.tables import ChallengeRow

    if session.get(ChallengeRow, challenge) is None:
        raise auth.NotAuthenticated(auth.ErrorCode.challenge_invalid, "unknown challenge")
    return False  # never deleted: replayable


_import_documents = masterdata.import_documents


def _import_parsing_whole_bodies(session, documents, **kwargs):
    """The import as it was before it streamed: every body parsed whole first, at any depth."""
    for _name, content in documents:
        json.loads(content)
    return _import_documents(session, documents, **kwargs)


@pytest.fixture(scope="module")
def holed(template, tmp_path_factory):
    """One rig run against a server with every hole below opened at once."""
    loose = {"login_max_failures": 1000, "login_rate_per_minute": 100_000, "enrol_rate_per_minute": 100_000}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_consume_challenge", _keep_challenge)  # challenges work twice
        patch.setattr(console_sessions, "close", lambda session, *, session_id: None)  # sign-out ends nothing
        patch.setattr(auth, "machine_refusal", lambda row, machine_id: None)  # revoked machines go on
        patch.setattr(packet_service, "check_rid_owner", lambda rid, machine: None)  # any RID
        patch.setattr(import_body, "json_too_deep", lambda body, limit: False)  # import parses any depth
        patch.setattr(masterdata, "import_documents", _import_parsing_whole_bodies)
        folder = tmp_path_factory.mktemp("holed")
        with served(
            template,
            folder,
            open_hole=_loosen,
            settings=loose,
            bounded=False,  # plain h11: no slow-client timeouts
            h11_max_incomplete_event_size=64 * 1024 * 1024,
        ) as url:
            yield run_rig(
                url,
                "headers",
                "bodies",
                "slow-clients",
                "traversal",
                "brute-force",
                "flood",
                "tokens.challenge",
                "tokens.console-logout",
                "tokens.revoked-machine",
                "packets",
                slow_bound_s=3,
                brute_force_attempts=8,
                enrol_flood_limit=15,
            )


def test_a_challenge_that_works_twice_is_found(holed):
    assert named(holed, "tokens.challenge", summary="a challenge works more than once"), holed.to_text()


def test_a_console_session_that_survives_sign_out_is_found(holed):
    assert named(holed, "tokens.console-logout", summary="still works after sign-out"), holed.to_text()


def test_a_revoked_machine_whose_token_still_works_is_found(holed):
    assert named(holed, "tokens.revoked-machine", summary="revoked machine's token still works"), (
        holed.to_text()
    )


def test_rids_of_another_center_or_machine_are_found(holed):
    assert named(holed, "packets", summary="a RID of another center"), holed.to_text()
    assert named(holed, "packets", summary="a RID of another machine")


def test_missing_security_headers_are_found(holed):
    found = named(holed, "headers.security", target="GET /health")
    assert found and "X-Content-Type-Options" in found[0].summary, holed.to_text()


def test_a_raised_body_limit_is_found(holed):
    assert named(holed, "bodies.oversized", summary="no body limit"), holed.to_text()
    assert named(holed, "bodies.chunked", summary="no body limit")


def test_a_route_that_parses_deep_json_unchecked_is_found(holed):
    """FastAPI answers 400 to JSON it cannot parse, so the middleware's depth check alone is not what
    keeps 5xx away; the import route parses its body itself, after authentication."""
    found = named(holed, "bodies.deep-json", target="POST /api/v1/admin/masterdata/import as admin")
    assert found and "server error" in found[0].summary, holed.to_text()


def test_unbounded_headers_are_found(holed):
    assert named(holed, "headers.flood", summary="500 headers accepted"), holed.to_text()


def test_a_server_without_slow_client_timeouts_is_found(holed):
    assert named(holed, "slow-clients", summary="request head dribbled"), holed.to_text()


def test_a_route_that_serves_files_from_a_path_parameter_is_found(holed):
    found = named(holed, "traversal", target="GET /api/v1/exports/{name}", summary="returns file contents")
    assert found and found[0].severity == "high", holed.to_text()


def test_no_login_lockout_or_throttle_is_found(holed):
    assert named(holed, "brute-force.login", summary="without lockout or throttling"), holed.to_text()


def test_an_unthrottled_enrolment_is_found(holed):
    assert named(holed, "flood.enrol", summary="all accepted"), holed.to_text()


@pytest.mark.parametrize("hole", ["expired", "tls1"])
def test_tls_holes_are_found(template, tmp_path, hole, tls_files):
    if hole == "expired":
        config = {"ssl_certfile": str(tls_files["expired_cert"]), "ssl_keyfile": str(tls_files["key"])}
        wanted = "expired"
    else:
        context = tls_files["legacy_context"]()
        if context is None:
            pytest.skip("this machine's OpenSSL cannot serve TLS 1.0")
        config, wanted = {"ssl_context": context}, "TLS 1.0 is accepted"
    with served(template, tmp_path, **config) as url:
        report = run_rig(url, "tls", users=(), ca_file=str(tls_files["ca"]))
    assert [f for f in report.findings if f.check == "tls" and wanted in f.summary], report.to_text()


def test_a_valid_certificate_with_the_servers_tls_settings_passes(template, tmp_path, tls_files):
    """uvicorn's TLS set-up as the server process uses it (runner.serve): TLS 1.0 and 1.1 refused."""
    config = {"ssl_certfile": str(tls_files["cert"]), "ssl_keyfile": str(tls_files["key"])}
    with served(template, tmp_path, **config) as url:
        report = run_rig(url, "tls", "headers.security", users=(), ca_file=str(tls_files["ca"]))
    assert report.findings == [], report.to_text()
    notes = next(o for o in report.outcomes if o.check == "tls").notes
    assert any(n.startswith("negotiated TLSv1.3") for n in notes), notes
    assert {"TLS 1.0 refused", "TLS 1.1 refused"} <= set(notes) or any("cannot offer" in n for n in notes)

"""Bad input gets a clear 4xx with a typed code and changes nothing."""

from __future__ import annotations

import base64
import hashlib
import time

import requests

from shared.signing import generate_private_key, sign_b64
from tests.integration.sync_server.kiosk import API, Kiosk, admin_token, random_packet


def _code(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def test_auth_refusals(server):
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    challenge = kiosk.challenge()
    _code(
        kiosk.token_response(challenge, sign_b64(generate_private_key(), challenge.encode())),
        401,
        "signature_invalid",
    )
    _code(kiosk.token_response(challenge), 401, "challenge_invalid")  # consumed by the failed try: no replay
    fresh = kiosk.challenge()
    assert kiosk.token_response(fresh).status_code == 200
    _code(kiosk.token_response(fresh), 401, "challenge_invalid")  # replaying a used challenge
    issued = kiosk.challenge()
    tampered = issued[:-2] + ("AB" if issued.endswith("AA") else "AA")  # always differs from what was issued
    _code(
        kiosk.token_response(tampered, sign_b64(kiosk.key, tampered.encode())),
        401,
        "challenge_invalid",
    )
    for headers, code in (({}, "unauthenticated"), ({"Authorization": "Bearer nope"}, "token_invalid")):
        _code(
            requests.post(f"{server.url}{API}/packets/status", json={"rids": ["x"]}, headers=headers),
            401,
            code,
        )
    kiosk.login()
    _code(
        requests.get(f"{server.url}{API}/admin/machines", headers=kiosk.auth), 403, "forbidden"
    )  # wrong role
    operator = admin_token(server.url, "operator1", "operator1-demo")
    _code(
        requests.get(f"{server.url}{API}/admin/machines", headers={"Authorization": f"Bearer {operator}"}),
        403,
        "forbidden",
    )
    admin = {"Authorization": f"Bearer {admin_token(server.url)}"}
    _code(
        requests.post(f"{server.url}{API}/packets/status", json={"rids": ["x"]}, headers=admin),
        403,
        "forbidden",
    )
    _code(
        requests.post(f"{server.url}{API}/auth/login", json={"username": "admin", "password": "x"}),
        401,
        "bad_credentials",
    )
    unknown = requests.post(f"{server.url}{API}/auth/challenge", json={"machine_id": "99999"}).json()[
        "challenge"
    ]
    _code(
        requests.post(
            f"{server.url}{API}/auth/machine-token",
            json={"machine_id": "99999", "challenge": unknown, "signature": "eA=="},
        ),
        401,
        "machine_unknown",
    )


def test_expired_tokens_and_challenges(start_sync_server, tmp_path):
    server = start_sync_server(
        tmp_path / "server",
        env={"OPENREG_SERVER_MACHINE_TOKEN_TTL_S": "1", "OPENREG_SERVER_CHALLENGE_TTL_S": "1"},
    )
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    old_challenge = kiosk.challenge()
    kiosk.login()
    time.sleep(2.2)
    _code(kiosk.token_response(old_challenge), 401, "challenge_invalid")
    _code(
        requests.post(f"{server.url}{API}/packets/status", json={"rids": ["x"]}, headers=kiosk.auth),
        401,
        "token_expired",
    )


def test_malformed_and_oversized_requests(server):
    _code(
        requests.post(
            f"{server.url}{API}/machines/enrol",
            data=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
        400,
        "malformed_json",
    )
    _code(requests.post(f"{server.url}{API}/machines/enrol", json={"public_key": 1}), 422, "validation_error")
    _code(requests.get(f"{server.url}/no/such/route"), 404, "not_found")
    _code(requests.delete(f"{server.url}/health"), 405, "method_not_allowed")
    huge = b"[" + b"0," * (40 * 1024 * 1024) + b"0]"
    _code(
        requests.post(
            f"{server.url}{API}/machines/enrol", data=huge, headers={"Content-Type": "application/json"}
        ),
        413,
        "body_too_large",
    )


def test_upload_refusals_change_nothing(server):
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    data = random_packet(300_000)
    rid = kiosk.new_rid()
    assert kiosk.register(rid, data).status_code == 200
    other = Kiosk(server.url)
    other.enrol()
    other.login()
    _code(other.register(rid, data), 403, "rid_not_yours")
    _code(other.patch(rid, 0, data[:10]), 403, "rid_not_yours")
    foreign_center = Kiosk(server.url, center_id="10002")
    foreign_center.enrol()
    foreign_center.login()
    foreign_center.machine_id = kiosk.machine_id  # RID built with the right machine part but wrong center
    _code(foreign_center.register(kiosk.new_rid(), data), 403, "rid_not_yours")

    assert kiosk.patch(rid, 0, data[:1000]).status_code == 204
    wrong = kiosk.patch(rid, 5, data[5:100])
    _code(wrong, 409, "offset_mismatch")
    assert wrong.json()["current_offset"] == 1000 and wrong.headers["Upload-Offset"] == "1000"
    _code(kiosk.patch(rid, 1000, data[1000:] + b"extra"), 413, "size_exceeded")
    assert int(kiosk.offset(rid).headers["Upload-Offset"]) == 1000
    _code(kiosk.patch(rid, 1000, b"\0" * (9 * 1024 * 1024)), 413, "chunk_too_large")
    assert int(kiosk.offset(rid).headers["Upload-Offset"]) == 1000

    bad = bytearray(data)
    bad[-1] ^= 0xFF
    _code(kiosk.patch(rid, 1000, bytes(bad[1000:])), 409, "hash_mismatch")
    assert kiosk.status(rid)[rid]["status"] == "registered"
    assert int(kiosk.offset(rid).headers["Upload-Offset"]) == 0
    assert not (server.data_dir / "packets" / f"{rid}.age").exists()
    kiosk.upload(rid, data)
    stored = (server.data_dir / "packets" / f"{rid}.age").read_bytes()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(data).hexdigest()
    assert kiosk.offset("1" * 29).status_code == 403  # HEAD: status only, no body
    _code(kiosk.patch("1" * 29, 0, b"x"), 403, "rid_not_yours")
    _code(kiosk.register(kiosk.new_rid(), data[:10], sha256="z"), 422, "validation_error")


def test_small_order_machine_key_refused_at_enrol(server):
    """The all-zero key was enrolled once; a constant forged signature then won a token."""
    for raw in (bytes(32), b"\x01" + bytes(31)):
        _code(
            requests.post(
                f"{server.url}{API}/machines/enrol",
                json={"public_key": base64.b64encode(raw).decode(), "center_id": "10001", "name": "weak"},
            ),
            422,
            "validation_error",
        )
    token = admin_token(server.url)
    listed = requests.get(f"{server.url}{API}/admin/machines", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.text
    assert all(m["name"] != "weak" for m in listed.json()), listed.text

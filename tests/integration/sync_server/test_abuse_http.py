"""Every request is bounded before a route runs: streamed (chunked) bodies, JSON depth, header count and
size, and slow clients, against the real server process over raw sockets."""

from __future__ import annotations

import select
import socket
import time

import requests

from tests.integration.sync_server.abuse_support import connect, head, memory_kib, read_response, status_of
from tests.integration.sync_server.kiosk import API, admin_token

MiB = 1024 * 1024
JSON = {"Content-Type": "application/json"}


def _flood_chunked(url: str, path: str, *, total: int, token: str | None = None) -> tuple[bytes, int, int]:
    """Send up to ``total`` bytes as a chunked body, watching for an early answer; after it, keep
    sending until the server closes the connection. Return the answer, the bytes sent before it, and
    the bytes the server still took after it."""
    sock = connect(url, timeout=30)
    auth = (f"Authorization: Bearer {token}",) if token else ()
    sock.sendall(head("POST", path, "Content-Type: application/json", "Transfer-Encoding: chunked", *auth))
    piece = b" " * MiB
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
    sent, answer, after = 0, b"", 0
    try:
        while sent < total and not answer:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                answer = read_response(sock)
            elif writable:
                sock.sendall(chunk)
                sent += len(piece)
        while after < total:
            sock.sendall(chunk)
            after += len(piece)
    except (BrokenPipeError, ConnectionResetError, TimeoutError):
        answer = answer or read_response(sock)
    finally:
        sock.close()
    return answer, sent, after


def test_chunked_bodies_are_refused_at_the_limit_without_reading_them_all(sync_server):
    url, pid = sync_server.url, sync_server.process.pid
    before = memory_kib(pid)
    # the bulk route (master-data import) reads its body only after authentication: an anonymous
    # flood is refused before any of it is kept, an admin's is cut off at the 64 MiB limit
    answer, sent, after = _flood_chunked(url, f"{API}/admin/masterdata/import", total=200 * MiB)
    assert status_of(answer) == 401 and sent < 40 * MiB and after < 40 * MiB, (answer[:300], sent, after)
    token = admin_token(url)
    answer, sent, after = _flood_chunked(url, f"{API}/admin/masterdata/import", total=200 * MiB, token=token)
    assert status_of(answer) == 413 and b"body_too_large" in answer, answer[:300]
    assert 64 * MiB <= sent < 120 * MiB, sent
    assert after < 40 * MiB, after  # the server stops reading: at most a chunk's worth is drained
    # every other route: max_request_body_bytes (1 MiB)
    answer, sent, after = _flood_chunked(url, f"{API}/machines/enrol", total=200 * MiB)
    assert status_of(answer) == 413 and sent < 40 * MiB and after < 40 * MiB, (answer[:300], sent, after)
    assert memory_kib(pid) - before < 200 * 1024  # nothing near 200 MiB was held
    assert requests.get(f"{url}/health", timeout=30).status_code == 200


def test_deeply_nested_json_is_a_4xx_everywhere(sync_server):
    deep = b"[" * 100_000 + b"]" * 100_000
    admin = {"Authorization": f"Bearer {admin_token(sync_server.url)}"}
    for path, auth in (
        (f"{API}/machines/enrol", {}),
        (f"{API}/auth/login", {}),
        (f"{API}/admin/masterdata/import", admin),  # checked by the route, after authentication
    ):
        response = requests.post(
            f"{sync_server.url}{path}",
            data=deep,
            headers={"Content-Type": "application/json", **auth},
            timeout=30,
        )
        assert response.status_code == 422 and response.json()["code"] == "validation_error", (
            path,
            response.text,
        )
    nested = b'{"a": ' * 65 + b"1" + b"}" * 65
    response = requests.post(f"{sync_server.url}{API}/auth/login", data=nested, timeout=30)
    assert response.status_code == 422 and "nest" in response.json()["detail"]
    # brackets inside strings do not count; a normal body still gets through to validation
    fine = b'{"username": "' + b"[" * 90 + b'", "password": "x"}'
    answer = requests.post(f"{sync_server.url}{API}/auth/login", data=fine, headers=JSON, timeout=30)
    assert answer.status_code == 401, answer.text


def test_too_many_or_too_large_headers_are_refused(sync_server):
    many = {f"X-Filler-{i}": "1" for i in range(500)}  # about 8 KiB: within the head size limit
    response = requests.get(f"{sync_server.url}/health", headers=many, timeout=30)
    assert response.status_code == 431 and response.json()["code"] == "headers_too_large", response.text
    huge = requests.get(f"{sync_server.url}/health", headers={"X-Filler": "a" * 100_000}, timeout=30)
    assert 400 <= huge.status_code < 500
    assert requests.get(f"{sync_server.url}/health", timeout=30).status_code == 200


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float | None:
    """Send ``trickle`` a byte every 0.2 s until the server closes the connection; return when."""
    began = time.monotonic()
    sock.settimeout(0.2)
    position = 0
    while time.monotonic() - began < seconds:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - began
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - began
        if position < len(trickle):
            try:
                sock.send(trickle[position : position + 1])
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - began
            position += 1
    return None


SLOW = {
    "OPENREG_SERVER_HEADER_TIMEOUT_S": "1.5",
    "OPENREG_SERVER_BODY_RATE_WINDOW_S": "1.5",
    "OPENREG_SERVER_MIN_BODY_RATE_BYTES_S": "100",
}


def test_slow_clients_are_cut_off(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server", env=SLOW)
    # headers a byte at a time (slowloris), and a connection that never says anything
    trickled = head("GET", "/health", *(f"X-Slow-{i}: {i}" for i in range(50)))
    assert (took := _closed_within(connect(server.url), 10, trickled)) is not None and took < 4, took
    assert (took := _closed_within(connect(server.url), 10)) is not None and took < 4, took
    # a body a byte at a time after a complete head
    slow_body = connect(server.url)
    slow_body.sendall(
        head("POST", f"{API}/auth/login", "Content-Type: application/json", "Content-Length: 500")
    )
    assert (took := _closed_within(slow_body, 10, b" " * 500)) is not None and took < 5, took
    # a normal request still works, and a quick body is not cut
    payload = {"username": "admin", "password": "admin-demo"}
    assert requests.post(f"{server.url}{API}/auth/login", json=payload, timeout=30).status_code == 200


def test_a_request_after_a_lingered_body_is_answered_on_the_same_connection(sync_server):
    """An upload answered 413 before its body was read: the body is drained, and the next request on
    the kept-alive connection is answered even when it arrives in the same read as the body's tail."""
    body = 9 * MiB  # over the 8 MiB chunk limit: refused on its Content-Length alone
    sock = connect(sync_server.url)
    try:
        sock.sendall(head("PATCH", f"{API}/packets/{'1' * 29}/content", f"Content-Length: {body}"))
        refused = read_response(sock)
        assert status_of(refused) == 413 and b"chunk_too_large" in refused, refused[:300]
        sock.sendall(b"\0" * body + head("GET", "/health"))
        assert status_of(read_response(sock)) == 200
    finally:
        sock.close()

"""Helpers for the abuse-limit tests: raw HTTP over a socket (to send what requests will not: chunked
floods, a byte at a time, thousands of headers) and the server process's memory from /proc."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import requests

from tests.integration.sync_server.kiosk import API


def connect(url: str, *, timeout: float = 10.0) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: openreg", *headers, "", ""]
    return "\r\n".join(lines).encode()


def status_of(response: bytes) -> int:
    """The status code of a raw HTTP/1.1 response."""
    return int(response.split(b" ", 2)[1])


def memory_kib(pid: int, field: str = "VmHWM") -> int:
    """VmHWM (peak resident set) or VmRSS of a process, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def login(url: str, username: str, password: str, *, address: str | None = None) -> requests.Response:
    """POST /auth/login; ``address`` poses as another client (uvicorn trusts X-Forwarded-For from
    127.0.0.1, as from a reverse proxy on the same host)."""
    headers = {"X-Forwarded-For": address} if address else {}
    return requests.post(
        f"{url}{API}/auth/login",
        json={"username": username, "password": password},
        headers=headers,
        timeout=60,
    )


def read_response(sock: socket.socket, first: bytes = b"", *, timeout: float = 10.0) -> bytes:
    """Read one whole raw response (head + Content-Length body), or what arrived before the close."""
    sock.settimeout(timeout)
    data = first
    while b"\r\n\r\n" not in data or len(data) < _expected_length(data):
        try:
            more = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not more:
            break
        data += more
    return data


def _expected_length(data: bytes) -> int:
    head_part, _, _ = data.partition(b"\r\n\r\n")
    for line in head_part.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(head_part) + 4 + int(line.split(b":")[1])
    return len(head_part) + 4

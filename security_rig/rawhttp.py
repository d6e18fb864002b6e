"""Raw HTTP/1.1 over a socket, for what an HTTP library will not send: unnormalised paths, header
floods, chunked bodies watched for an early answer, and bytes dribbled one at a time. Every read and
write is bounded by a deadline and every answer by a size cap."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass

from security_rig.target import Target

MAX_RAW_ANSWER = 256 * 1024


@dataclass(frozen=True)
class RawReply:
    status: int  # 0: no status line arrived
    head: bytes = b""
    body: bytes = b""
    error: str = ""
    sent: int = 0  # body bytes sent before the answer (streams)
    seconds: float = 0.0

    def brief(self) -> str:
        if self.status == 0:
            return f"no answer ({self.error or 'connection closed'})"
        return f"{self.status} {self.body[:160].decode('utf-8', 'replace')}".rstrip()

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode() + b":"
        for line in self.head.split(b"\r\n")[1:]:
            if line.lower().startswith(wanted):
                return line.split(b":", 1)[1].strip().decode("latin-1")
        return None


def connect(target: Target, *, timeout: float = 10.0) -> socket.socket:
    target.count()
    sock = socket.create_connection((target.host, target.port), timeout=timeout)
    if target.https:
        sock = target.ssl_context().wrap_socket(sock, server_hostname=target.host)
    return sock


def request_head(target: Target, method: str, path: str, headers: Iterable[str] = ()) -> bytes:
    """A request line and head; ``path`` goes on the wire exactly as given (after the base prefix)."""
    host = f"{target.host}:{target.port}" if ":" not in target.host else f"[{target.host}]:{target.port}"
    lines = [f"{method} {target.prefix}{path} HTTP/1.1", f"Host: {host}", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def parse(raw: bytes, *, error: str = "", sent: int = 0, seconds: float = 0.0) -> RawReply:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = 0
    parts = head.split(b" ", 2)
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        status = int(parts[1])
    return RawReply(status, head, body, error, sent, seconds)


def _wanted_length(raw: bytes) -> int | None:
    head, found, _ = raw.partition(b"\r\n\r\n")
    if not found:
        return None
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            value = line.split(b":", 1)[1].strip()
            return len(head) + 4 + int(value) if value.isdigit() else None
    return len(head) + 4  # no length: the head is what we wait for (streams are cut by the cap)


def read_answer(sock: socket.socket, *, deadline: float, first: bytes = b"") -> tuple[bytes, str]:
    """Read one answer (head plus Content-Length body) until it is whole, the peer closes, the size cap
    or ``deadline``; return the bytes and an error word ("" when whole or closed cleanly)."""
    data = bytearray(first)
    while True:
        wanted = _wanted_length(bytes(data))
        if (wanted is not None and len(data) >= wanted) or len(data) >= MAX_RAW_ANSWER:
            return bytes(data), ""
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(data), "timeout"
        sock.settimeout(min(left, 1.0))
        try:
            more = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError as exc:
            return bytes(data), type(exc).__name__
        if not more:
            return bytes(data), "" if data else "closed"
        data += more


def exchange(target: Target, payload: bytes, *, timeout: float = 10.0) -> RawReply:
    """Send ``payload`` (a whole request) and read one answer, all within ``timeout`` seconds."""
    began = time.monotonic()
    deadline = began + timeout
    try:
        sock = connect(target, timeout=timeout)
    except OSError as exc:
        return RawReply(0, error=f"connect: {type(exc).__name__}")
    try:
        try:
            sock.sendall(payload)
        except OSError as exc:  # the server may answer and close before it read everything
            data, _ = read_answer(sock, deadline=deadline)
            return parse(data, error=type(exc).__name__, seconds=time.monotonic() - began)
        data, error = read_answer(sock, deadline=deadline)
        return parse(data, error=error, seconds=time.monotonic() - began)
    finally:
        sock.close()


def stream(target: Target, head: bytes, pieces: Iterable[bytes], *, timeout: float = 20.0) -> RawReply:
    """Send ``head`` then ``pieces`` one by one, stopping as soon as the server answers (or closes);
    ``sent`` says how many body bytes went out before that. Bounded by ``timeout`` in all."""
    began = time.monotonic()
    deadline = began + timeout
    try:
        sock = connect(target, timeout=timeout)
    except OSError as exc:
        return RawReply(0, error=f"connect: {type(exc).__name__}")
    sent = 0
    try:
        sock.sendall(head)
        for piece in pieces:
            left = deadline - time.monotonic()
            if left <= 0:
                return RawReply(0, error="timeout", sent=sent, seconds=time.monotonic() - began)
            readable, writable, _ = select.select([sock], [sock], [], min(left, 1.0))
            if readable:
                break
            if writable:
                sock.sendall(piece)
                sent += len(piece)
        data, error = read_answer(sock, deadline=deadline)
        return parse(data, error=error, sent=sent, seconds=time.monotonic() - began)
    except OSError as exc:
        data, _ = read_answer(sock, deadline=min(deadline, time.monotonic() + 3))
        return parse(data, error=type(exc).__name__, sent=sent, seconds=time.monotonic() - began)
    finally:
        sock.close()


def chunked(size: int, piece: bytes) -> Iterable[bytes]:
    """``size`` bytes of ``piece`` repeated, framed as HTTP/1.1 chunks, then the last chunk."""
    sent = 0
    while sent < size:
        part = piece[: size - sent]
        yield b"%x\r\n" % len(part) + part + b"\r\n"
        sent += len(part)
    yield b"0\r\n\r\n"

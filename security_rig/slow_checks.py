"""Slow clients (slowloris): a request head dribbled a byte at a time, a connection that says nothing,
and a body dribbled after a complete head. The server must drop them (or answer) within
``slow_bound_s``. The probe runs in the background while the other checks run, so it costs the run
at most the bound, and it never holds more than three connections."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from itertools import count

from security_rig import rawhttp
from security_rig.context import Rig
from security_rig.report import Outcome

TICK_S = 0.25
BYTES_EVERY_S = 0.5


def _endless_head(rig: Rig) -> bytes:
    head = rawhttp.request_head(rig.target, "GET", "/health")[:-2]  # no blank line: the head never ends
    return head + b"".join(f"X-Rig-Slow-{i}: {i}\r\n".encode() for i in range(2000))


@dataclass
class _Probe:
    how: str
    sock: socket.socket
    dribble: bytes = b""
    position: int = 0
    ended: float | None = None
    answer: str = ""
    last_send: float = field(default_factory=time.monotonic)


class SlowClients:
    """Start with ``start()`` at the beginning of a run; ``finish()`` waits for the verdict."""

    def __init__(self, rig: Rig, out: Outcome) -> None:
        self.rig, self.out = rig, out
        self.thread = threading.Thread(target=self._run, name="security-rig-slow-clients", daemon=True)
        self.failed: str | None = None

    def start(self) -> None:
        self.thread.start()

    def finish(self) -> None:
        self.thread.join(self.rig.options.slow_bound_s + 15)
        if self.thread.is_alive():
            self.out.status = "error"
            self.out.note("the slow-client probe did not finish in time")

    def _open(self) -> list[_Probe]:
        target = self.rig.target
        body_head = rawhttp.request_head(
            target,
            "POST",
            "/api/v1/auth/challenge",
            ["Content-Type: application/json", "Content-Length: 100000"],
        )
        probes = []
        for how, first, dribble in (
            ("request head dribbled a byte at a time", b"", _endless_head(self.rig)),
            ("connection open, nothing sent", b"", b""),
            ("body dribbled a byte at a time after a complete head", body_head, b" " * 100_000),
        ):
            sock = rawhttp.connect(target, timeout=10)
            if first:
                sock.sendall(first)
            sock.setblocking(False)
            probes.append(_Probe(how, sock, dribble))
        return probes

    def _run(self) -> None:
        try:
            probes = self._open()
        except OSError as exc:
            self.out.status = "error"
            self.out.note(f"could not open the slow connections: {exc}")
            return
        began = time.monotonic()
        bound = self.rig.options.slow_bound_s
        try:
            for _ in count():
                now = time.monotonic()
                if now - began > bound or all(p.ended is not None for p in probes):
                    break
                for probe in probes:
                    if probe.ended is None:
                        self._step(probe, now - began)
                time.sleep(TICK_S)
        finally:
            for probe in probes:
                probe.sock.close()
        self.out.probes += len(probes)
        for probe in probes:
            if probe.ended is None:
                self.out.find(
                    "high",
                    "server connections",
                    f"{probe.how}: still open after {bound:.0f} s (no slow-client timeout)",
                )
            else:
                self.out.note(f"{probe.how}: dropped after {probe.ended:.1f} s{probe.answer}")

    def _step(self, probe: _Probe, elapsed: float) -> None:
        try:
            data = probe.sock.recv(4096)
        except (BlockingIOError, TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            data = None
        except OSError:
            probe.ended = elapsed
            return
        if data is not None:  # b"": closed; anything else: answered (a 408, a 413, ...)
            probe.ended = elapsed
            if data:
                probe.answer = f" with {rawhttp.parse(data).status or 'data'}"
            return
        if probe.position < len(probe.dribble) and time.monotonic() - probe.last_send >= BYTES_EVERY_S:
            try:
                probe.sock.send(probe.dribble[probe.position : probe.position + 1])
            except (BlockingIOError, TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return
            except OSError:
                probe.ended = elapsed
                return
            probe.position += 1
            probe.last_send = time.monotonic()

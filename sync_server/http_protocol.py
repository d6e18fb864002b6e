"""uvicorn's h11 protocol with the time bounds uvicorn lacks (it has none for a request head, so a
client sending headers a byte at a time, or nothing at all, holds a connection for ever).

* head: a request head must be complete within ``head_timeout_s`` of the connection opening or of the
  previous response (the keep-alive timeout still closes idle connections sooner);
* body: at least ``min_body_rate`` bytes per ``body_window_s`` while a request body is arriving;
* linger: after an answer sent before the body was read (a 413, or a 401 on an upload), the rest of the
  body is read and discarded at the same minimum rate, so that a client that sends first and reads later
  still sees the answer (closing on it makes such clients see a reset instead): all of a body whose
  Content-Length the client declared (it pays every byte, nothing is kept; h11 knows where it ends, so
  a next request in the same read as its tail is served), at most ``linger_bytes`` of a chunked one,
  after which the connection is closed.
A connection over a bound is closed; the route sees a disconnect. Used by sync_server.runner only.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class BoundedH11Protocol(H11Protocol):
    head_timeout_s: float = 30.0
    body_window_s: float = 10.0
    min_body_rate: int = 1024  # bytes per second, averaged over each window
    linger_bytes: int = 8 * 1024 * 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._phase: str | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._received = self._window_start_bytes = self._linger_start = 0
        self._linger_cap: int | None = self.linger_bytes
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        self._received += len(data)
        cap = self._linger_cap
        if self._phase == "linger" and cap is not None and self._received - self._linger_start > cap:
            self.transport.close()
            return
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._arm(None, 0)
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Pick the bound for what the connection waits for now; re-arm only when that changes."""
        state = self.conn.their_state
        if state is h11.IDLE:
            phase, delay = "head", self.head_timeout_s
        elif state is h11.SEND_BODY and self.cycle is not None and self.cycle.response_complete:
            phase, delay = "linger", self.body_window_s
        elif state is h11.SEND_BODY:
            phase, delay = "body", self.body_window_s
        else:
            phase, delay = None, 0.0  # the app is working, or the connection is closing
        if phase != self._phase:
            self._window_start_bytes = self._linger_start = self._received
            self._linger_cap = self.linger_bytes
            # A declared length needs no byte cap: h11 ends the body there, and counting past it would
            # count the next request's bytes when they arrive in the same read as the body's tail.
            if phase == "linger" and dict(self.headers or []).get(b"content-length", b"").isdigit():
                self._linger_cap = None
            self._arm(phase, delay)

    def _arm(self, phase: str | None, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._phase, self._timer = phase, None
        if phase is not None and not self.transport.is_closing():
            self._timer = self.loop.call_later(delay, self._expired)

    def _expired(self) -> None:
        self._timer = None
        if self._phase in ("body", "linger"):
            arrived = self._received - self._window_start_bytes
            # Reading paused means the app is not consuming yet (flow control): not the client's fault.
            if arrived >= self.min_body_rate * self.body_window_s or self.flow.read_paused:
                self._window_start_bytes = self._received
                self._timer = self.loop.call_later(self.body_window_s, self._expired)
                return
        if not self.transport.is_closing():
            self.transport.close()


def bounded_h11(
    *, head_timeout_s: float, body_window_s: float, min_body_rate: int, linger_bytes: int
) -> type[H11Protocol]:
    """A BoundedH11Protocol class with these bounds (uvicorn builds one protocol per connection)."""
    bounds = {
        "head_timeout_s": head_timeout_s,
        "body_window_s": body_window_s,
        "min_body_rate": min_body_rate,
        "linger_bytes": linger_bytes,
    }
    return type("BoundedH11Protocol", (BoundedH11Protocol,), bounds)

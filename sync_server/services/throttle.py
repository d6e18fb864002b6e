"""In-process guards against floods: per-address token buckets and a bound on concurrent password hashing.

Both are per server process (N processes allow N times the rate); what must hold across processes and
restarts (the per-account login lockout) lives in the database (services.login_guard)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sync_server.settings import ServerSettings

# Buckets kept per limiter; beyond this the least recently used address starts afresh. Bounds memory
# under a flood from many addresses (which per-address limits cannot stop anyway).
MAX_TRACKED_ADDRESSES = 10_000


class RateLimiter:
    """Token bucket per key: ``per_minute`` requests a minute on average, bursts of up to ``per_minute``.
    Thread-safe (sync routes run on a thread pool)."""

    def __init__(
        self,
        *,
        per_minute: int,
        max_keys: int = MAX_TRACKED_ADDRESSES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(per_minute)
        self.refill_per_s = per_minute / 60.0
        self.max_keys, self.clock = max_keys, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Spend one token for ``key``; None when allowed, else the seconds until one is available."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.refill_per_s)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return None if allowed else (1.0 - tokens) / self.refill_per_s


def retry_after(seconds: float) -> dict[str, str]:
    """A Retry-After header (whole seconds, at least 1)."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


@dataclass
class Guards:
    """What one server process uses to refuse floods (built from settings in ServerState)."""

    rate_limits: dict[str, RateLimiter]
    password_hashes: threading.BoundedSemaphore
    password_hash_wait_s: float

    @classmethod
    def from_settings(cls, settings: ServerSettings) -> Guards:
        return cls(
            rate_limits={
                "login": RateLimiter(per_minute=settings.login_rate_per_minute),
                "challenge": RateLimiter(per_minute=settings.challenge_rate_per_minute),
                "enrol": RateLimiter(per_minute=settings.enrol_rate_per_minute),
            },
            password_hashes=threading.BoundedSemaphore(settings.max_concurrent_password_hashes),
            password_hash_wait_s=settings.password_hash_wait_s,
        )

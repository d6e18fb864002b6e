"""The in-process guards: per-address token buckets and the JSON depth check used on every body."""

from __future__ import annotations

import json
import time

from sync_server.http_limits import json_too_deep
from sync_server.services.throttle import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refills_at_the_rate_per_key():
    clock = FakeClock()
    limiter = RateLimiter(per_minute=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    wait = limiter.take("a")
    assert wait is not None and 19 < wait <= 20  # one token every 20 s
    assert limiter.take("b") is None  # other addresses have their own bucket
    clock.now += 20
    assert limiter.take("a") is None and limiter.take("a") is not None


def test_tracked_addresses_are_bounded():
    limiter = RateLimiter(per_minute=1, max_keys=100, clock=FakeClock())
    for i in range(1000):
        limiter.take(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._buckets) == 100


def test_json_depth_counts_brackets_outside_strings_only():
    assert not json_too_deep(json.dumps({"a": [[1, 2], {"b": [3]}]}).encode(), 4)
    assert json_too_deep(json.dumps({"a": [[1, 2], {"b": [[3]]}]}).encode(), 4)
    tricky = json.dumps({"regex": "^[[{(" * 100, "quote": 'say "[[[["', "escaped": "\\[[["}).encode()
    assert not json_too_deep(tricky, 2)
    assert json_too_deep(b"[" * 65 + b"]" * 65, 64) and not json_too_deep(b"[" * 64 + b"]" * 64, 64)
    assert json_too_deep(b"{" * 100_000, 64)  # unbalanced garbage deep enough is refused too


def test_json_depth_check_is_linear_on_a_large_body():
    wide = b"[" + b",".join([b'{"k": [1, "[[[", {"x": null}]}'] * 1_000_000) + b"]"  # ~30 MB
    began = time.perf_counter()
    assert not json_too_deep(wide, 64)
    assert time.perf_counter() - began < 10

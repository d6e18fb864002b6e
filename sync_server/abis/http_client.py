"""The HTTP side of talking to the ABIS process: one POST per request, answers bounded.

``send`` returns the decoded answer of a 200; raises ``AbisUnavailable`` when the ABIS cannot be reached
or answers 5xx (worth retrying) and ``AbisRefused`` for any other status (the request itself is wrong).
Safe to call from several threads (a ``requests.Session`` per call).
"""

from __future__ import annotations

import json
from typing import Any

import requests

MAX_ANSWER_BYTES = 1024 * 1024  # 100 candidates with per-modality scores fit in a few kB


class AbisUnavailable(RuntimeError):
    """The ABIS did not answer (down, timed out, or 5xx): try again later. ``server_error`` tells a 5xx
    (the ABIS is up but failing on this request) from no answer at all."""

    def __init__(self, message: str, *, server_error: bool = False) -> None:
        super().__init__(message)
        self.server_error = server_error


class AbisRefused(RuntimeError):
    """The ABIS refused the request itself (4xx): sending it again will not help."""


class AbisHttpClient:
    def __init__(self, base_url: str, *, timeout_s: float = 120.0, connect_timeout_s: float = 3.0) -> None:
        self.url = base_url.rstrip("/") + "/abis"
        self._timeouts = (connect_timeout_s, timeout_s)

    def send(self, body: dict[str, Any], *, timeout_s: float | None = None) -> dict[str, Any]:
        timeouts = (self._timeouts[0], timeout_s) if timeout_s is not None else self._timeouts
        try:
            with requests.post(self.url, json=body, timeout=timeouts, stream=True) as answer:
                raw = answer.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
                status = answer.status_code
        except requests.RequestException as exc:
            raise AbisUnavailable(f"ABIS at {self.url} unreachable: {type(exc).__name__}") from exc
        if len(raw) > MAX_ANSWER_BYTES:
            raise AbisRefused(f"ABIS answer is larger than {MAX_ANSWER_BYTES} bytes")
        if status >= 500:
            raise AbisUnavailable(f"ABIS answered HTTP {status}", server_error=True)
        try:
            decoded = json.loads(raw)
        except ValueError as exc:
            raise (AbisUnavailable if status == 200 else AbisRefused)(
                f"ABIS answer is not JSON (HTTP {status})"
            ) from exc
        if status != 200:
            reason = decoded.get("failureMessage", "") if isinstance(decoded, dict) else ""
            raise AbisRefused(f"ABIS refused the request: HTTP {status} {str(reason)[:200]}".strip())
        return decoded

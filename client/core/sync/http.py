"""The sync protocol over HTTP (routes and models: docs/sync-protocol.md, shared.sync).

One object implements every port the agents use (enrolment, master-data source, upload transport). It
authenticates with a short-lived machine token obtained by signing a server challenge with the machine
key, renewed on 401. Network failures and 5xx/429 become :class:`TransportError` (retried by callers);
other 4xx become :class:`ServerRefused`. Thread-safe: requests.Session per thread.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import requests

from client.core.machine import MachineKeys
from client.core.sync.master_data_sync import SignedPage, SignedSnapshot
from client.core.sync.transport import PacketStatus, ServerRefused, TransportError
from shared.signing import sign_b64
from shared.sync import API_PREFIX as API
from shared.sync import SIGNATURE_HEADER, UPLOAD_CONTENT_TYPE, UPLOAD_OFFSET_HEADER, ErrorCode


class HttpServer:
    def __init__(self, *, base_url: str, machine: MachineKeys, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._machine = machine
        self._timeout = timeout_s
        self._local = threading.local()
        self._token: str | None = None
        self._token_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        for attempt in range(2):
            headers = dict(kwargs.pop("headers", {}) or {})
            if auth:
                headers["Authorization"] = f"Bearer {self._machine_token(renew=attempt > 0)}"
            try:
                response = self._session().request(
                    method, self.base_url + path, headers=headers, timeout=self._timeout, **kwargs
                )
            except requests.RequestException as exc:
                raise TransportError(f"{method} {path}: {exc.__class__.__name__}: {exc}") from exc
            if response.status_code == 401 and auth and attempt == 0:
                kwargs["headers"] = headers
                continue
            break
        if response.status_code >= 500 or response.status_code == 429:
            raise TransportError(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise _refusal(method, path, response)
        return response

    def _machine_token(self, *, renew: bool) -> str:
        with self._token_lock:
            if self._token and not renew:
                return self._token
            identity = self._machine.identity()
            challenge = self._request(
                "POST", f"{API}/auth/challenge", auth=False, json={"machine_id": identity.machine_id}
            ).json()
            nonce = challenge["challenge"]
            signature = sign_b64(self._machine.private_key(), nonce.encode())
            answer = self._request(
                "POST",
                f"{API}/auth/machine-token",
                auth=False,
                json={"machine_id": identity.machine_id, "challenge": nonce, "signature": signature},
            ).json()
            self._token = answer["token"]
            return self._token

    # -- enrolment ----------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._request("GET", "/health", auth=False).json()

    def enrol(self, *, public_key: str, center_id: str, name: str) -> dict[str, Any]:
        return self._request(
            "POST",
            f"{API}/machines/enrol",
            auth=False,
            json={"public_key": public_key, "center_id": center_id, "name": name},
        ).json()

    # -- master data --------------------------------------------------------------------------------
    def snapshot(self) -> SignedSnapshot:
        response = self._request("GET", f"{API}/masterdata/snapshot")
        return SignedSnapshot(body=response.content, signature=response.headers.get(SIGNATURE_HEADER, ""))

    def changes(self, *, since: int, limit: int) -> SignedPage:
        response = self._request("GET", f"{API}/masterdata/changes", params={"since": since, "limit": limit})
        body = response.json()
        return SignedPage(payload=body["payload"], signature=body["signature"], size=len(response.content))

    # -- packets --------------------------------------------------------------------------------------
    def register_packet(self, *, rid: str, sha256: str, size: int, meta: dict[str, Any]) -> int:
        body = self._request(
            "POST", f"{API}/packets", json={"rid": rid, "sha256": sha256, "size": size, **meta}
        ).json()
        return int(body.get("offset", 0))

    def upload_offset(self, *, rid: str) -> int:
        return int(self._request("HEAD", f"{API}/packets/{rid}/content").headers[UPLOAD_OFFSET_HEADER])

    def upload_chunk(self, *, rid: str, offset: int, data: bytes) -> int:
        response = self._request(
            "PATCH",
            f"{API}/packets/{rid}/content",
            data=data,
            headers={UPLOAD_OFFSET_HEADER: str(offset), "Content-Type": UPLOAD_CONTENT_TYPE},
        )
        return int(response.headers.get(UPLOAD_OFFSET_HEADER, offset + len(data)))

    def packet_statuses(self, *, rids: list[str]) -> list[PacketStatus]:
        body = self._request("POST", f"{API}/packets/status", json={"rids": rids}).json()
        return [_status(s) for s in body["statuses"]]

    def report_damaged(self, *, rid: str, sha256: str, size: int, problem: str, detail: str) -> PacketStatus:
        body = {"sha256": sha256, "size": size, "problem": problem, "detail": detail[:500]}
        return _status(self._request("POST", f"{API}/packets/{rid}/damaged", json=body).json())

    def report_rejected(self, *, rid: str, sha256: str, size: int, reason: str, meta: dict[str, Any]) -> None:
        self._request(
            "POST",
            f"{API}/packets",
            json={
                "rid": rid,
                "sha256": sha256,
                "size": size,
                "supervisor_rejected": True,
                "reason": reason,
                **meta,
            },
        )


def _status(s: dict[str, Any]) -> PacketStatus:
    return PacketStatus(
        rid=s["rid"],
        status=s["status"],
        uin=s.get("uin"),
        reason=s.get("reason"),
        reason_code=s.get("reason_code"),
    )


def _refusal(method: str, path: str, response: requests.Response) -> ServerRefused:
    """A 4xx answer as ServerRefused carrying the ErrorBody's code (and current offset, if any)."""
    prefix = f"{method} {path}: HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return ServerRefused(f"{prefix}: {response.text[:200]}", status=response.status_code)
    if not isinstance(body, dict):
        return ServerRefused(f"{prefix}: {str(body)[:300]}", status=response.status_code)
    raw = str(body.get("code", ""))[:64]
    code: ErrorCode | str | None = raw or None
    with contextlib.suppress(ValueError):  # a code newer than this build stays a plain string
        code = ErrorCode(raw)
    offset = body.get("current_offset")
    text = f"{raw or 'error'}: {body.get('detail', body)}"
    return ServerRefused(
        f"{prefix}: {text[:300]}",
        code=code,
        status=response.status_code,
        current_offset=offset if isinstance(offset, int) and offset >= 0 else None,
    )


__all__ = ["HttpServer"]

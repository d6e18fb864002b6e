"""The sync protocol over HTTP (routes and models: docs/sync-protocol.md, shared.sync).

One object implements every port the agents use (enrolment, master-data source, upload transport). It
authenticates with a short-lived machine token obtained by signing a server challenge with the machine
key, renewed on 401. Network failures and 5xx/429 become :class:`TransportError` (retried by callers);
other 4xx become :class:`ServerRefused`. Thread-safe: requests.Session per thread.

Packets go up over tus 1.0.0 (creation, then HEAD/PATCH of ``/packets/{rid}/content`` with a SHA-256
``Upload-Checksum`` per chunk); a server from before tus gets the JSON registration and the same PATCHes.

Transport policy (client.core.sync.tls): the address must be https:// unless it is loopback or the
demo flag allows plain http; ``ca_file`` (a pinned CA or self-signed server certificate) replaces the
system trust store; redirects are never followed, so an answer cannot send credentials elsewhere.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import threading
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ValidationError

from client.core.machine import MachineKeys
from client.core.sync.master_data_sync import SignedPage, SignedSnapshot
from client.core.sync.tls import check_server_url
from client.core.sync.transport import ServerRefused, TransportError
from shared import __version__ as SOFTWARE_VERSION
from shared.signing import sign_b64
from shared.sync import API_PREFIX as API
from shared.sync import (
    KIOSK_AGENT,
    SIGNATURE_HEADER,
    UPLOAD_CONTENT_TYPE,
    UPLOAD_LENGTH_HEADER,
    UPLOAD_OFFSET_HEADER,
    ChallengeRequest,
    ChallengeResponse,
    EnrolRequest,
    EnrolResponse,
    ErrorCode,
    MachineTokenRequest,
    PacketDamagedReport,
    PacketRegisterRequest,
    PacketRegisterResponse,
    PacketStatus,
    StatusRequest,
    StatusResponse,
    TokenResponse,
)
from shared.sync.models import (
    TUS_RESUMABLE_HEADER,
    TUS_UPLOADS_ROUTE,
    TUS_VERSION,
    UPLOAD_CHECKSUM_HEADER,
    UPLOAD_METADATA_HEADER,
)
from shared.sync.problems import MasterDataProblemReport


class HttpServer:
    def __init__(
        self,
        *,
        base_url: str,
        machine: MachineKeys,
        timeout_s: float = 10.0,
        allow_insecure_http: bool = False,
        ca_file: Path | None = None,
    ) -> None:
        self.base_url = check_server_url(base_url, allow_insecure_http=allow_insecure_http)
        self._verify: bool | str = str(ca_file) if ca_file else True
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
            session.max_redirects = 0
            session.headers["User-Agent"] = f"{KIOSK_AGENT}/{SOFTWARE_VERSION}"
        return session

    def _request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        for attempt in range(2):
            headers = dict(kwargs.pop("headers", {}) or {})
            if auth:
                headers["Authorization"] = f"Bearer {self._machine_token(renew=attempt > 0)}"
            try:
                # verify per request: a session-level value would lose to REQUESTS_CA_BUNDLE.
                response = self._session().request(
                    method,
                    self.base_url + path,
                    headers=headers,
                    timeout=self._timeout,
                    verify=self._verify,
                    **kwargs,
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
            challenge = self._call(
                "POST",
                "/auth/challenge",
                ChallengeResponse,
                ChallengeRequest,
                auth=False,
                machine_id=identity.machine_id,
            )
            signature = sign_b64(self._machine.private_key(), challenge.challenge.encode())
            answer = self._call(
                "POST",
                "/auth/machine-token",
                TokenResponse,
                MachineTokenRequest,
                auth=False,
                machine_id=identity.machine_id,
                challenge=challenge.challenge,
                signature=signature,
            )
            self._token = answer.token
            return self._token

    def _call(
        self,
        method: str,
        route: str,
        answer: type[_Answer],
        request: type[BaseModel],
        *,
        auth: bool = True,
        **fields: Any,
    ) -> _Answer:
        """Send ``request(**fields)`` to ``API + route`` and parse the answer as ``answer``."""
        response = self._request(
            method, f"{API}{route}", auth=auth, json=_body(method, route, request, fields)
        )
        return _parse(method, route, answer, response.content)

    # -- enrolment ----------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._request("GET", "/health", auth=False).json()

    def enrol(self, *, public_key: str, center_id: str, name: str) -> EnrolResponse:
        route = "/machines/enrol"
        body = _body(
            "POST", route, EnrolRequest, {"public_key": public_key, "center_id": center_id, "name": name}
        )
        answer = _small_json(self._request("POST", f"{API}{route}", auth=False, json=body, stream=True))
        return _parse("POST", route, EnrolResponse, answer)

    def server_keys(self, *, nonce: str) -> Any:
        """The signed key set (GET /api/v1/keys); the caller verifies it against the pinned key."""
        return _small_json(
            self._request("GET", f"{API}/keys", auth=False, params={"nonce": nonce}, stream=True)
        )

    # -- master data --------------------------------------------------------------------------------
    def snapshot(self) -> SignedSnapshot:
        response = self._request("GET", f"{API}/masterdata/snapshot")
        return SignedSnapshot(body=response.content, signature=response.headers.get(SIGNATURE_HEADER, ""))

    def changes(self, *, since: int, limit: int) -> SignedPage:
        response = self._request("GET", f"{API}/masterdata/changes", params={"since": since, "limit": limit})
        body = response.json()
        return SignedPage(payload=body["payload"], signature=body["signature"], size=len(response.content))

    def report_problems(self, problems: list[dict[str, Any]]) -> None:
        self._request(
            "POST",
            f"{API}/masterdata/problems",
            json=_body("POST", "/masterdata/problems", MasterDataProblemReport, {"problems": problems}),
        )

    # -- packets --------------------------------------------------------------------------------------
    def register_packet(self, *, rid: str, sha256: str, size: int, meta: dict[str, Any]) -> int:
        """tus creation of the packet's upload (idempotent by RID + hash): the offset the server holds.
        A server from before tus (no creation route) gets the JSON registration instead."""
        fields = {
            "rid": rid,
            "sha256": sha256,
            "size": size,
            **{k: v for k, v in meta.items() if v is not None},
        }
        announced = _body("POST", TUS_UPLOADS_ROUTE, PacketRegisterRequest, fields)  # refused here as there
        metadata = {k: str(v) for k, v in announced.items() if k in _TUS_METADATA}
        headers = {
            **_TUS,
            UPLOAD_LENGTH_HEADER: str(size),
            UPLOAD_METADATA_HEADER: _encode_metadata(metadata),
        }
        try:
            response = self._request("POST", f"{API}{TUS_UPLOADS_ROUTE}", headers=headers)
        except ServerRefused as exc:
            if exc.status in (404, 405) and exc.code in (ErrorCode.not_found, ErrorCode.method_not_allowed):
                return self._call(
                    "POST", "/packets", PacketRegisterResponse, PacketRegisterRequest, **fields
                ).offset
            raise
        # The resource is the packet's content URL under this server's address (it is never taken from
        # the answer, so no answer can send the packet elsewhere); the Location must agree.
        location = urlsplit(response.headers.get("Location", "")).path
        if not location.endswith(_content_path(rid)):
            raise ServerRefused(f"POST {API}{TUS_UPLOADS_ROUTE}: unexpected Location {location[:200]!r}")
        if UPLOAD_OFFSET_HEADER not in response.headers:
            return self.upload_offset(rid=rid)
        return _offset(response, size)

    def upload_offset(self, *, rid: str) -> int:
        return _offset(self._request("HEAD", _content_path(rid), headers=_TUS), _MAX_OFFSET)

    def upload_chunk(self, *, rid: str, offset: int, data: bytes) -> int:
        """PATCH ``data`` at ``offset`` with its SHA-256 (a chunk broken on the way is 460, not stored)."""
        checksum = "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()
        response = self._request(
            "PATCH",
            _content_path(rid),
            data=data,
            headers={
                **_TUS,
                UPLOAD_OFFSET_HEADER: str(offset),
                "Content-Type": UPLOAD_CONTENT_TYPE,
                UPLOAD_CHECKSUM_HEADER: checksum,
            },
        )
        if UPLOAD_OFFSET_HEADER not in response.headers:
            return offset + len(data)
        return _offset(response, _MAX_OFFSET)

    def packet_statuses(self, *, rids: list[str]) -> list[PacketStatus]:
        return self._call("POST", "/packets/status", StatusResponse, StatusRequest, rids=rids).statuses

    def report_damaged(self, *, rid: str, sha256: str, size: int, problem: str, detail: str) -> PacketStatus:
        printable = "".join(
            ch if ch.isprintable() else " " for ch in detail[:500]
        )  # the server refuses control characters
        return self._call(
            "POST",
            f"/packets/{rid}/damaged",
            PacketStatus,
            PacketDamagedReport,
            sha256=sha256,
            size=size,
            problem=problem,
            detail=printable,
        )

    def report_rejected(self, *, rid: str, sha256: str, size: int, reason: str, meta: dict[str, Any]) -> None:
        body = {
            "rid": rid,
            "sha256": sha256,
            "size": size,
            "supervisor_rejected": True,
            "reason": reason,
            **meta,
        }
        self._request("POST", f"{API}/packets", json=_body("POST", "/packets", PacketRegisterRequest, body))


SMALL_BODY_LIMIT = 64 * 1024
_TUS = {TUS_RESUMABLE_HEADER: TUS_VERSION}
_MAX_OFFSET = 2**40
_TUS_METADATA = ("rid", "sha256", "operator_id", "supervisor_id", "created_at")


def _content_path(rid: str) -> str:
    """The tus upload resource of a packet (what the server's creation answers as ``Location``)."""
    return f"{API}/packets/{rid}/content"


def _encode_metadata(values: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _offset(response: requests.Response, most: int) -> int:
    """The answer's ``Upload-Offset``: digits, at most ``most``; anything else is a refusal."""
    value = response.headers.get(UPLOAD_OFFSET_HEADER, "")
    if not (value.isascii() and value.isdigit() and len(value) <= 20 and int(value) <= most):
        raise ServerRefused(f"{response.request.method} {response.url}: bad Upload-Offset {value[:30]!r}")
    return int(value)


def _small_json(response: requests.Response) -> Any:
    """Read at most SMALL_BODY_LIMIT bytes of a short JSON answer (enrolment, key set)."""
    with response:
        data = response.raw.read(SMALL_BODY_LIMIT + 1, decode_content=True)
    if len(data) > SMALL_BODY_LIMIT:
        raise ServerRefused(f"{response.url}: answer larger than {SMALL_BODY_LIMIT} bytes")
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ServerRefused(f"{response.url}: answer is not JSON: {exc}") from exc


_Answer = TypeVar("_Answer", bound=BaseModel)


def _body(method: str, route: str, request: type[BaseModel], fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` checked against the route's request model, as JSON; only the fields given are sent.
    A request the model refuses is refused here as the server would (422 validation_error)."""
    try:
        model = request.model_validate(fields)
    except ValidationError as exc:
        raise ServerRefused(
            f"{method} {API}{route}: not sent, {exc.error_count()} invalid field(s): {_first_error(exc)}",
            code=ErrorCode.validation_error,
        ) from exc
    return model.model_dump(mode="json", include=set(fields))


def _parse(method: str, route: str, answer: type[_Answer], body: bytes | Any) -> _Answer:
    """The server's answer as ``answer``; one that does not fit the contract is a refusal."""
    try:
        if isinstance(body, bytes):
            return answer.model_validate_json(body)
        return answer.model_validate(body)
    except ValidationError as exc:
        raise ServerRefused(f"{method} {API}{route}: unexpected answer: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"[:200]


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

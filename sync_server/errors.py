"""HTTP errors: routers and middleware raise ApiError (services raise domain errors, mapped in
``api.errors``); handlers render shared.sync.ErrorBody everywhere."""

from __future__ import annotations

import errno
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.sync import ErrorBody, ErrorCode, FieldError

log = logging.getLogger(__name__)

# errno values that mean "no room left": the disk itself, or this user's quota on it.
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# PostgreSQL SQLSTATE 53100 disk_full; SQLite says SQLITE_FULL in words.
_PG_DISK_FULL = "53100"
_SQLITE_FULL = "database or disk is full"


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says the server's disk or quota is exhausted."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _DISK_FULL_ERRNOS:
            return True
        if getattr(current, "sqlstate", None) == _PG_DISK_FULL or _SQLITE_FULL in str(current):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def disk_full_response() -> JSONResponse:
    # 507 Insufficient Storage: the request was fine, the server has no room; the client retries later.
    return error_response(
        507,
        ErrorCode.disk_full,
        "the server is out of disk space; try again later",
        headers={"Retry-After": "60"},
    )


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: ErrorCode,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        current_offset: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.errors, self.current_offset, self.headers = errors or [], current_offset, headers


def error_response(
    status: int, code: ErrorCode, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = ErrorBody(code=code, detail=detail, **extra).model_dump(mode="json", exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(
            exc.status,
            exc.code,
            exc.detail,
            headers=exc.headers,
            errors=exc.errors,
            current_offset=exc.current_offset,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return error_response(400, ErrorCode.malformed_json, "the request body is not valid JSON")
        errors = [
            FieldError(
                loc=[str(x) if not isinstance(x, int) else x for x in p.get("loc", ())], message=p["msg"]
            )
            for p in problems
        ]
        return error_response(422, ErrorCode.validation_error, "the request is not valid", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: ErrorCode.not_found, 405: ErrorCode.method_not_allowed, 413: ErrorCode.body_too_large}
        return error_response(
            exc.status_code,
            code.get(exc.status_code, ErrorCode.validation_error),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OSError)
    @app.exception_handler(OperationalError)
    async def _storage(request: Request, exc: Exception) -> JSONResponse:
        if is_disk_full(exc):
            log.error("%s %s: disk full: %s", request.method, request.url.path, exc)
            return disk_full_response()
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _internal_error()

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # Routes validate what they pass to SQL; this is the net for a value that still slips through
        # (out of the column's range, a NUL that PostgreSQL cannot store): the request is at fault.
        log.warning("%s %s: value refused by the database: %s", request.method, request.url.path, exc.orig)
        return error_response(
            422,
            ErrorCode.validation_error,
            "a value in the request cannot be stored (out of range or not text)",
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return _internal_error()


def _internal_error() -> JSONResponse:
    return error_response(500, ErrorCode.internal_error, "internal error; see the server log")

"""Typed API errors: services raise ApiError; handlers render shared.sync.ErrorBody everywhere."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.sync import ErrorBody, ErrorCode, FieldError


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

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return error_response(500, ErrorCode.internal_error, "internal error; see the server log")

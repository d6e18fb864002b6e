"""Domain errors to HTTP, in one place: the status (and headers) for each kind of service refusal.

Services raise ``sync_server.services.errors`` classes and know nothing of HTTP; ``create_app`` installs
the handler below. The body is the usual ``shared.sync.ErrorBody``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.sync import UPLOAD_OFFSET_HEADER
from sync_server.errors import error_response
from sync_server.services import errors as domain
from sync_server.services.throttle import retry_after

# Looked up along the class's MRO, so a subclass without its own row gets its parent's status.
HTTP_STATUS: dict[type[domain.DomainError], int] = {
    domain.DomainError: 400,
    domain.BadInput: 422,
    domain.NotAuthenticated: 401,
    domain.Forbidden: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.TooLarge: 413,
    domain.RateLimited: 429,
    domain.Busy: 503,
}


def http_status(exc: domain.DomainError) -> int:
    """The HTTP status for a domain error (its nearest class in ``HTTP_STATUS``)."""
    return next(HTTP_STATUS[cls] for cls in type(exc).__mro__ if cls in HTTP_STATUS)


def domain_error_response(exc: domain.DomainError) -> JSONResponse:
    """The wire answer: status by class, Retry-After / Upload-Offset / WWW-Authenticate by content."""
    headers: dict[str, str] = {}
    if isinstance(exc, domain.TokenRefused):
        headers["WWW-Authenticate"] = "Bearer"
    if exc.retry_after is not None:
        headers |= retry_after(exc.retry_after)
    if exc.current_offset is not None:
        headers[UPLOAD_OFFSET_HEADER] = str(exc.current_offset)
    return error_response(
        http_status(exc), exc.code, exc.detail, headers=headers or None, current_offset=exc.current_offset
    )


def install_domain_error_handler(app: FastAPI) -> None:
    """Answer every ``DomainError`` a route or dependency lets through with ``domain_error_response``."""

    async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, domain.DomainError)
        return domain_error_response(exc)

    app.add_exception_handler(domain.DomainError, _domain_error)

"""Domain errors: what a service raises when it refuses, by meaning, without any HTTP.

Each carries the shared wire ``ErrorCode`` (which case) and a ``detail`` for people; the class says what
kind of refusal it is. The api layer maps the classes to HTTP statuses and headers in one table
(``sync_server.api.errors``); the command line shows ``detail``.
"""

from __future__ import annotations

from shared.sync import ErrorCode


class DomainError(Exception):
    """A refusal. ``retry_after`` (seconds): asking again later may work; ``current_offset``: where an
    upload stands now, for the client to resume from."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str,
        *,
        retry_after: float | None = None,
        current_offset: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail
        self.retry_after, self.current_offset = retry_after, current_offset


class BadInput(DomainError):
    """The request's values break a rule (a malformed key, an unknown center, a capture in the future)."""


class NotAuthenticated(DomainError):
    """Who is asking is not proven: wrong password, unknown machine, bad or used challenge."""


class TokenRefused(NotAuthenticated):
    """The bearer token itself is unknown, expired or no longer backed by a live user or machine."""


class Forbidden(DomainError):
    """Known caller, refused: not its packet, a machine not approved, an account locked."""


class NotFound(DomainError):
    """The thing named does not exist (for this caller)."""


class Conflict(DomainError):
    """The request contradicts the current state: another hash for a RID, a wrong upload offset."""


class TooLarge(DomainError):
    """More bytes than a packet or its registration allow."""


class RateLimited(DomainError):
    """Too many requests (or pending enrolments) from this caller; ``retry_after`` says when to retry."""


class Busy(DomainError):
    """The server is momentarily too busy for this (contention, not the caller's fault); retry soon."""

"""Admin HTTP routes for report destinations (folder, SFTP, FTP, FTPS), mounted by the server.

The server passes ``destinations`` (returns the ``ReportDestinations`` service) and ``report_user``
(authenticates a user who may administer reports and returns the user id, the audit actor). Routes
translate HTTP to service calls: unknown destination → 404, in use by a report → 409, a bad config or
secret → 422. No response ever holds a secret; a request's secret is never echoed in an error.

No ``from __future__ import annotations`` here: FastAPI must see the real ``Annotated`` objects of
the dependency aliases, which are local to the router factory.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from shared.sync.models import PRINTABLE_PATTERN
from sync_server.reports.delivery import Kind
from sync_server.reports.destinations import (
    ID_PATTERN,
    MAX_TITLE,
    DestinationError,
    DestinationInUse,
    ReportDestinations,
    UnknownDestination,
)

DestinationId = Annotated[str, PathParam(pattern=ID_PATTERN)]


class DestinationIn(BaseModel):
    """A destination's fields (PUT creates or replaces). ``config`` is checked against ``kind`` by the
    service; ``secret`` (password or private key PEM) left out keeps the stored one. The secret has no
    declared bounds on purpose: the service checks it, so a refusal never echoes it back."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=MAX_TITLE, pattern=PRINTABLE_PATTERN)
    kind: Kind
    config: dict[str, Any] = Field(default_factory=dict, max_length=32)
    secret: str | None = None


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


@contextmanager
def _http_errors() -> Iterator[None]:
    try:
        yield
    except UnknownDestination as exc:
        raise HTTPException(404, str(exc)) from None
    except DestinationInUse as exc:
        raise HTTPException(409, str(exc)) from None
    except DestinationError as exc:
        raise HTTPException(422, str(exc)) from None


def build_destination_router(
    *, destinations: Callable[[], ReportDestinations], report_user: Callable[..., str]
) -> APIRouter:
    """Routes under /reports/destinations: GET (list), GET|PUT|DELETE /{id}, POST /{id}/test."""
    router = APIRouter(tags=["admin"])
    # The caller is named before the service: a refused role gets 403 whatever else is wrong.
    Admin = Annotated[str, Depends(report_user)]
    Destinations = Annotated[ReportDestinations, Depends(destinations)]

    @router.get("/reports/destinations")
    def list_destinations(_admin: Admin, service: Destinations) -> list[dict[str, Any]]:
        return [_plain(d) for d in service.list()]

    @router.get("/reports/destinations/{destination_id}")
    def get_destination(
        destination_id: DestinationId, _admin: Admin, service: Destinations
    ) -> dict[str, Any]:
        with _http_errors():
            return _plain(service.get(destination_id))

    @router.put("/reports/destinations/{destination_id}")
    def save_destination(
        destination_id: DestinationId, body: DestinationIn, actor: Admin, service: Destinations
    ) -> dict[str, Any]:
        with _http_errors():
            return _plain(service.save(destination_id, **body.model_dump(), actor=actor))

    @router.delete("/reports/destinations/{destination_id}", status_code=204)
    def delete_destination(destination_id: DestinationId, actor: Admin, service: Destinations) -> None:
        with _http_errors():
            service.delete(destination_id, actor=actor)

    @router.post("/reports/destinations/{destination_id}/test")
    def test_destination(
        destination_id: DestinationId, _admin: Admin, service: Destinations
    ) -> dict[str, Any]:
        """Connect and list the target folder (blocks up to the destination's timeout)."""
        with _http_errors():
            detail = service.test(destination_id)
        return {"ok": detail.startswith("ok:"), "detail": detail}

    return router

"""Admin HTTP routes for report connectors, mounted by the sync server under /api/v1/admin.

The server passes ``connectors`` (the process's ``Connectors``) and ``report_user`` (authenticates a
user token with a role that may use reports and returns the user id, the audit actor). Routes translate
HTTP to ``Connectors`` calls; no response ever holds a URL's password.

No ``from __future__ import annotations`` here: FastAPI must see the real ``Annotated`` objects of
the dependency aliases, which are local to the router factory.
"""

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from shared.sync.models import PRINTABLE_PATTERN
from sync_server.reports.connector_store import MAX_URL
from sync_server.reports.connectors import (
    ConnectorError,
    ConnectorInUse,
    ConnectorOptions,
    Connectors,
    InvalidConnector,
    UnknownConnector,
)

ConnectorId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class ConnectorIn(BaseModel):
    """A connector to create or update. ``url`` may be left out on update (the stored one is kept);
    so may ``options`` (stored ones kept, defaults for a new connector)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=255, pattern=PRINTABLE_PATTERN)
    url: str | None = Field(None, min_length=1, max_length=MAX_URL, pattern=PRINTABLE_PATTERN)
    options: ConnectorOptions | None = None


class ConnectorPublic(BaseModel):
    """A connector as listed: its URL with the password replaced by ``***``."""

    id: str
    title: str
    dialect: str
    driver: str
    url: str | None
    options: ConnectorOptions
    updated_at: dt.datetime | None
    updated_by: str | None
    builtin: bool


class ConnectorTest(BaseModel):
    ok: bool
    detail: str


def build_connector_router(
    *, connectors: Callable[[], Connectors], report_user: Callable[..., str]
) -> APIRouter:
    """Routes: GET reports/connectors, PUT and DELETE reports/connectors/{id}, POST .../{id}/test."""
    router = APIRouter(tags=["admin"])
    Store = Annotated[Connectors, Depends(connectors)]
    Admin = Annotated[str, Depends(report_user)]

    @router.get("/reports/connectors")
    def list_connectors(_admin: Admin, store: Store) -> list[ConnectorPublic]:
        return [ConnectorPublic(**c) for c in store.list()]

    @router.put("/reports/connectors/{connector_id}")
    def save_connector(
        connector_id: ConnectorId, body: ConnectorIn, actor: Admin, store: Store
    ) -> ConnectorPublic:
        _call(
            lambda: store.save(
                connector_id, title=body.title, url=body.url, options=body.options, actor=actor
            )
        )
        return next(ConnectorPublic(**c) for c in store.list() if c["id"] == connector_id)

    @router.delete("/reports/connectors/{connector_id}", status_code=204)
    def delete_connector(connector_id: ConnectorId, actor: Admin, store: Store) -> None:
        _call(lambda: store.delete(connector_id, actor=actor))

    @router.post("/reports/connectors/{connector_id}/test")
    def test_connector(connector_id: ConnectorId, _admin: Admin, store: Store) -> ConnectorTest:
        try:
            return ConnectorTest(ok=True, detail=store.test(connector_id))
        except UnknownConnector as exc:
            raise HTTPException(404, str(exc)) from None
        except ConnectorError as exc:  # the test ran and the database said no: that is its result
            return ConnectorTest(ok=False, detail=str(exc))

    return router


def _call(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except UnknownConnector as exc:
        raise HTTPException(404, str(exc)) from None
    except ConnectorInUse as exc:
        raise HTTPException(409, str(exc)) from None
    except InvalidConnector as exc:
        raise HTTPException(422, str(exc)) from None

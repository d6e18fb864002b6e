"""The body of a master-data import or preview: one JSON import document, or one ``<entity>.csv``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from shared.sync import ErrorCode
from sync_server.errors import ApiError
from sync_server.http_limits import json_too_deep
from sync_server.state import ServerState

# what OpenAPI says the two routes take (the body is read raw: either content type)
IMPORT_OPENAPI = {
    "requestBody": {
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}
ImportFilename = Annotated[str, Query(max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")]


async def read_import(request: Request, state: ServerState, filename: str) -> bytes:
    """The whole body (bounded while it streams: http_limits.BodyLimit, bulk path), after the checks
    every import gets: CSV needs ``filename=<entity>.csv``; JSON no deeper than max_json_depth."""
    body = await request.body()
    if "csv" in request.headers.get("content-type", "") and not filename.endswith(".csv"):
        raise ApiError(422, ErrorCode.validation_error, "CSV imports need filename=<entity>.csv")
    if json_too_deep(body, state.settings.max_json_depth):
        detail = f"JSON documents may nest at most {state.settings.max_json_depth} levels"
        raise ApiError(422, ErrorCode.validation_error, detail)
    return body

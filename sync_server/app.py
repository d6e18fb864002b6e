"""App factory: one FastAPI app per ServerState; routers per resource; typed errors everywhere."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.sync import ErrorCode
from sync_server import __version__
from sync_server.api import admin, auth, health, machines, masterdata, packets
from sync_server.api.deps import get_admin_name, get_backend, get_state
from sync_server.api.updates import build_updates_router
from sync_server.errors import error_response, install_error_handlers
from sync_server.reports.api import build_admin_backend_router
from sync_server.security_headers import SecurityHeaders
from sync_server.state import ServerState


class BodyLimit:
    """Refuse bodies over the limit early (413) from Content-Length; PATCH chunks have their own limit."""

    def __init__(self, app: ASGIApp, *, max_json_bytes: int, max_chunk_bytes: int) -> None:
        self.app, self.max_json, self.max_chunk = app, max_json_bytes, max_chunk_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            limit = self.max_chunk if scope["method"] == "PATCH" else self.max_json
            for name, value in scope["headers"]:
                if name == b"content-length" and value.isdigit() and int(value) > limit:
                    code = (
                        ErrorCode.chunk_too_large if scope["method"] == "PATCH" else ErrorCode.body_too_large
                    )
                    response = error_response(413, code, f"request bodies are limited to {limit} bytes")
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def create_app(state: ServerState) -> FastAPI:
    app = FastAPI(
        title="OpenReg sync server",
        version=__version__,
        description="Machine enrolment, signed master data sync and resumable packet intake "
        "(docs/sync-protocol.md).",
    )
    app.state.server = state
    install_error_handlers(app)
    for module in (health, machines, auth, masterdata, packets, admin):
        app.include_router(module.router)
    app.include_router(build_updates_router(state.settings.update_repo_dir))
    app.include_router(
        build_admin_backend_router(
            report_service=lambda state=Depends(get_state): get_backend(state).reports,
            id_store=lambda state=Depends(get_state): get_backend(state).id_store,
            admin=get_admin_name,
        ),
        prefix="/api/v1/admin",
    )
    app.add_middleware(
        BodyLimit,
        max_json_bytes=state.settings.max_json_body_bytes,
        max_chunk_bytes=state.settings.max_chunk_bytes,
    )
    app.add_middleware(SecurityHeaders)  # added last = outermost: also on BodyLimit's 413s
    return app

"""App factory: one FastAPI app per ServerState; routers per resource; typed errors everywhere
(services raise domain errors, ``api.errors`` maps them to HTTP)."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from prometheus_client import REGISTRY
from starlette.types import ASGIApp

from sync_server import __version__
from sync_server.api import (
    admin,
    admin_dashboard,
    admin_masterdata_preview,
    admin_packets,
    admin_users,
    auth,
    health,
    keys,
    machines,
    masterdata,
    packets,
)
from sync_server.api import masterdata_problems as masterdata_problems_api
from sync_server.api import resident as resident_api
from sync_server.api.deps import get_backend, get_state, user_name_with
from sync_server.api.errors import install_domain_error_handler
from sync_server.api.updates import build_updates_router
from sync_server.console import resident_page
from sync_server.console.install import install_console
from sync_server.errors import install_error_handlers
from sync_server.http_limits import BodyLimit
from sync_server.observability import routes as observability_routes
from sync_server.observability.collector import Exposition, ServerCollector
from sync_server.observability.http_observer import RequestObserver
from sync_server.reports.api import build_admin_backend_router
from sync_server.reports.definition_api import build_webhook_router
from sync_server.security_headers import SecurityHeaders
from sync_server.services.roles import ADMIN, AUDITOR, REPORT_MANAGER
from sync_server.state import ServerState

# Routes whose bodies may be as large as max_json_body_bytes; all others get max_request_body_bytes.
BULK_BODY_PATHS = (
    "/api/v1/admin/masterdata/import",
    "/api/v1/admin/masterdata/preview",
    "/console/masterdata/upload",
    "/console/reports/mapping-import",  # mapping CSV files up to mapping_csv.MAX_IMPORT_BYTES
)


class ObservedFastAPI(FastAPI):
    """FastAPI with ``RequestObserver`` outside Starlette's last-resort error layer: its 500s get a
    request id, an access-log line and a count too (``add_middleware`` would place it inside)."""

    def build_middleware_stack(self) -> ASGIApp:
        return RequestObserver(super().build_middleware_stack())


def create_app(state: ServerState) -> FastAPI:
    app = ObservedFastAPI(
        title="OpenReg sync server",
        version=__version__,
        description="Machine enrolment, signed master data sync and resumable packet intake "
        "(docs/sync-protocol.md).",
        docs_url=None,  # self-hosted by the console (console.api_docs): no CDN
        redoc_url=None,
    )
    app.state.server = state
    # /metrics: the process-wide instruments and this server's database and disk gauges
    app.state.metrics = Exposition(
        REGISTRY,
        ServerCollector(
            state.engine,
            folders={"data": state.settings.data_dir, "packets": state.settings.blob_dir},
            min_free_bytes=state.settings.min_free_disk_mb * 1024 * 1024,
        ),
    )
    install_error_handlers(app)
    install_domain_error_handler(app)
    app.include_router(observability_routes.router)
    for module in (health, machines, auth, masterdata, packets, admin, keys):
        app.include_router(module.router)
    for module in (admin_dashboard, admin_users, admin_masterdata_preview, admin_packets):
        app.include_router(module.router)
    app.include_router(masterdata_problems_api.router)
    app.include_router(resident_api.router)
    app.include_router(resident_page.router)  # public: residents, no sign-in
    app.include_router(build_updates_router(state.settings.update_repo_dir))
    app.include_router(
        build_admin_backend_router(
            backend=lambda state=Depends(get_state): get_backend(state),
            id_store=lambda state=Depends(get_state): get_backend(state).id_store,
            report_user=user_name_with(ADMIN, REPORT_MANAGER),
            identity_reader=user_name_with(ADMIN, AUDITOR),
        ),
        prefix="/api/v1/admin",
    )
    app.include_router(
        build_webhook_router(
            watcher=lambda state=Depends(get_state): get_backend(state).report_parts.report_triggers,
            report_service=lambda state=Depends(get_state): get_backend(state).reports,
        ),
        prefix="/api/v1",
    )
    install_console(app)
    app.add_middleware(
        BodyLimit,
        max_json_bytes=state.settings.max_json_body_bytes,
        max_chunk_bytes=state.settings.max_chunk_bytes,
        max_body_bytes=state.settings.max_request_body_bytes,
        bulk_paths=BULK_BODY_PATHS,
        max_json_depth=state.settings.max_json_depth,
        max_header_count=state.settings.max_header_count,
        max_header_bytes=state.settings.max_header_bytes,
    )
    # Outermost of the added middleware: also on BodyLimit's 413s. Starlette's own last-resort 500s come
    # from outside all of these; the server process wraps the app once more for them (runner.serve).
    app.add_middleware(SecurityHeaders)
    return app

"""``install_console(app)``: the sign-in steps, every page router, the console's static files, the
self-hosted API docs and the handlers that turn refusals into pages (kept out of the package's
``__init__`` so that a CLI using one console helper does not load every page)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from sync_server.console import sign_in
from sync_server.console.api_docs import install_api_docs
from sync_server.console.guard import install_handlers
from sync_server.console.pages import ROUTERS
from sync_server.console.pages.reports_common import install_report_handlers
from sync_server.console.web import HERE, STATIC_URL


def install_console(app: FastAPI) -> None:
    app.mount(STATIC_URL, StaticFiles(directory=HERE / "static"), name="console-static")
    install_api_docs(app)
    install_handlers(app)
    install_report_handlers(app)
    app.include_router(sign_in.router)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    @app.get("/console", include_in_schema=False)
    def console_root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

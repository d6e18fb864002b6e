"""/docs (Swagger UI) and /redoc served from the server's own copies of their scripts: the files that
the ``fastapi-offline`` package ships (Swagger UI: Apache-2.0, ReDoc: MIT; docs/third-party-assets.md),
so the API reference works with no internet. Started by our own script file: no inline script."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

VENDOR_DIR = Path(fastapi_offline.__file__).parent / "static"
VENDOR_URL = "/console/vendor"
# Both pages style their widgets inline (and ReDoc starts a worker from a blob); scripts stay 'self'.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; worker-src blob:; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
)

_SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - API</title>
<link rel="stylesheet" href="{vendor}/swagger-ui.css">
<link rel="icon" href="/console/static/icon.svg" type="image/svg+xml"></head>
<body><div id="swagger-ui"></div>
<script src="{vendor}/swagger-ui-bundle.js"></script>
<script src="/console/static/docs-init.js"></script></body></html>"""

_REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - API</title>
<link rel="icon" href="/console/static/icon.svg" type="image/svg+xml"></head>
<body><redoc spec-url="/openapi.json"></redoc>
<script src="{vendor}/redoc.standalone.js"></script></body></html>"""


def install_api_docs(app: FastAPI) -> None:
    """Mount the vendored files and the two pages (the app is made with docs_url=redoc_url=None)."""
    app.mount(VENDOR_URL, StaticFiles(directory=VENDOR_DIR), name="console-vendor")
    router = APIRouter(include_in_schema=False)
    headers = {"Content-Security-Policy": DOCS_CSP}

    @router.get("/docs")
    def swagger() -> HTMLResponse:
        return HTMLResponse(_SWAGGER.format(title=app.title, vendor=VENDOR_URL), headers=headers)

    @router.get("/redoc")
    def redoc() -> HTMLResponse:
        return HTMLResponse(_REDOC.format(title=app.title, vendor=VENDOR_URL), headers=headers)

    app.include_router(router)

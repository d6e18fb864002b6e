"""Serves the signed TUF update repository (``openreg release``) as static files.

Kiosks point python-tuf at ``<server>/updates``; it fetches ``/updates/metadata/<file>`` and
``/updates/targets/<file>``. The server adds no trust of its own: every file is signed offline or
by the online snapshot/timestamp keys, so this router only has to serve bytes and refuse paths
outside the repository. Versioned files never change (consistent snapshots) and are cached hard;
``timestamp.json`` and ``root.json`` change in place and are never cached.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_MUTABLE = {"timestamp.json", "root.json", "snapshot.json", "targets.json"}


def build_updates_router(repo_dir: Path | None) -> APIRouter:
    """Router for GET/HEAD /updates/{metadata|targets}/{name}; 404 everywhere when ``repo_dir`` is None."""
    router = APIRouter(prefix="/updates", tags=["updates"])

    @router.api_route("/{area}/{name}", methods=["GET", "HEAD"])
    def update_file(area: str, name: str) -> FileResponse:
        if repo_dir is None or area not in ("metadata", "targets") or not _SAFE_NAME.match(name):
            raise HTTPException(status_code=404, detail="not found")
        path = repo_dir / area / name
        if not path.is_file():
            raise HTTPException(status_code=404, detail="not found")
        cache = "no-cache" if name in _MUTABLE else "public, max-age=31536000, immutable"
        media = "application/json" if name.endswith(".json") else "application/octet-stream"
        return FileResponse(path, media_type=media, headers={"Cache-Control": cache})

    return router

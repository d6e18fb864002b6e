"""Import from a USB stick (issue 21): an admin (a center admin, for kiosks of their centers) picks a
stick mounted on this server, or types the folder; the kiosk exports on it are imported as uploads would
be and each kiosk's acknowledgement is written back onto it (services.media_import).

The result is shown in the answer to the post itself: importing the same stick again is harmless, so a
reload that repeats the post changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from shared.media.drives import removable_drives
from shared.media.layout import NotAnExport
from sync_server.api.deps import StateDep
from sync_server.console.guard import NoAccess, PostedForm, page
from sync_server.console.web import View, render
from sync_server.services import media_import
from sync_server.services.roles import ADMIN, CENTER_ADMIN

router = APIRouter(prefix="/console", include_in_schema=False)
Packets = Annotated[View, page("packets")]
IMPORTERS = frozenset({ADMIN, CENTER_ADMIN})
MAX_PATH = 1024


def may_import(view: View) -> bool:
    """Admins and center admins import; an auditor (who reaches the packets pages) only reads the page."""
    return not view.user.roles.isdisjoint(IMPORTERS)


@router.get("/packets/import")
def import_form(view: Packets) -> Response:
    return _show(view)


@router.post("/packets/import")
def import_folder(view: Packets, form: PostedForm, state: StateDep) -> Response:
    if not may_import(view):
        raise NoAccess(view)
    typed, drive = form.get("folder"), form.get("drive")
    folder = typed if isinstance(typed, str) and typed.strip() else drive  # a typed folder wins
    if not isinstance(folder, str) or not folder.strip() or len(folder) > MAX_PATH or "\x00" in folder:
        return _show(view, error=view.t("import.no_folder"), status=400)
    path = Path(folder.strip())
    if not path.is_absolute():
        return _show(view, error=view.t("import.not_absolute"), folder=folder, status=400)
    try:
        results = media_import.import_stick(
            media_import.context_for(state),
            path.resolve(),
            actor=view.user.username,
            centers=view.user.centers,
        )
    except NotAnExport:
        return _show(view, error=view.t("import.not_an_export", folder=str(path)), folder=folder, status=400)
    return _show(view, folder=folder, results=results)


def _show(
    view: View, *, error: str | None = None, folder: str = "", results=None, status: int = 200
) -> Response:
    return render(
        view,
        "packets_import.html",
        status=status,
        flashes=[("error", error)] if error else [],
        drives=removable_drives() if may_import(view) else [],
        may_import=may_import(view),
        folder=folder,
        results=results,
        scoped=view.user.centers is not None,
    )

"""Navigation slots whose pages other work fills: adjudication (identity lifecycle) and reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from sync_server.console.guard import page
from sync_server.console.web import View, render

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/adjudication")
def adjudication(view: Annotated[View, page("adjudication")]) -> Response:
    return render(view, "slot.html", title_key="nav.adjudication", text_key="slot.adjudication")

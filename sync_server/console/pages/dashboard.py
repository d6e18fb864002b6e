"""The dashboard (every console role)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from sync_server.console.guard import page
from sync_server.console.web import View, render

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/")
def dashboard(view: Annotated[View, page("dashboard")]) -> Response:
    return render(view, "dashboard.html")

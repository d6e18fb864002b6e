"""Admin API routes behind the console's dashboard page(s): each console action has its route here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from shared.sync import ErrorBody
from sync_server.api.deps import SessionDep, user_with
from sync_server.services.auth import Principal, principal_centers
from sync_server.services.console_dashboard import DashboardNumbers, dashboard_numbers
from sync_server.services.roles import CONSOLE_ROLES

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403)}


@router.get("/dashboard", responses=_ERRORS)
def dashboard(
    user: Annotated[Principal, user_with(*sorted(CONSOLE_ROLES))], session: SessionDep
) -> DashboardNumbers:
    """The console dashboard's numbers (a center admin: their centers only): packets by status today
    and this week, the processing queue, late kiosks (48 h) and registrations per center per day."""
    centers = principal_centers(session, user)
    return dashboard_numbers(session, centers=centers)

"""Admin API routes behind the console's packets page(s): each console action has its route here."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

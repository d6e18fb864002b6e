"""Admin API routes behind the console's users page(s): each console action has its route here."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

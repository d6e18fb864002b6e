"""The machines page(s) of the console (see access.PAGES for who reaches them)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/console", include_in_schema=False)

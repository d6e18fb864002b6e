"""The dashboard (every console role): packets, the processing queue, late kiosks and a chart of
registrations per center per day, for the user's centers. The numbers region refreshes itself every
30 s (console.js, data-refresh) by fetching this same page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from shared.sync import PacketState
from sync_server.api.deps import SessionDep
from sync_server.console.guard import page
from sync_server.console.web import View, render
from sync_server.services.console_dashboard import DashboardNumbers, dashboard_numbers

router = APIRouter(prefix="/console", include_in_schema=False)
# Distinct on white and for common color blindness (Okabe-Ito); the last one is "other centers".
COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#6b7280")
SHOWN_CENTERS = len(COLORS) - 1
STATUS_WORDS = {s.value: f"dash.st_{s.value}" for s in PacketState}
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 700, 240, 40, 24, 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Chart:
    series: list[tuple[str, str]]  # (center or "", color); "" is "other centers"
    bars: list[Bar]
    labels: list[tuple[float, str]]  # x, day (every other day)
    ticks: list[tuple[float, int]]  # y, value
    rows: list[tuple[dt.date, list[int], int]]  # day, count per series, total
    top: int


def build_chart(numbers: DashboardNumbers, other: str) -> Chart:
    """Stacked bars: the busiest centers each in their color, the rest together as ``other``."""
    totals: dict[str, int] = {}
    for r in numbers.registrations:
        totals[r.center_id] = totals.get(r.center_id, 0) + r.count
    named = sorted(totals, key=lambda c: (-totals[c], c))[:SHOWN_CENTERS]
    series = [*named, ""] if len(totals) > len(named) else named
    index = {c: i for i, c in enumerate(named)}
    grid = {d: [0] * len(series) for d in numbers.days}
    for r in numbers.registrations:
        if r.day in grid:
            grid[r.day][index.get(r.center_id, len(series) - 1)] += r.count
    top = max([sum(v) for v in grid.values()] + [1])
    scale = (HEIGHT - BOTTOM - TOP) / top
    step = (WIDTH - LEFT) / max(1, len(numbers.days))
    bars, labels = [], []
    for n, day in enumerate(numbers.days):
        x, base = LEFT + n * step + step * 0.15, HEIGHT - BOTTOM
        for i, count in enumerate(grid[day]):
            if count:
                h = count * scale
                base -= h
                name = series[i] or other
                color = COLORS[i] if series[i] else COLORS[-1]
                bars.append(
                    Bar(
                        round(x, 1),
                        round(base, 1),
                        round(step * 0.7, 1),
                        round(h, 1),
                        color,
                        f"{day} {name}: {count}",
                    )
                )
        if n % 2 == len(numbers.days) % 2 or n == len(numbers.days) - 1:
            labels.append((round(x + step * 0.35, 1), day.strftime("%m-%d")))
    ticks = [(round(HEIGHT - BOTTOM - v * scale, 1), v) for v in sorted({0, top // 2, top})]
    return Chart(
        series=[(c, COLORS[i] if c else COLORS[-1]) for i, c in enumerate(series)],
        bars=bars,
        labels=labels,
        ticks=ticks,
        rows=[(d, grid[d], sum(grid[d])) for d in numbers.days],
        top=top,
    )


@router.get("/")
def dashboard(view: Annotated[View, page("dashboard")], session: SessionDep) -> Response:
    numbers = dashboard_numbers(session, centers=view.user.centers)
    return render(
        view,
        "dashboard.html",
        n=numbers,
        chart=build_chart(numbers, view.t("dash.other")),
        status_words=STATUS_WORDS,
        size=(WIDTH, HEIGHT, LEFT, BOTTOM),
    )

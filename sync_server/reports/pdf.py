"""PDF rendering of a report: title, run facts, a bar chart of the first numeric column, the table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

MAX_TABLE_ROWS = 500  # the CSV/JSON carry everything; the PDF is for reading


def _chart(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Drawing | None:
    numeric = [i for i, _ in enumerate(columns) if rows and all(isinstance(r[i], int | float) for r in rows)]
    if not numeric:
        return None
    value_col = numeric[-1]
    label_cols = [i for i in range(len(columns)) if i not in numeric]
    bars = list(rows[:30])
    drawing = Drawing(170 * mm, 75 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 15 * mm, 18 * mm, 150 * mm, 50 * mm
    chart.data = [[float(r[value_col]) for r in bars]]
    chart.categoryAxis.categoryNames = [" ".join(str(r[i]) for i in label_cols)[:14] for r in bars]
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#1f6fb2")
    drawing.add(chart)
    drawing.add(String(15 * mm, 71 * mm, f"{columns[value_col]}", fontSize=9))
    return drawing


def render_pdf(
    path: Path,
    *,
    title: str,
    facts: Sequence[str],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    total_rows: int | None = None,
) -> None:
    """Write the report PDF to ``path``; ``rows`` may be the first of ``total_rows``."""
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(escape(title), styles["Title"])]
    story += [Paragraph(escape(fact), styles["Normal"]) for fact in facts]
    story.append(Spacer(1, 6 * mm))
    chart = _chart(columns, rows)
    if chart is not None:
        story += [chart, Spacer(1, 4 * mm)]
    shown = [list(columns)] + [[str(v) for v in r] for r in rows[:MAX_TABLE_ROWS]]
    if rows:
        table = Table(shown, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                ]
            )
        )
        story.append(table)
    else:
        story.append(Paragraph("No rows.", styles["Italic"]))
    more = max(total_rows or len(rows), len(rows)) - min(len(rows), MAX_TABLE_ROWS)
    if more > 0:
        story.append(Paragraph(f"{more:,} more rows in the CSV/JSON.", styles["Italic"]))
    SimpleDocTemplate(str(path), pagesize=A4, title=title).build(story)

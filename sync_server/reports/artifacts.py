"""Report artifacts: CSV, JSON and PDF files, each with a ``<file>.sha256`` beside it.

The checksum file uses ``sha256sum`` format (``<hex>  <name>``) so anyone can check a delivered
file with ``sha256sum -c``. Files are written to a temp name and renamed, so a half-written
artifact never looks finished.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.files import atomic_write
from sync_server.reports.pdf import render_pdf

FORMATS = ("csv", "json", "pdf")


@dataclass(frozen=True)
class ReportTable:
    """What a report function returns: column names and rows of plain values."""

    columns: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Artifact:
    format: str
    path: Path
    sha256: str
    size: int

    @property
    def checksum_path(self) -> Path:
        return self.path.with_name(self.path.name + ".sha256")


class ChecksumMismatch(Exception):
    pass


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def write_artifacts(
    *, table: ReportTable, title: str, facts: Sequence[str], formats: Sequence[str], out_dir: Path, stem: str
) -> list[Artifact]:
    """Write ``table`` in each format into ``out_dir`` as ``<stem>.<format>`` plus checksum files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [[_plain(v) for v in row] for row in table.rows]
    artifacts = []
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        if fmt == "csv":
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(table.columns)
            writer.writerows(rows)
            atomic_write(path, text.getvalue().encode())
        elif fmt == "json":
            body = {"title": title, "facts": list(facts), "columns": table.columns, "rows": rows}
            atomic_write(path, json.dumps(body, ensure_ascii=False, indent=1).encode())
        elif fmt == "pdf":
            temp = path.with_name(f".{path.name}.tmp")
            render_pdf(temp, title=title, facts=facts, columns=table.columns, rows=rows)
            os.replace(temp, path)
        else:
            raise ValueError(f"unknown report format {fmt!r}; use one of {FORMATS}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        artifact = Artifact(fmt, path, digest, path.stat().st_size)
        atomic_write(artifact.checksum_path, f"{digest}  {path.name}\n".encode())
        artifacts.append(artifact)
    return artifacts


def verify_artifact(path: Path) -> str:
    """Check ``path`` against its ``.sha256`` file; returns the digest or raises ``ChecksumMismatch``."""
    expected, _, name = path.with_name(path.name + ".sha256").read_text().strip().partition("  ")
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if name != path.name or actual != expected:
        raise ChecksumMismatch(f"{path.name}: expected {expected}, got {actual}")
    return actual

"""MOSIP's master-data CSV exports (mosip-data ``mosip_master_csv/csv/`` or ``mosip_master/csv/``:
``location.csv``, ``gender.csv``, ``doc_category.csv``, ``doc_type.csv``, ``valid_document.csv`` or
``applicant_valid_document.csv``) as OpenReg master-data rows.

MOSIP keeps one row per language (``lang_code``); OpenReg keeps one row with ``labels`` per language.
Locations keep the levels OpenReg has (region, province, city, postal_code, by MOSIP's English level
name); a place of another level (country, zone) is left out and its children hang from the place above.
A document type valid in several categories becomes one row per category. XLSX is not read: openpyxl
is not one of OpenReg's dependencies, so save each sheet as CSV (UTF-8).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

from sync_server.masterdata_mosip.hints import LOCATION_LEVELS, level_key
from sync_server.masterdata_mosip.report import ConversionReport, MosipInputError

MAX_CSV_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
COLUMNS = {
    "location": {"lang_code", "code", "name", "hierarchy_level", "hierarchy_level_name", "parent_loc_code"},
    "gender": {"lang_code", "code", "name"},
    "doc_category": {"lang_code", "code", "name"},
    "doc_type": {"lang_code", "code", "name"},
    "valid_document": {"doccat_code", "doctyp_code"},
    "applicant_valid_document": {"doccat_code", "doctyp_code"},
}
KINDS = tuple(COLUMNS)
Rows = list[tuple[int, dict[str, str]]]  # (CSV row number, cells)


def kind_of(name: str) -> str:
    """The MOSIP table a file holds, from its name (``location.csv``, ``master-location.csv``)."""
    path = Path(name)
    if path.suffix.lower() in (".xlsx", ".xls"):
        raise MosipInputError(
            f"{path.name}: XLSX is not read (openpyxl is not an OpenReg dependency); "
            "save the sheet as CSV (UTF-8) and give that"
        )
    stem = path.stem.lower().removeprefix("master-")
    if path.suffix.lower() != ".csv" or stem not in COLUMNS:
        raise MosipInputError(
            f"{path.name}: not a MOSIP master-data CSV this import reads "
            f"({', '.join(k + '.csv' for k in KINDS)})"
        )
    return stem


def read_rows(name: str, content: bytes, kind: str) -> Rows:
    """The rows of one CSV, bounded, with the columns ``kind`` needs; ``MosipInputError`` otherwise."""
    file = Path(name).name
    if len(content) > MAX_CSV_BYTES:
        raise MosipInputError(f"{file}: larger than {MAX_CSV_BYTES // (1024 * 1024)} MiB")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MosipInputError(f"{file}: not UTF-8 ({exc})") from exc
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = {h.strip().lower() for h in reader.fieldnames or [] if h}
        missing = COLUMNS[kind] - header
        if missing:
            raise MosipInputError(f"{file}: missing column(s) {', '.join(sorted(missing))}")
        rows: Rows = []
        for number, raw in enumerate(reader, start=2):
            if len(rows) >= MAX_ROWS:
                raise MosipInputError(f"{file}: more than {MAX_ROWS} rows")
            rows.append(
                (
                    number,
                    {
                        (k or "").strip().lower(): (v or "").strip()
                        for k, v in raw.items()
                        if isinstance(v, str)
                    },
                )
            )
    except csv.Error as exc:
        raise MosipInputError(f"{file}: not a readable CSV ({exc})") from exc
    return rows


def _active(cell: str) -> bool:
    return cell.strip().lower() not in ("false", "f", "0", "no", "n")


class _Coded:
    """Rows of one code across languages: labels, activity, and the first row's other cells."""

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}
        self.active = False
        self.first: dict[str, str] = {}
        self.row = 0

    def add(self, number: int, cells: dict[str, str]) -> None:
        if not self.first or cells.get("lang_code") == "eng":
            self.first, self.row = cells, self.row or number
        lang = cells.get("lang_code") or "eng"
        self.labels.setdefault(lang, cells.get("name") or cells.get("code", ""))
        self.active = self.active or _active(cells.get("is_active", "true"))


def _by_code(rows: Rows, file: str, report: ConversionReport) -> dict[str, _Coded]:
    found: dict[str, _Coded] = defaultdict(_Coded)
    for number, cells in rows:
        code = cells.get("code", "")
        if not code or len(code) > 200:
            report.not_converted(file, f"row {number}", "no code (or longer than 200 characters)")
            continue
        found[code].add(number, cells)
    return dict(found)


def _plain(coded: dict[str, _Coded]) -> list[dict[str, Any]]:
    return [{"id": c, "labels": v.labels, "active": v.active} for c, v in coded.items()]


def _locations(rows: Rows, file: str, report: ConversionReport) -> list[dict[str, Any]]:
    places = _by_code(rows, file, report)
    level_names: dict[int, str] = {}
    levels: dict[str, int] = {}
    for code, place in places.items():
        try:
            levels[code] = int(place.first.get("hierarchy_level", ""))
        except ValueError:
            report.not_converted(
                file, f"row {place.row}", f"location {code!r}: hierarchy_level is not a number"
            )
            continue
        level_names.setdefault(levels[code], place.first.get("hierarchy_level_name", ""))
    kept = {n: LOCATION_LEVELS.get(level_key(name)) for n, name in sorted(level_names.items())}
    for number, level in kept.items():
        if level is None:
            count = sum(1 for lv in levels.values() if lv == number)
            report.changed(
                file,
                f"hierarchy_level {number} ({level_names[number]})",
                f"no OpenReg level: its {count} place(s) are left out and their children hang "
                "from the place above",
            )
    parents = {code: place.first.get("parent_loc_code") or None for code, place in places.items()}
    out = []
    for code, place in places.items():
        level = kept.get(levels.get(code, -1))
        if level is None:
            continue
        parent, seen = parents.get(code), {code}
        while parent is not None and parent in places and kept.get(levels.get(parent, -1)) is None:
            if parent in seen:
                report.not_converted(file, f"row {place.row}", f"location {code!r}: its parents form a cycle")
                parent = None
                break
            seen.add(parent)
            parent = parents.get(parent)
        out.append(
            {"id": code, "level": level, "parent_id": parent, "labels": place.labels, "active": place.active}
        )
    return out


def _document_types(
    types: dict[str, _Coded] | None, pairs: list[tuple[str, str]], file: str, report: ConversionReport
) -> list[dict[str, Any]]:
    if types is None:
        if pairs:
            report.not_converted(
                "valid_document.csv", "$", "document types need doc_type.csv for their names"
            )
        return []
    categories: dict[str, list[str]] = defaultdict(list)
    for category, doc_type in pairs:
        if category not in categories[doc_type]:
            categories[doc_type].append(category)
    out, shared, orphans = [], [], []
    for code, coded in types.items():
        cats = categories.get(code, [])
        if not cats:
            orphans.append(code)
        for category in cats:
            row_id = code if len(cats) == 1 else f"{code}_{category}"
            out.append(
                {
                    "id": row_id,
                    "category_id": category,
                    "labels": coded.labels,
                    "active": coded.active,
                    "mosip_code": code,
                }
            )
        if len(cats) > 1:
            shared.append(code)
    if shared:
        report.changed(
            file,
            "code",
            f"valid in several categories, listed once per category as CODE_CATEGORY "
            f"(an OpenReg document type has one category): {', '.join(shared[:30])}",
        )
    if orphans:
        report.not_converted(
            file,
            "code",
            "no category (give valid_document.csv or "
            f"applicant_valid_document.csv with it): {', '.join(orphans[:30])}",
        )
    return out


def convert_csv_files(files: list[tuple[str, bytes]], report: ConversionReport) -> dict[str, list[dict]]:
    """OpenReg entity -> rows from MOSIP CSV files; ``MosipInputError`` for a file it cannot read."""
    tables: dict[str, tuple[str, Rows]] = {}
    for name, content in files:
        kind = kind_of(name)
        if kind in tables or (
            kind.endswith("valid_document") and any(k.endswith("valid_document") for k in tables)
        ):
            raise MosipInputError(f"{Path(name).name}: a second {kind} file")
        tables[kind] = (Path(name).name, read_rows(name, content, kind))
    entities: dict[str, list[dict]] = {}
    if "location" in tables:
        entities["locations"] = _locations(tables["location"][1], tables["location"][0], report)
    for kind, entity in (("gender", "genders"), ("doc_category", "document_categories")):
        if kind in tables:
            entities[entity] = _plain(_by_code(tables[kind][1], tables[kind][0], report))
    valid = tables.get("valid_document") or tables.get("applicant_valid_document")
    pairs = []
    if valid is not None:
        if valid[0].startswith("applicant"):
            report.changed(
                valid[0],
                "apptyp_code",
                "MOSIP's applicant types are not kept: a document type "
                "is valid for its category whoever the applicant is",
            )
        pairs = [
            (c["doccat_code"], c["doctyp_code"])
            for _n, c in valid[1]
            if c.get("doccat_code") and c.get("doctyp_code") and _active(c.get("is_active", "true"))
        ]
    if "doc_type" in tables or pairs:
        file, rows = tables.get("doc_type", ("doc_type.csv", []))
        types = _by_code(rows, file, report) if "doc_type" in tables else None
        entities["document_types"] = _document_types(types, pairs, file, report)
    return {k: v for k, v in entities.items() if v}

"""Report artifacts, written while the rows stream: CSV, JSON, XML and PDF, each with a
``<file>.sha256`` beside it, and a metadata JSON (``<stem>.meta.json``) that describes the run.

Rows pass once through every writer, so a million-row report never sits in memory (the PDF alone keeps
its first ``pdf.MAX_TABLE_ROWS`` rows: a printed report longer than that is not read by anyone). Files are
written under temporary names and renamed when complete, so a half-written artifact never looks
finished. The checksum files use ``sha256sum`` format (``<hex>  <name>``): anyone can check a
delivered file with ``sha256sum -c``.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree

from shared.files import atomic_write
from sync_server.reports.spec import XmlOptions

FORMATS = ("csv", "json", "xml", "pdf")
SUFFIX = {"csv": "csv", "json": "json", "xml": "xml", "pdf": "pdf", "meta": "meta.json"}


@dataclass(frozen=True)
class ReportTable:
    """What a built-in report function returns: column names and rows of plain values."""

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


class ArtifactError(Exception):
    """An artifact could not be written (e.g. the XML does not match the definition's schema)."""


# Values that JSON/CSV/XML cannot hold as they are, by exact type (a dict lookup per value: the rows
# of a million-row report pass here).
_CONVERT: dict[type, Callable[[Any], Any]] = {
    dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat,
    dt.time: dt.time.isoformat,
    decimal.Decimal: str,
    bytes: bytes.hex,
    memoryview: lambda v: bytes(v).hex(),
}
_PLAIN = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A value as JSON/CSV/XML text can hold it."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    convert = _CONVERT.get(kind)
    if convert is not None:
        return convert(value)
    for base, convert in _CONVERT.items():  # subclasses (e.g. pendulum dates)
        if isinstance(value, base):
            return convert(value)
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class _Writer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.temp = path.with_name(f".{path.name}.part")

    def row(self, row: Sequence[Any]) -> None: ...

    def finish(self, facts: Sequence[str]) -> None: ...

    def commit(self) -> None:
        os.replace(self.temp, self.path)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


class _Csv(_Writer):
    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        super().__init__(path)
        self.file: IO[str] = self.temp.open("w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.file)
        self.writer.writerow(columns)

    def row(self, row: Sequence[Any]) -> None:
        self.writer.writerow(row)

    def finish(self, facts: Sequence[str]) -> None:
        _close(self.file)


class _Json(_Writer):
    def __init__(self, path: Path, columns: Sequence[str], title: str) -> None:
        super().__init__(path)
        self.file: IO[str] = self.temp.open("w", encoding="utf-8")
        head = json.dumps({"title": title, "columns": list(columns)}, ensure_ascii=False)
        self.file.write(head[:-1] + ', "rows": [')
        self.first = True

    def row(self, row: Sequence[Any]) -> None:
        self.file.write(("\n" if self.first else ",\n") + json.dumps(list(row), ensure_ascii=False))
        self.first = False

    def finish(self, facts: Sequence[str]) -> None:
        self.file.write('\n], "facts": ' + json.dumps(list(facts), ensure_ascii=False) + "}\n")
        _close(self.file)


class _Xml(_Writer):
    def __init__(self, path: Path, columns: Sequence[str], options: XmlOptions) -> None:
        super().__init__(path)
        self.columns, self.options = [_xml_name(c) for c in columns], options
        self.binary = self.temp.open("wb")
        self.context = etree.xmlfile(self.binary, encoding="utf-8")
        self.xf = self.context.__enter__()
        self.xf.write_declaration()
        self.root = self.xf.element(options.root)
        self.root.__enter__()

    def row(self, row: Sequence[Any]) -> None:
        element = etree.Element(self.options.row)
        for name, value in zip(self.columns, row, strict=True):
            etree.SubElement(element, name).text = _xml_safe(_text(value))
        self.xf.write(element)

    def finish(self, facts: Sequence[str]) -> None:
        self.root.__exit__(None, None, None)
        self.context.__exit__(None, None, None)
        _close(self.binary)
        if self.options.xsd:
            validate_xml(self.temp, self.options.xsd)


class _Pdf(_Writer):
    def __init__(self, path: Path, columns: Sequence[str], title: str) -> None:
        super().__init__(path)
        # Imported here: reportlab costs 0.2 s at import, and only a PDF needs it.
        from sync_server.reports import pdf

        self.pdf = pdf
        self.columns, self.title = list(columns), title
        self.rows: list[list[Any]] = []
        self.total = 0

    def row(self, row: Sequence[Any]) -> None:
        self.total += 1
        if len(self.rows) < self.pdf.MAX_TABLE_ROWS:
            self.rows.append(list(row))

    def finish(self, facts: Sequence[str]) -> None:
        self.pdf.render_pdf(
            self.temp,
            title=self.title,
            facts=facts,
            columns=self.columns,
            rows=self.rows,
            total_rows=self.total,
        )


def _close(file: IO[Any]) -> None:
    file.flush()
    os.fsync(file.fileno())
    file.close()


def _xml_name(column: str) -> str:
    """A column name as an XML element name (``count(*)`` becomes ``count___``)."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", column) or "_"
    return name if re.match(r"[A-Za-z_]", name) and not name.lower().startswith("xml") else f"_{name}"


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot carry most control characters; a report value must not break the file
    return "".join(c if c in "\t\n\r" or ord(c) >= 0x20 else "\ufffd" for c in text)


def check_xsd(xsd: str) -> etree.XMLSchema:
    """The definition's XML schema, parsed without touching the network or the file system."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.XMLSchema(etree.fromstring(xsd.encode(), parser))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise ArtifactError(f"the definition's XML schema is not valid: {exc}") from None


def validate_xml(path: Path, xsd: str) -> None:
    """Raise ``ArtifactError`` naming the first problems when ``path`` does not match ``xsd``."""
    schema = check_xsd(xsd)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    document = etree.parse(str(path), parser)
    if not schema.validate(document):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
        raise ArtifactError(f"the XML does not match the definition's schema: {problems}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _seal(fmt: str, path: Path) -> Artifact:
    digest = sha256_file(path)
    artifact = Artifact(fmt, path, digest, path.stat().st_size)
    atomic_write(artifact.checksum_path, f"{digest}  {path.name}\n".encode())
    return artifact


@dataclass
class ArtifactSet:
    """Writers for one run: ``add`` each row, then ``finish`` (or ``discard`` on failure)."""

    out_dir: Path
    stem: str
    title: str
    columns: list[str]
    formats: Sequence[str]
    xml: XmlOptions = field(default_factory=XmlOptions)
    rows: int = 0

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown:
            raise ValueError(f"unknown report format {unknown[0]!r}; use one of {FORMATS}")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.writers: dict[str, _Writer] = {}
        for fmt in self.formats:
            path = self.path(fmt)
            self.writers[fmt] = (
                _Csv(path, self.columns)
                if fmt == "csv"
                else _Json(path, self.columns, self.title)
                if fmt == "json"
                else _Xml(path, self.columns, self.xml)
                if fmt == "xml"
                else _Pdf(path, self.columns, self.title)
            )
        self._writers = list(self.writers.values())

    def path(self, fmt: str) -> Path:
        return self.out_dir / f"{self.stem}.{SUFFIX[fmt]}"

    def add(self, row: Sequence[Any]) -> None:
        values = [v if type(v) in _PLAIN else plain(v) for v in row]
        for writer in self._writers:
            writer.row(values)
        self.rows += 1

    def finish(self, facts: Sequence[str]) -> list[Artifact]:
        try:
            for writer in self.writers.values():
                writer.finish(facts)
        except BaseException:
            self.discard()
            raise
        for writer in self.writers.values():
            writer.commit()
        return [_seal(fmt, self.path(fmt)) for fmt in self.writers]

    def discard(self) -> None:
        for writer in self.writers.values():
            try:
                if isinstance(writer, _Csv | _Json):
                    writer.file.close()
                elif isinstance(writer, _Xml):
                    writer.binary.close()
            finally:
                writer.discard()

    def write_metadata(self, metadata: dict[str, Any]) -> Artifact:
        path = self.path("meta")
        atomic_write(path, json.dumps(metadata, ensure_ascii=False, indent=1, default=plain).encode())
        return _seal("meta", path)


def write_artifacts(
    *, table: ReportTable, title: str, facts: Sequence[str], formats: Sequence[str], out_dir: Path, stem: str
) -> list[Artifact]:
    """Write a whole ``table`` at once (tests and small callers)."""
    artifacts = ArtifactSet(out_dir, stem, title, table.columns, formats)
    for row in table.rows:
        artifacts.add(row)
    return artifacts.finish(facts)


def verify_artifact(path: Path) -> str:
    """Check ``path`` against its ``.sha256`` file; returns the digest or raises ``ChecksumMismatch``."""
    expected, _, name = path.with_name(path.name + ".sha256").read_text().strip().partition("  ")
    actual = sha256_file(path)
    if name != path.name or actual != expected:
        raise ChecksumMismatch(f"{path.name}: expected {expected}, got {actual}")
    return actual


def read_csv_rows(path: Path, *, max_rows: int) -> tuple[list[str], Iterable[list[str]]]:
    """Columns and streamed rows of a CSV input (an arrived file or a previous run's artifact)."""
    file = path.open(newline="", encoding="utf-8-sig")
    reader = csv.reader(file)
    try:
        columns = next(reader)
    except StopIteration:
        file.close()
        return [], []

    def rows() -> Iterable[list[str]]:
        with file:
            for count, row in enumerate(reader, 1):
                if count > max_rows:
                    raise ArtifactError(f"{path.name} has more than {max_rows:,} rows")
                yield row

    return columns, rows()

"""One conversion: MOSIP's identity schema, its registration-client processes and its master-data CSVs
in, OpenReg import documents (``openreg-masterdata/1``) and a report out. Pure: no database, no files
written; the CLI (``openreg admin masterdata import-mosip``) writes or imports what this returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.forms import FormSpecError, load_id_schema, load_ui_spec
from sync_server.masterdata_mosip.conditions import MOSIP_AGE_GROUPS
from sync_server.masterdata_mosip.csv_import import convert_csv_files
from sync_server.masterdata_mosip.hints import collect_hints
from sync_server.masterdata_mosip.report import ConversionReport, MosipInputError
from sync_server.masterdata_mosip.schema import convert_identity_schema
from sync_server.masterdata_mosip.ui_spec import ProcessResult, SpecOptions, convert_process, flow_of

MAX_JSON_BYTES = 5 * 1024 * 1024
IMPORT_FORMAT = "openreg-masterdata/1"


@dataclass(frozen=True)
class ConversionOptions:
    schema_id: str = "mosip"
    spec_prefix: str = "mosip_"
    schema_version: int = 1
    spec_versions: dict[str, int] = field(default_factory=dict)  # flow -> version (default 1)
    default_language: str | None = None
    second_language: str | None = None
    consent_template: str | None = None
    age_groups: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(MOSIP_AGE_GROUPS))


@dataclass
class Conversion:
    id_schema: dict[str, Any] | None
    ui_specs: list[dict[str, Any]]
    masterdata: dict[str, list[dict[str, Any]]]
    report: ConversionReport

    def documents(self) -> dict[str, dict[str, Any]]:
        """File name -> import document, for ``openreg admin masterdata import`` (or --out)."""
        docs: dict[str, dict[str, Any]] = {}
        if self.id_schema is not None:
            docs["id_schema.json"] = {"format": IMPORT_FORMAT, "entities": {"id_schema": [self.id_schema]}}
        if self.ui_specs:
            docs["ui_spec.json"] = {"format": IMPORT_FORMAT, "entities": {"ui_spec": self.ui_specs}}
        if self.masterdata:
            docs["masterdata.json"] = {"format": IMPORT_FORMAT, "entities": self.masterdata}
        return docs

    def import_files(self) -> list[tuple[str, bytes]]:
        return [
            (name, json.dumps(doc, ensure_ascii=False).encode()) for name, doc in self.documents().items()
        ]


def read_json(name: str, content: bytes) -> Any:
    """A MOSIP JSON file, bounded; ``MosipInputError`` when it is not one."""
    file = Path(name).name
    if len(content) > MAX_JSON_BYTES:
        raise MosipInputError(f"{file}: larger than {MAX_JSON_BYTES // (1024 * 1024)} MiB")
    try:
        return json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MosipInputError(f"{file}: not JSON ({exc})") from exc


def processes_in(name: str, document: Any) -> list[tuple[str, dict[str, Any]]]:
    """(flow, process) of each process a UI-spec file holds: one process object, a list of them, or
    an object of them by name (``{"newProcess": {...}}``)."""
    if isinstance(document, dict) and "screens" in document:
        candidates = [document]
    elif isinstance(document, list):
        candidates = document
    elif isinstance(document, dict):
        candidates = list(document.values())
    else:
        candidates = []
    found = []
    for process in candidates:
        flow = flow_of(process) if isinstance(process, dict) else None
        if flow is None:
            what = (
                process.get("flow") or process.get("id")
                if isinstance(process, dict)
                else type(process).__name__
            )
            raise MosipInputError(
                f"{Path(name).name}: process {what!r} is not NEW, UPDATE or LOST "
                "(the processes OpenReg's UI specs lay out)"
            )
        found.append((flow, process))
    if not found:
        raise MosipInputError(f"{Path(name).name}: no UI-spec process (screens of fields) in it")
    return found


def convert(
    *,
    schema: tuple[str, bytes] | None,
    ui_specs: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
    csv_files: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
    options: ConversionOptions | None = None,
) -> Conversion:
    """Convert what is given; ``MosipInputError`` names a file that cannot be read. UI specs need
    the identity schema they lay out."""
    options = options or ConversionOptions()
    report = ConversionReport()
    processes: list[tuple[str, str, dict[str, Any]]] = []
    for name, content in ui_specs:
        processes += [(Path(name).name, flow, p) for flow, p in processes_in(name, read_json(name, content))]
    flows = [flow for _s, flow, _p in processes]
    if len(set(flows)) != len(flows):
        raise MosipInputError(f"two UI-spec processes of the same flow ({', '.join(flows)})")
    if processes and schema is None:
        raise MosipInputError("UI specs need the MOSIP identity schema they lay out (--schema)")
    id_schema_row, spec_rows = None, []
    if schema is not None:
        source = Path(schema[0]).name
        hints = collect_hints(processes)
        try:
            converted = convert_identity_schema(
                read_json(*schema),
                hints=hints,
                report=report,
                source=source,
                age_groups=options.age_groups,
            )
        except ValueError as exc:
            if isinstance(exc, MosipInputError):
                raise
            raise MosipInputError(f"{source}: {exc}") from exc
        results: list[ProcessResult] = []
        for file, flow, process in processes:
            version = options.spec_versions.get(flow, 1)
            spec_options = SpecOptions(
                spec_id=f"{options.spec_prefix}{flow}",
                version=version,
                schema_id=options.schema_id,
                default_language=options.default_language,
                second_language=options.second_language,
                consent_template=options.consent_template,
                age_groups=options.age_groups,
            )
            results.append(
                convert_process(
                    process,
                    flow=flow,
                    schema=converted,
                    hints=hints,
                    report=report,
                    source=file,
                    options=spec_options,
                )
            )
        body = {
            "version": options.schema_version,
            "fields": _in_form_order(converted.fields, spec_rows_of(results)),
        }
        id_schema_row = {"id": options.schema_id, "version": options.schema_version, "schema": body}
        spec_rows = [r.row for r in results]
        _check_loads(id_schema_row, spec_rows)
        report.summary["schema"] = {
            "file": source,
            "properties": converted.total,
            "converted": len(converted.id_map),
            "unchanged": sum(
                1
                for m, p in converted.paths.items()
                if m in converted.id_map and not report.touches(source, p)
            ),
            "not_converted": sorted(converted.dropped),
        }
        report.summary["processes"] = {
            r.flow: {
                "fields": r.total,
                "converted": len(r.converted),
                "unchanged": len(r.unchanged),
                "not_converted": r.not_converted,
            }
            for r in results
        }
    masterdata = convert_csv_files(list(csv_files), report) if csv_files else {}
    if masterdata:
        report.summary["masterdata"] = {entity: len(rows) for entity, rows in masterdata.items()}
    return Conversion(id_schema=id_schema_row, ui_specs=spec_rows, masterdata=masterdata, report=report)


def spec_rows_of(results: list[ProcessResult]) -> list[dict[str, Any]]:
    rank = {"new": 0, "update": 1, "lost": 2}
    return [r.row for r in sorted(results, key=lambda r: rank.get(r.flow, 3))]


def _in_form_order(fields: list[dict[str, Any]], specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Schema fields in the order the forms show them (new, then update, lost); the rest after, as
    MOSIP lists them. The order is the record's and the update groups' order."""
    shown = [f["id"] for row in specs for s in row["spec"]["screens"] for f in s["fields"]]
    rank = {field_id: i for i, field_id in reversed(list(enumerate(shown)))}
    return sorted(fields, key=lambda f: rank.get(f["id"], len(shown)))


def _check_loads(schema_row: dict[str, Any], spec_rows: list[dict[str, Any]]) -> None:
    """The converted rows load in OpenReg's forms engine, as kiosk and server load them."""
    try:
        schema = load_id_schema(schema_row)
        for row in spec_rows:
            load_ui_spec(row, schema)
    except FormSpecError as exc:  # a converter bug: never hand such rows on
        raise MosipInputError(f"the converted form does not load in OpenReg: {exc}") from exc

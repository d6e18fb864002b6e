"""``openreg admin masterdata import-mosip``: convert a MOSIP deployment's identity schema, UI-spec
processes and master-data CSVs (sync_server.masterdata_mosip), report what does not convert, and write
the result to a folder (--out) and/or import it as a new version through the ordinary import."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
from sqlalchemy.orm import Session

from shared.cli_output import echo_json, json_option
from sync_server.cli_options import cli_state, db_option, import_refused

_AGE_GROUP = re.compile(r"^\s*([A-Za-z_]+)\s*=\s*(\d{1,3})\s*-\s*(\d{1,3})\s*$")
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def parse_age_groups(text: str) -> dict[str, tuple[int, int]]:
    """``INFANT=0-5,MINOR=6-17`` -> {"INFANT": (0, 5), ...}; ``click.BadParameter`` otherwise."""
    groups: dict[str, tuple[int, int]] = {}
    for part in text.split(","):
        match = _AGE_GROUP.match(part)
        if match is None or int(match.group(2)) > int(match.group(3)):
            raise click.BadParameter(f"{part.strip()!r} is not NAME=MIN-MAX", param_hint="--age-groups")
        groups[match.group(1)] = (int(match.group(2)), int(match.group(3)))
    return groups


def _read(paths: tuple[Path, ...] | list[Path]) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in paths]


@click.command("import-mosip")
@click.option(
    "--data",
    "data_dir",
    default=None,
    type=click.Path(path_type=Path),
    envvar="OPENREG_DATA",
    help="Server data directory (needed with --import).",
)
@db_option
@click.option("--schema", "schema_path", type=_FILE, help="MOSIP identity schema (JSON).")
@click.option(
    "--ui-spec",
    "ui_spec_paths",
    type=_FILE,
    multiple=True,
    help="MOSIP UI-spec process (newProcess, updateProcess, lostProcess JSON); repeatable.",
)
@click.option(
    "--csv",
    "csv_paths",
    type=_FILE,
    multiple=True,
    help="MOSIP master-data CSV (location, gender, doc_category, doc_type, valid_document or "
    "applicant_valid_document); repeatable. XLSX is not read: save it as CSV.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write id_schema.json, ui_spec.json, masterdata.json and report.json here.",
)
@click.option("--import", "do_import", is_flag=True, help="Import the result (all-or-nothing, audited).")
@click.option("--schema-id", default="mosip", show_default=True, help="id of the id_schema row.")
@click.option("--spec-prefix", default="mosip_", show_default=True, help="UI spec row ids: PREFIX + flow.")
@click.option(
    "--version",
    "version",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Version of the schema and specs (default: one past the server's with --import, else 1).",
)
@click.option(
    "--default-language", default=None, help="Form language (default: MOSIP's first label language)."
)
@click.option("--second-language", default=None, help="Language shown beside it (default: MOSIP's second).")
@click.option(
    "--consent-template",
    default=None,
    help="templates row holding the consent text (default: from MOSIP's templateName).",
)
@click.option(
    "--age-groups",
    default="INFANT=0-5,MINOR=6-17,ADULT=18-200",
    show_default=True,
    help="MOSIP age groups, for conditions on ageGroup.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report (JSON) here too.",
)
@json_option
def import_mosip(
    data_dir: Path | None,
    db_url: str | None,
    schema_path: Path | None,
    ui_spec_paths: tuple[Path, ...],
    csv_paths: tuple[Path, ...],
    out_dir: Path | None,
    do_import: bool,
    schema_id: str,
    spec_prefix: str,
    version: int | None,
    default_language: str | None,
    second_language: str | None,
    consent_template: str | None,
    age_groups: str,
    report_path: Path | None,
    as_json: bool,
) -> None:
    """Convert MOSIP's identity schema, UI spec and master-data CSVs; every element that does not
    convert is reported with its JSON path (on stderr). Without --out or --import nothing is written.
    Prints the summary as JSON; with --json one document {"summary", "report", "imported"}."""
    from sync_server.masterdata_mosip import ConversionOptions, MosipInputError, convert
    from sync_server.masterdata_mosip.convert import processes_in, read_json

    if not (schema_path or ui_spec_paths or csv_paths):
        raise click.UsageError("give --schema (with --ui-spec) and/or --csv")
    if do_import and data_dir is None:
        raise click.UsageError("--import needs --data (the server's data directory)")
    options = dict(
        schema_id=schema_id,
        spec_prefix=spec_prefix,
        default_language=default_language,
        second_language=second_language,
        consent_template=consent_template,
        age_groups=parse_age_groups(age_groups),
    )
    try:
        flows = [
            f for name, raw in _read(ui_spec_paths) for f, _p in processes_in(name, read_json(name, raw))
        ]
        state = cli_state(data_dir, db_url) if do_import else None
        schema_version, spec_versions = version or 1, dict.fromkeys(flows, version or 1)
        if state is not None and version is None:
            from sync_server.masterdata_mosip.versions import next_versions

            with Session(state.engine) as session:
                schema_version, spec_versions = next_versions(
                    session, schema_id=schema_id, spec_ids={f: f"{spec_prefix}{f}" for f in flows}
                )
        conversion = convert(
            schema=(schema_path.name, schema_path.read_bytes()) if schema_path else None,
            ui_specs=_read(ui_spec_paths),
            csv_files=_read(csv_paths),
            options=ConversionOptions(schema_version=schema_version, spec_versions=spec_versions, **options),
        )
    except MosipInputError as exc:
        raise click.ClickException(str(exc)) from exc
    report = conversion.report
    for line in report.lines():
        click.echo(line, err=True)
    if report_path is not None:
        report_path.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, document in [*conversion.documents().items(), ("report.json", report.to_json())]:
            (out_dir / name).write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    document = {"summary": report.summary, "report": report.counts()}
    if not as_json:
        click.echo(json.dumps(document, ensure_ascii=False))
    imported = _import(state, conversion.import_files()) if state is not None else None
    if as_json:
        echo_json({**document, "imported": imported})
    elif imported is not None:
        click.echo(json.dumps({"imported": imported}))


def _import(state, files: list[tuple[str, bytes]]) -> dict:
    """Through the ordinary import (all-or-nothing, checked, audited), as ``masterdata import``."""
    from sync_server.services.audit import cli_actor
    from sync_server.services.masterdata import import_documents
    from sync_server.services.masterdata_rules import MasterDataInvalid

    try:
        with Session(state.engine) as session, session.begin():
            result = import_documents(session, files, actor=cli_actor())
    except MasterDataInvalid as exc:
        raise import_refused(exc) from exc
    return result.model_dump()

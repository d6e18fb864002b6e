"""A report definition as data: the ``ReportSpec`` an admin writes (API, CLI file, console form).

Every field is bounded; a spec that validates here can be stored and run. Secrets never appear in a
spec: connectors, destinations and webhook keys are referred to by id and kept encrypted elsewhere.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ColumnName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
Severity = Literal["blocking", "warning"]
Format = Literal["csv", "json", "xml", "pdf"]
RunStatus = Literal["succeeded", "warning", "failed"]

SERVER_CONNECTOR = "server"  # the server's own database, read-only; always present
INPUT_PARAMETER = "input_file"  # set by file triggers and chaining only, never by a caller
MAX_SQL = 20_000
MAX_CODE = 100_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterLookup(_Strict):
    """The parameter's value is ``lookup(set, value of key_parameter)`` at run time."""

    set: Identifier
    key_parameter: ColumnName


class Parameter(_Strict):
    """A named SQL parameter (``:name`` in the query), with its type and default."""

    name: ColumnName
    type: Literal["string", "integer", "number", "date", "boolean"] = "string"
    default: str | int | float | bool | None = None
    required: bool = False
    lookup: ParameterLookup | None = None


class BuiltinSource(_Strict):
    kind: Literal["builtin"] = "builtin"
    function: Identifier
    parameters: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=32)


class SqlSource(_Strict):
    kind: Literal["sql"] = "sql"
    connector: Identifier = SERVER_CONNECTOR
    query: str = Field(min_length=1, max_length=MAX_SQL)


class InputSource(_Strict):
    """The rows of the CSV that started the run: the file a file trigger saw, or the CSV artifact of
    the run this definition is chained after (``triggers.after``)."""

    kind: Literal["input"] = "input"


class Transform(_Strict):
    """Python run in a sandboxed process: ``def transform(rows, params, lookup)`` yields dict rows."""

    code: str = Field(min_length=1, max_length=MAX_CODE)
    mappings: list[Identifier] = Field(default_factory=list, max_length=16)  # sets ``lookup`` may read
    timeout_s: float = Field(30, gt=0, le=3600)
    cpu_s: int = Field(20, ge=1, le=3600)
    memory_mb: int = Field(256, ge=64, le=4096)
    max_output_mb: int = Field(64, ge=1, le=2048)


class ColumnMapping(_Strict):
    """Add ``as_column`` = lookup(set, row[column]) to every row (on the run's date)."""

    column: ColumnName
    set: Identifier
    as_column: ColumnName


class SqlCheck(_Strict):
    """A query that must return no rows (``expect='no_rows'``) or a count within bounds."""

    kind: Literal["sql"] = "sql"
    name: Annotated[str, Field(min_length=1, max_length=128)]
    connector: Identifier | None = None  # default: the source's connector (or the server's)
    query: str = Field(min_length=1, max_length=MAX_SQL)
    expect: Literal["no_rows", "count"] = "no_rows"
    min: int | None = None
    max: int | None = None
    severity: Severity = "blocking"


class RowRule(_Strict):
    """An expression over each result row's columns (e.g. ``received >= processed``); a row where it
    is false fails the rule."""

    kind: Literal["rule"] = "rule"
    name: Annotated[str, Field(min_length=1, max_length=128)]
    expression: str = Field(min_length=1, max_length=2000)
    severity: Severity = "blocking"


Validation = Annotated[SqlCheck | RowRule, Field(discriminator="kind")]


class XmlOptions(_Strict):
    root: ColumnName = "report"
    row: ColumnName = "row"
    xsd: str | None = Field(None, max_length=200_000)  # the artifact is validated against it


class Route(_Strict):
    """Send a run's artifacts to ``destination`` when every given condition holds."""

    destination: Identifier
    statuses: list[RunStatus] = Field(default_factory=lambda: ["succeeded", "warning"], min_length=1)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] | None = None  # 0 = Monday, in the schedule's zone
    min_bytes: int | None = Field(None, ge=0)
    max_bytes: int | None = Field(None, ge=0)
    formats: list[Format | Literal["meta"]] | None = None  # None: every artifact


class Schedule(_Strict):
    cron: str | None = Field(None, max_length=128)
    timezone: str = "UTC"
    # any: fire on every cron day; skip: not on weekends and holidays; next/previous: move such a
    # firing to the next/previous business day
    business_days: Literal["any", "skip", "next", "previous"] = "any"
    holiday_country: str | None = Field(None, pattern=r"^[A-Z]{2}$")  # the ``holidays`` package
    holiday_subdivision: str | None = Field(None, max_length=16)
    weekend: list[Annotated[int, Field(ge=0, le=6)]] = Field(default_factory=lambda: [5, 6])

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"[0-9A-Za-z*/,\- ]+", value) or len(value.split()) not in (5, 6):
            raise ValueError("cron needs five fields (minute hour day month weekday), or six with seconds")
        from sync_server.reports.schedule import cron_trigger

        cron_trigger(value, "UTC")  # raises ValueError on a bad field
        return " ".join(value.split())


class FileTrigger(_Strict):
    """Run when a file matching ``pattern`` appears in ``folder``, a folder under the server's report
    inbox (``<data>/reports/inbox``): reports never read files elsewhere on the server."""

    folder: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
    pattern: str = Field("*", min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.*?\[\]-]+$")


class WatermarkTrigger(_Strict):
    """Run when ``query`` (one value, e.g. ``SELECT max(id) FROM t``) returns more than last time."""

    connector: Identifier = SERVER_CONNECTOR
    query: str = Field(min_length=1, max_length=MAX_SQL)


class Triggers(_Strict):
    file: FileTrigger | None = None
    watermark: WatermarkTrigger | None = None
    webhook: bool = False  # POST /api/v1/reports/hooks/{id}, HMAC-signed with the definition's key
    after: list[Identifier] = Field(default_factory=list, max_length=16)  # run when one of these succeeds


class ReportSpec(_Strict):
    title: Annotated[str, Field(min_length=1, max_length=255)]
    description: str = Field("", max_length=4000)
    parameters: list[Parameter] = Field(default_factory=list, max_length=32)
    source: Annotated[BuiltinSource | SqlSource | InputSource, Field(discriminator="kind")]
    mappings: list[ColumnMapping] = Field(default_factory=list, max_length=16)
    transform: Transform | None = None
    validations: list[Validation] = Field(default_factory=list, max_length=32)
    formats: list[Format] = Field(default_factory=lambda: ["csv", "json", "pdf"], min_length=1)
    xml: XmlOptions = Field(default_factory=XmlOptions)
    routes: list[Route] = Field(default_factory=list, max_length=16)
    schedule: Schedule = Field(default_factory=Schedule)
    triggers: Triggers = Field(default_factory=Triggers)
    active: bool = True

    @model_validator(mode="after")
    def _unique_names(self) -> ReportSpec:
        if any(p.name == INPUT_PARAMETER for p in self.parameters):
            raise ValueError(f"{INPUT_PARAMETER!r} is set by triggers; name the parameter differently")
        for label, names in (
            ("parameter", [p.name for p in self.parameters]),
            ("validation", [v.name for v in self.validations]),
            ("format", list(self.formats)),
        ):
            if len(names) != len(set(names)):
                raise ValueError(f"each {label} may appear once")
        return self

    def validations_of(self, kind: Literal["sql"] | Literal["rule"]) -> list[Any]:
        return [v for v in self.validations if v.kind == kind]

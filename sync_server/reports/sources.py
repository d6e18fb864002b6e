"""Where a run's rows come from, and what happens to them before the artifacts: parameters resolved,
the source opened (built-in function, SQL through a connector, or the input CSV), column mappings
added, and the sandboxed transform applied. Rows stream through as iterators.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from sync_server.reports.artifacts import read_csv_rows
from sync_server.reports.builtin import REPORTS, ReportContext
from sync_server.reports.mapping_rules import MappingTable
from sync_server.reports.spec import INPUT_PARAMETER, BuiltinSource, InputSource, ReportSpec, SqlSource

MAX_INPUT_ROWS = 10_000_000
KIND_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "date": "a date (YYYY-MM-DD)",
    "boolean": "true or false",
}


class ParameterError(ValueError):
    """A run parameter is missing, unknown or of the wrong type."""


class QueryPort(Protocol):
    """What runs need of the connectors (``sync_server.reports.connectors.Connectors``)."""

    def query(
        self, connector_id: str, sql: str, params: Mapping[str, Any]
    ) -> AbstractContextManager[Any]: ...

    def scalar(self, connector_id: str, sql: str, params: Mapping[str, Any]) -> Any: ...


class LookupPort(Protocol):
    """What runs need of the mappings (``sync_server.reports.mappings.MappingLookup``)."""

    def table(self, set_id: str) -> MappingTable: ...


def _coerce(kind: str, name: str, value: Any) -> Any:
    try:
        if kind == "integer":
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind == "number":
            return float(value)
        if kind == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text in ("true", "1", "yes")
        return str(value)
    except (TypeError, ValueError):
        raise ParameterError(f"parameter {name!r} must be {KIND_WORDS[kind]}, not {value!r}") from None


def resolve_parameters(
    spec: ReportSpec,
    given: Mapping[str, Any],
    *,
    lookups: LookupPort | None,
    run_date: dt.date,
    trusted: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The run's parameter values: declared defaults, then ``given`` (from the caller: only declared
    names), coerced to their types; then lookups. ``trusted`` (the input file of a trigger) is added
    as is."""
    declared = {p.name: p for p in spec.parameters}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ParameterError(
            f"unknown parameter {unknown[0]!r}; this report takes {sorted(declared) or 'none'}"
        )
    values: dict[str, Any] = {}
    for name, parameter in declared.items():
        raw = given.get(name, parameter.default)
        if raw is None or raw == "":
            if parameter.required and parameter.lookup is None:
                raise ParameterError(f"parameter {name!r} is required")
            values[name] = None
            continue
        values[name] = _coerce(parameter.type, name, raw)
    for name, parameter in declared.items():
        if parameter.lookup is not None:
            if lookups is None:
                raise ParameterError("mappings are not available on this server")
            key = values.get(parameter.lookup.key_parameter)
            values[name] = lookups.table(parameter.lookup.set).resolve(key, run_date)
    return values | dict(trusted or {})


class Rows:
    """An open source: ``columns`` and a one-pass ``rows`` iterator; ``close`` ends it early."""

    def __init__(self, columns: list[str], rows: Iterable[Any], close: Callable[[], None] = lambda: None):
        self.columns = columns
        self.rows: Iterator[Any] = iter(rows)
        self.close = close


@contextmanager
def open_source(
    spec: ReportSpec,
    params: Mapping[str, Any],
    *,
    context: Callable[[], ReportContext],
    queries: QueryPort | None,
) -> Iterator[Rows]:
    source = spec.source
    if isinstance(source, BuiltinSource):
        function = REPORTS.get(source.function)
        if function is None:
            raise ParameterError(f"unknown built-in report {source.function!r}; known: {sorted(REPORTS)}")
        table = function(
            context(), dict(source.parameters) | {k: v for k, v in params.items() if v is not None}
        )
        yield Rows(list(table.columns), table.rows)
    elif isinstance(source, SqlSource):
        if queries is None:
            raise ParameterError("database connectors are not available on this server")
        sql_params = {k: v for k, v in params.items() if k != INPUT_PARAMETER}
        with queries.query(source.connector, source.query, sql_params) as result:
            yield Rows(list(result.columns), result.rows)
    elif isinstance(source, InputSource):
        path = params.get(INPUT_PARAMETER)
        if not path:
            raise ParameterError(
                "this report reads the CSV that starts it (a file trigger or a chained report); run it that way"
            )
        columns, rows = read_csv_rows(Path(path), max_rows=MAX_INPUT_ROWS)
        yield Rows(columns, rows, getattr(rows, "close", lambda: None))
    else:  # pragma: no cover - the spec's union is exhaustive
        raise ParameterError(f"unknown source {source!r}")


def with_mappings(spec: ReportSpec, rows: Rows, *, lookups: LookupPort | None, run_date: dt.date) -> Rows:
    """Add each column mapping's column (``as_column`` = lookup(set, row[column]))."""
    if not spec.mappings:
        return rows
    if lookups is None:
        raise ParameterError("mappings are not available on this server")
    plan = []
    for mapping in spec.mappings:
        if mapping.column not in rows.columns:
            raise ParameterError(
                f"mapping on {mapping.column!r}: the report has no such column ({rows.columns})"
            )
        plan.append((rows.columns.index(mapping.column), lookups.table(mapping.set)))

    def mapped() -> Iterator[list[Any]]:
        for row in rows.rows:
            yield [*row, *(table.resolve(row[index], run_date) for index, table in plan)]

    return Rows(rows.columns + [m.as_column for m in spec.mappings], mapped(), rows.close)

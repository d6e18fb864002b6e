"""Report definitions as versioned data: every save is a new version, runs record the one they ran.

``save`` takes the version the editor started from (``expected_version``): when someone else saved in
between, the save is refused (``VersionConflict``) instead of silently overwriting their edit.
Safe to share between threads (each call uses its own connection).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, func, insert, select, update

from sync_server.reports.spec import SERVER_CONNECTOR, BuiltinSource, ReportSpec
from sync_server.reports.tables import (
    mapping_sets,
    report_connectors,
    report_definition_versions,
    report_definitions,
    report_destinations,
)
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow


class DefinitionNotFound(KeyError):
    pass


class VersionConflict(Exception):
    """The definition changed since the editor loaded it."""


class InvalidDefinition(ValueError):
    """The spec does not validate, or refers to something that does not exist."""


@dataclass(frozen=True)
class Definition:
    id: str
    version: int
    owner: str
    spec: ReportSpec

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def active(self) -> bool:
        return self.spec.active


def parse_spec(data: Any) -> ReportSpec:
    """A stored or posted spec as a ``ReportSpec``, or ``InvalidDefinition`` with every problem named."""
    try:
        return ReportSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'spec'}: {e['msg']}" for e in exc.errors()[:10]
        )
        raise InvalidDefinition(problems) from None


def reference_problems(conn: Connection, spec: ReportSpec, *, functions: set[str]) -> list[str]:
    """What ``spec`` names that does not exist or does not parse: connectors, destinations, mapping
    sets, chained definitions, the built-in function, row rules, the XML schema, the holiday country."""
    from sync_server.reports.artifacts import ArtifactError, check_xsd
    from sync_server.reports.schedule import Calendar
    from sync_server.reports.validations import RowRules, RuleError

    def ids(table: Any) -> set[str]:
        return set(conn.execute(select(table.c.id)).scalars())

    problems = []
    connectors = ids(report_connectors) | {SERVER_CONNECTOR}
    named = [
        getattr(spec.source, "connector", None),
        *(getattr(v, "connector", None) for v in spec.validations),
    ]
    if spec.triggers.watermark:
        named.append(spec.triggers.watermark.connector)
    problems += [f"no connector {c!r}" for c in dict.fromkeys(named) if c and c not in connectors]
    destinations = ids(report_destinations)
    problems += [
        f"no destination {r.destination!r}" for r in spec.routes if r.destination not in destinations
    ]
    sets = ids(mapping_sets)
    wanted = [m.set for m in spec.mappings] + [p.lookup.set for p in spec.parameters if p.lookup]
    wanted += spec.transform.mappings if spec.transform else []
    problems += [f"no mapping set {s!r}" for s in dict.fromkeys(wanted) if s not in sets]
    definitions = ids(report_definitions)
    problems += [f"no report {d!r} to run after" for d in spec.triggers.after if d not in definitions]
    if isinstance(spec.source, BuiltinSource) and spec.source.function not in functions:
        problems.append(f"no built-in report {spec.source.function!r}; known: {', '.join(sorted(functions))}")
    try:
        RowRules(spec.validations_of("rule"), [])
    except RuleError as exc:
        problems.append(str(exc))
    if spec.xml.xsd:
        try:
            check_xsd(spec.xml.xsd)
        except ArtifactError as exc:
            problems.append(str(exc))
    try:
        Calendar.of(spec.schedule)
    except ValueError as exc:
        problems.append(str(exc))
    return problems


class ReportDefinitions:
    def __init__(self, engine: Engine, *, functions: set[str] | None = None) -> None:
        self.engine = engine
        self.functions = functions if functions is not None else set()

    def list(self) -> list[Definition]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(report_definitions).order_by(report_definitions.c.id)).mappings().all()
        return [Definition(r["id"], r["version"], r["owner"], parse_spec(r["spec"])) for r in rows]

    def get(self, definition_id: str, version: int | None = None) -> Definition:
        with self.engine.connect() as conn:
            head = (
                conn.execute(select(report_definitions).where(report_definitions.c.id == definition_id))
                .mappings()
                .first()
            )
            if head is None:
                raise DefinitionNotFound(f"no report definition {definition_id!r}")
            if version is None or version == head["version"]:
                return Definition(definition_id, head["version"], head["owner"], parse_spec(head["spec"]))
            spec = conn.execute(
                select(report_definition_versions.c.spec).where(
                    report_definition_versions.c.definition_id == definition_id,
                    report_definition_versions.c.version == version,
                )
            ).scalar_one_or_none()
        if spec is None:
            raise DefinitionNotFound(f"report definition {definition_id!r} has no version {version}")
        return Definition(definition_id, version, head["owner"], parse_spec(spec))

    def versions(self, definition_id: str) -> list[dict[str, Any]]:
        """Every version, newest first: version, author, created_at, spec."""
        query = (
            select(report_definition_versions)
            .where(report_definition_versions.c.definition_id == definition_id)
            .order_by(report_definition_versions.c.version.desc())
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def save(
        self,
        definition_id: str,
        spec: ReportSpec,
        *,
        actor: str,
        expected_version: int | None = None,
        audit: bool = True,
    ) -> int:
        """Store ``spec`` as the next version (the first creates the definition); returns the version.

        ``expected_version``: the version the edit started from (None: create, or overwrite blindly
        where the caller has no editor state, e.g. the CLI). ``audit=False`` only for what the server
        installs itself (the built-in definitions): the audit log records what people did."""
        body = spec.model_dump(mode="json")
        with self.engine.begin() as conn:
            problems = reference_problems(conn, spec, functions=self.functions)
            if problems:
                raise InvalidDefinition("; ".join(problems))
            current = conn.execute(
                select(report_definitions.c.version, report_definitions.c.spec).where(
                    report_definitions.c.id == definition_id
                )
            ).first()
            if current is not None and expected_version is not None and current.version != expected_version:
                raise VersionConflict(
                    f"{definition_id} is at version {current.version} now (you edited version "
                    f"{expected_version}); reload it and apply your change again"
                )
            if current is not None and current.spec == body:
                return current.version  # nothing changed: no new version
            version = 1 if current is None else current.version + 1
            if current is None:
                conn.execute(
                    insert(report_definitions).values(
                        id=definition_id,
                        title=spec.title,
                        owner=actor,
                        version=1,
                        spec=body,
                        active=spec.active,
                    )
                )
            else:
                done = conn.execute(
                    update(report_definitions)
                    .where(report_definitions.c.id == definition_id)
                    .where(report_definitions.c.version == current.version)
                    .values(title=spec.title, version=version, spec=body, active=spec.active)
                )
                if done.rowcount != 1:
                    raise VersionConflict(f"{definition_id} changed while saving; reload it and try again")
            conn.execute(
                insert(report_definition_versions).values(
                    definition_id=definition_id, version=version, spec=body, author=actor, created_at=utcnow()
                )
            )
            if audit:
                append_audit(
                    conn,
                    actor=actor,
                    action="reports.definition.save",
                    target=definition_id,
                    details={"version": version},
                )
        return version

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(report_definitions)).scalar_one()

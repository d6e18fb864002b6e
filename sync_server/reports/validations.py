"""Report validations: SQL checks and row rules, each blocking (the run fails, nothing is delivered) or a
warning (delivered, flagged).

Row rules are expressions over a row's columns (``received >= processed and center_id != ''``),
evaluated with ``simpleeval`` (no ``eval``: names, literals, comparisons, arithmetic and a few safe
functions only), parsed once and checked on every row as the rows stream to the artifacts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpleeval

from sync_server.reports.spec import RowRule, SqlCheck

MAX_EXAMPLES = 5
FUNCTIONS = {
    "len": len,
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
    "int": int,
    "float": float,
    "str": str,
    "lower": lambda s: str(s).lower(),
    "upper": lambda s: str(s).upper(),
    "is_empty": lambda v: v is None or v == "",
    "date": lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10]),
}


class RuleError(ValueError):
    """A rule that cannot be parsed, or names a column the report does not have."""


@dataclass(frozen=True)
class Outcome:
    name: str
    kind: str
    severity: str
    passed: bool
    detail: str


@dataclass
class RowRules:
    """The definition's row rules, compiled for ``columns``; ``check`` each row, then ``outcomes``."""

    rules: Sequence[RowRule]
    columns: Sequence[str]
    failures: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    checked: int = 0

    def __post_init__(self) -> None:
        self._evaluator = simpleeval.SimpleEval(functions=FUNCTIONS)
        self._parsed: list[tuple[RowRule, Any]] = []
        for rule in self.rules:
            try:
                parsed = self._evaluator.parse(rule.expression)
            except SyntaxError as exc:
                raise RuleError(f"rule {rule.name!r}: {exc.msg} in {rule.expression!r}") from None
            self._parsed.append((rule, parsed))
            self.failures[rule.name] = 0
            self.examples[rule.name] = []

    def check(self, row: Sequence[Any]) -> None:
        if not self._parsed:
            return
        self.checked += 1
        self._evaluator.names = dict(zip(self.columns, row, strict=False))
        for rule, parsed in self._parsed:
            try:
                ok = bool(self._evaluator.eval(rule.expression, previously_parsed=parsed))
                why = ""
            except simpleeval.NameNotDefined as exc:
                raise RuleError(f"rule {rule.name!r} names {exc.name!r}, which is not a column") from None
            except Exception as exc:  # a row whose values the rule cannot compare
                ok, why = False, f" ({type(exc).__name__}: {exc})"
            if not ok:
                self.failures[rule.name] += 1
                if len(self.examples[rule.name]) < MAX_EXAMPLES:
                    self.examples[rule.name].append(f"row {self.checked}{why}")

    def outcomes(self) -> list[Outcome]:
        found = []
        for rule, _ in self._parsed:
            failed = self.failures[rule.name]
            detail = (
                f"all {self.checked:,} rows pass"
                if not failed
                else f"{failed:,} of {self.checked:,} rows fail: {', '.join(self.examples[rule.name])}"
            )
            found.append(Outcome(rule.name, "rule", rule.severity, not failed, detail))
        return found


def run_sql_check(check: SqlCheck, scalar: Callable[[str], Any]) -> Outcome:
    """Run one SQL check through ``scalar`` (a one-value query on the check's connector)."""
    if check.expect == "no_rows":
        count = scalar(f"SELECT count(*) FROM ({check.query.strip().rstrip(';')}) openreg_check")
        passed = count == 0
        detail = "no rows" if passed else f"{count:,} rows where none were expected"
    else:
        count = scalar(check.query)
        try:
            count = int(count)
        except (TypeError, ValueError):
            return Outcome(
                check.name, "sql", check.severity, False, f"the query returned {count!r}, not a count"
            )
        low = check.min if check.min is not None else count
        high = check.max if check.max is not None else count
        passed = low <= count <= high
        bounds = f"[{'' if check.min is None else check.min}, {'' if check.max is None else check.max}]"
        detail = f"count {count:,} " + ("within " if passed else "outside ") + bounds
    return Outcome(check.name, "sql", check.severity, passed, detail)


def run_status(outcomes: Sequence[Outcome]) -> str:
    """succeeded, warning (a warning failed) or failed (a blocking check failed)."""
    if any(not o.passed and o.severity == "blocking" for o in outcomes):
        return "failed"
    if any(not o.passed for o in outcomes):
        return "warning"
    return "succeeded"

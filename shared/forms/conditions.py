"""Safe condition expressions for ``visible_on`` / ``required_on``.

The text is parsed with :mod:`ast` (parsing only, never compiled or executed) and the tree is walked by a
tiny interpreter that accepts a whitelisted grammar:

    expr     := expr ("and" | "or") expr | "not" expr | compare | atom
    compare  := atom (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") atom)+
    atom     := field name | string | number | true/false/null | [atom, ...] | func(field)
    func     := age | empty | len | lower

Anything else (attributes, subscripts, lambdas, arbitrary calls, dunder names) is refused when the spec is
loaded, so a spec from master data can never run code on the kiosk or the server.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

MAX_EXPRESSION_LENGTH = 500
_CONSTANT_NAMES = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


class ConditionError(ValueError):
    """A condition expression is outside the allowed grammar."""


def age_in_years(value: Any, today: date) -> int | None:
    """Full years between an ISO date (or date) and ``today``; None when the value is not a date."""
    try:
        born = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return None
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return years


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict | tuple) and len(value) == 0)


_COMPARATORS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a is not None and b is not None and a < b,
    ast.LtE: lambda a, b: a is not None and b is not None and a <= b,
    ast.Gt: lambda a, b: a is not None and b is not None and a > b,
    ast.GtE: lambda a, b: a is not None and b is not None and a >= b,
    ast.In: lambda a, b: b is not None and a in b,
    ast.NotIn: lambda a, b: b is None or a not in b,
}
_FUNCTIONS = {"age", "empty", "len", "lower"}


def _check(node: ast.AST) -> None:
    """Refuse any node outside the whitelisted grammar."""
    if isinstance(node, ast.Expression):
        _check(node.body)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        _check(node.operand)
    elif isinstance(node, ast.Compare):
        if not all(type(op) in _COMPARATORS for op in node.ops):
            raise ConditionError("unsupported comparison operator")
        _check(node.left)
        for comparator in node.comparators:
            _check(comparator)
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ConditionError(f"name {node.id!r} is not allowed")
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, str | int | float | bool | type(None)):
            raise ConditionError("only string, number, boolean and null constants are allowed")
    elif isinstance(node, ast.List | ast.Tuple):
        for element in node.elts:
            _check(element)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            raise ConditionError(f"only the functions {sorted(_FUNCTIONS)} may be called")
        if node.keywords or len(node.args) != 1:
            raise ConditionError(f"{node.func.id}() takes exactly one argument")
        _check(node.args[0])
    else:
        raise ConditionError(f"{type(node).__name__} is not allowed in a condition")


@lru_cache(maxsize=1024)
def parse_condition(text: str) -> ast.Expression:
    """Parse and whitelist-check ``text``; raise :class:`ConditionError` if it is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("a condition must be a non-empty string")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ConditionError(f"a condition may be at most {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"condition {text!r} is not valid: {exc.msg}") from exc
    _check(tree)
    return tree


def names_in(text: str) -> set[str]:
    """Field names a condition refers to (for spec checks: every name must be a known field)."""
    return {
        node.id
        for node in ast.walk(parse_condition(text))
        if isinstance(node, ast.Name) and node.id not in _CONSTANT_NAMES and node.id not in _FUNCTIONS
    }


def evaluate_condition(text: str, values: Mapping[str, Any], *, today: date | None = None) -> bool:
    """Evaluate ``text`` against form ``values``; unknown or unset fields read as null."""
    tree = parse_condition(text)
    return bool(_Evaluator(values, today or date.today()).visit(tree.body))


class _Evaluator:
    def __init__(self, values: Mapping[str, Any], today: date) -> None:
        self.values = values
        self.today = today

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(self.visit(v) for v in node.values)
            return any(self.visit(v) for v in node.values)
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return not operand
            return -operand if isinstance(operand, int | float) else None
        if isinstance(node, ast.Compare):
            left = self.visit(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self.visit(right_node)
                try:
                    if not _COMPARATORS[type(op)](left, right):
                        return False
                except TypeError:
                    return False
                left = right
            return True
        if isinstance(node, ast.Name):
            if node.id in _CONSTANT_NAMES:
                return _CONSTANT_NAMES[node.id]
            return self.values.get(node.id)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.List | ast.Tuple):
            return [self.visit(e) for e in node.elts]
        if isinstance(node, ast.Call):
            arg = self.visit(node.args[0])
            name = node.func.id  # type: ignore[attr-defined]
            if name == "age":
                return None if _is_empty(arg) else age_in_years(arg, self.today)
            if name == "empty":
                return _is_empty(arg)
            if name == "len":
                return 0 if arg is None else len(arg) if hasattr(arg, "__len__") else len(str(arg))
            return str(arg).lower() if arg is not None else None
        raise ConditionError(f"{type(node).__name__} is not allowed")  # unreachable after _check

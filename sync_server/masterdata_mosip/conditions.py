"""MOSIP's MVEL field conditions (``visible``, ``requiredOn``) in OpenReg's condition language.

The common forms convert; anything else raises :class:`NotConvertible` with the reason, for the report:

* ``identity.get('f')``, ``identity.f`` and ``identity['f']`` read field ``f`` (renamed as converted);
* ``== != < <= > >=`` against strings, numbers, ``nil``/``null`` and ``empty``; ``&& || !`` and brackets;
* ``identity.get('ageGroup') == 'INFANT'`` becomes an age range on the date-of-birth field, from MOSIP's
  age groups (default ``INFANT`` 0-5, ``MINOR`` 6-17, ``ADULT`` 18-200);
* in an update, ``identity.updatableFieldGroups contains 'G'`` becomes "a field of group G has a value"
  (an OpenReg update form holds only the groups being changed).

The result is parsed by OpenReg's own parser (``shared.forms.conditions``) before it is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.forms.conditions import MAX_EXPRESSION_LENGTH, ConditionError, parse_condition

MAX_MVEL_LENGTH = 2000
MOSIP_AGE_GROUPS = {"INFANT": (0, 5), "MINOR": (6, 17), "ADULT": (18, 200)}
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<op>&&|\|\||==|!=|>=|<=|[<>!().\[\],])|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)
_COMPARE = {"==", "!=", "<", "<=", ">", ">="}
_SPECIAL = {"nil": None, "null": None}


class NotConvertible(ValueError):
    """An MVEL expression outside the forms this converter knows; the message says what."""


@dataclass(frozen=True)
class ConditionContext:
    """What a condition may refer to: MOSIP field id -> OpenReg field id (None: not converted, with
    the reason in ``dropped``), the date-of-birth field, the age groups and, in an update, the MOSIP
    group -> OpenReg field ids the officer may change."""

    fields: dict[str, str]
    dropped: dict[str, str] = field(default_factory=dict)
    date_of_birth: str | None = None
    age_groups: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(MOSIP_AGE_GROUPS))
    update_groups: dict[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class _Field:
    mosip_id: str


@dataclass(frozen=True)
class _Const:
    value: str | int | float | None


@dataclass(frozen=True)
class _Empty:
    pass


@dataclass(frozen=True)
class _Groups:
    pass


def _tokens(text: str) -> list[str]:
    tokens, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise NotConvertible(f"unexpected text {text[at : at + 20]!r}")
        tokens.append(match.group(match.lastgroup or "name"))
        at = match.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens; emits OpenReg condition text."""

    def __init__(self, text: str, ctx: ConditionContext) -> None:
        self.tokens, self.at, self.ctx = _tokens(text), 0, ctx

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise NotConvertible(f"expected {expected or 'more'} at token {self.at + 1}")
        self.at += 1
        return token

    def parse(self) -> str:
        out = self.disjunction()
        if self.peek() is not None:
            raise NotConvertible(f"unexpected {self.peek()!r}")
        return out

    def disjunction(self) -> str:
        parts = [self.conjunction()]
        while self.peek() == "||":
            self.take()
            parts.append(self.conjunction())
        # "f == nil || f == empty" is MOSIP's way of saying empty(f), which already covers null
        parts = [p for p in parts if not (p.endswith(" == null") and f"empty({p[:-8]})" in parts)]
        return parts[0] if len(parts) == 1 else " or ".join(parts)

    def conjunction(self) -> str:
        parts = [self.unary()]
        while self.peek() == "&&":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else " and ".join(_wrap(p) for p in parts)

    def unary(self) -> str:
        if self.peek() == "!":
            self.take()
            return f"not {_wrap(self.unary())}"
        if self.peek() == "(":
            self.take()
            inner = self.disjunction()
            self.take(")")
            return inner if self.peek() not in _COMPARE | {"contains"} else self._no_nested()
        return self.comparison()

    def _no_nested(self) -> str:
        raise NotConvertible("a comparison of a bracketed expression")

    def comparison(self) -> str:
        left = self.operand()
        op = self.peek()
        if op == "contains":
            self.take()
            return self._contains(left, self.operand())
        if op in (".", "(", "["):
            raise NotConvertible("method calls and member access on a value are not converted")
        if op not in _COMPARE:
            raise NotConvertible("a value on its own is not a condition (compare it with ==, != ...)")
        self.take()
        return self._compare(left, op, self.operand())

    def operand(self) -> _Field | _Const | _Empty | _Groups:
        token = self.take()
        if token[0] in "'\"":
            return _Const(re.sub(r"\\(.)", r"\1", token[1:-1]))
        if token[0].isdigit():
            return _Const(float(token) if "." in token else int(token))
        if token == "empty":
            return _Empty()
        if token in _SPECIAL:
            return _Const(None)
        if token == "identity":
            return self._identity()
        raise NotConvertible(f"{token!r} is not a value this converter knows")

    def _identity(self) -> _Field | _Groups:
        token = self.take()
        if token == "[":
            name = self.operand()
            self.take("]")
        elif token == "." and self.peek() == "get":
            self.take()
            self.take("(")
            name = self.operand()
            self.take(")")
        elif token == ".":
            attribute = self.take()
            if attribute == "updatableFieldGroups":
                return _Groups()
            name = _Const(attribute)
        else:
            raise NotConvertible(f"identity{token} is not a field read")
        if not isinstance(name, _Const) or not isinstance(name.value, str):
            raise NotConvertible("a field is read by its name")
        return _Field(name.value)

    def _name(self, value: _Field) -> str:
        if value.mosip_id in self.ctx.fields:
            return self.ctx.fields[value.mosip_id]
        why = self.ctx.dropped.get(value.mosip_id, "it is not a field of the identity schema")
        raise NotConvertible(f"it reads {value.mosip_id!r}, which is not converted ({why})")

    def _compare(self, left, op: str, right) -> str:
        if isinstance(right, _Field) and not isinstance(left, _Field):
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if not isinstance(left, _Field):
            raise NotConvertible("a comparison without a field")
        if left.mosip_id == "ageGroup" and "ageGroup" not in self.ctx.fields:
            return self._age_group(op, right)
        name = self._name(left)
        if isinstance(right, _Empty):
            if op not in ("==", "!="):
                raise NotConvertible(f"empty compared with {op}")
            return f"empty({name})" if op == "==" else f"not empty({name})"
        if isinstance(right, _Field):
            return f"{name} {op} {self._name(right)}"
        if isinstance(right, _Const):
            if right.value is None and op not in ("==", "!="):
                raise NotConvertible(f"null compared with {op}")
            return f"{name} {op} {_literal(right.value)}"
        raise NotConvertible("a comparison with the update's groups")

    def _age_group(self, op: str, right) -> str:
        if op not in ("==", "!=") or not isinstance(right, _Const) or not isinstance(right.value, str):
            raise NotConvertible("ageGroup is compared with == or != and a group name")
        if self.ctx.date_of_birth is None:
            raise NotConvertible("ageGroup needs the date-of-birth field, which is not converted")
        bounds = self.ctx.age_groups.get(right.value)
        if bounds is None:
            raise NotConvertible(f"unknown age group {right.value!r} (known: {sorted(self.ctx.age_groups)})")
        low, high = bounds
        age = f"age({self.ctx.date_of_birth})"
        text = f"{age} <= {high}" if low <= 0 else f"{low} <= {age} <= {high}"
        return text if op == "==" else f"not ({text})"

    def _contains(self, left, right) -> str:
        if not isinstance(left, _Groups):
            raise NotConvertible("'contains' is converted only for identity.updatableFieldGroups")
        if self.ctx.update_groups is None:
            raise NotConvertible("identity.updatableFieldGroups exists only in an update")
        if not isinstance(right, _Const) or not isinstance(right.value, str):
            raise NotConvertible("updatableFieldGroups contains a group name")
        fields = self.ctx.update_groups.get(right.value)
        if not fields:
            raise NotConvertible(
                f"group {right.value!r} has no demographic field here (OpenReg's update asks documents "
                "and biometrics when the officer chooses them)"
            )
        return " or ".join(f"not empty({f})" for f in fields)


def _wrap(text: str) -> str:
    return f"({text})" if " or " in text or " and " in text or text.startswith("not ") else text


def _literal(value: str | int | float | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value)


def convert_mvel(expression: object, ctx: ConditionContext) -> str:
    """The OpenReg condition for an MVEL expression, or :class:`NotConvertible`."""
    if not isinstance(expression, str) or not expression.strip():
        raise NotConvertible("the expression is empty")
    if len(expression) > MAX_MVEL_LENGTH:
        raise NotConvertible(f"the expression is longer than {MAX_MVEL_LENGTH} characters")
    text = _Parser(expression, ctx).parse()
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise NotConvertible(f"the converted condition is longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        parse_condition(text)
    except ConditionError as exc:  # a bug here, not in the input: say so plainly
        raise NotConvertible(f"the converted condition {text!r} does not parse: {exc}") from exc
    return text


def convert_condition(raw: object, ctx: ConditionContext) -> str:
    """A MOSIP condition object ``{"engine": "MVEL", "expr": ...}`` converted."""
    if not isinstance(raw, dict):
        raise NotConvertible("a condition is an object with 'engine' and 'expr'")
    engine = raw.get("engine")
    if not isinstance(engine, str) or engine.upper() != "MVEL":
        raise NotConvertible(f"engine {engine!r} is not MVEL")
    return convert_mvel(raw.get("expr"), ctx)

"""The transform sandbox, driven through real child processes (small limits keep each case fast)."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import socket
import time
import tracemalloc
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from sync_server.reports.mapping_rules import Entry, MappingTable
from sync_server.reports.sandbox import TransformFailed, TransformResult, run_transform
from sync_server.reports.sandbox_child import refusal
from sync_server.reports.spec import Transform

RUN_DATE = dt.date(2024, 3, 1)
CENTERS = MappingTable.of(
    "centers",
    [Entry("1", "Old North", effective_to=dt.date(2023, 12, 31)), Entry("1", "North", dt.date(2024, 1, 1))],
)


def start(
    code: str,
    rows: Iterable[Sequence[Any]] = ([1], [2]),
    *,
    columns: Sequence[str] = ("a",),
    params: dict[str, Any] | None = None,
    **limits: Any,
) -> TransformResult:
    limits = {"timeout_s": 10, "cpu_s": 5, "memory_mb": 128, "max_output_mb": 4, **limits}
    transform = Transform(code=code, mappings=["centers"], **limits)
    return run_transform(
        transform, list(columns), rows, params or {}, mappings={"centers": CENTERS}, run_date=RUN_DATE
    )


def run(
    code: str, rows: Iterable[Sequence[Any]] = ([1], [2]), **kwargs: Any
) -> tuple[list[str], list[list[Any]]]:
    with start(code, rows, **kwargs) as result:
        return result.columns, list(result.rows)


def failure(code: str, rows: Iterable[Sequence[Any]] = ([1], [2]), **kwargs: Any) -> TransformFailed:
    with pytest.raises(TransformFailed) as caught:
        run(code, rows, **kwargs)
    return caught.value


def body(*lines: str) -> str:
    return "\n".join(["def transform(rows, params, lookup):", *(f"    {line}" for line in lines)]) + "\n"


# -- what a transform can do ------------------------------------------------------------------------


def test_rows_params_and_lookup_on_the_run_date_or_a_given_one() -> None:
    code = body(
        "for row in rows:",
        "    yield {'name': row['name'], 'center': lookup('centers', row['center']),",
        "           'then': lookup('centers', row['center'], on='2023-06-01'), 'region': params['region']}",
    )
    columns, rows = run(code, [["ann", 1], ["bob", "1"]], columns=["name", "center"], params={"region": "N"})
    assert columns == ["name", "center", "then", "region"]
    assert rows == [["ann", "North", "Old North", "N"], ["bob", "North", "Old North", "N"]]


def test_output_columns_follow_the_first_row_and_later_key_order_does_not_matter() -> None:
    code = body("return [{'b': 1, 'a': 2}, {'a': 3, 'b': 4}]")
    assert run(code) == (["b", "a"], [[1, 2], [4, 3]])


def test_dates_and_decimals_travel_as_text_and_allowed_modules_import() -> None:
    code = "import datetime, decimal, statistics, uuid, zoneinfo\nfrom lxml import etree\n" + body(
        "row = next(iter(rows))",
        "day = datetime.date.fromisoformat(row['day'])",
        "yield {'next': day + datetime.timedelta(days=1), 'amount': decimal.Decimal(row['amount']) * 2,",
        "       'mean': statistics.mean([1, 2]), 'uuid': len(str(uuid.uuid4())),",
        "       'zone': zoneinfo.ZoneInfo('Africa/Nairobi').key, 'xml': etree.tostring(etree.Element('r')).decode()}",
    )
    _, rows = run(code, [[dt.date(2024, 2, 28), decimal.Decimal("1.10")]], columns=["day", "amount"])
    assert rows == [["2024-02-29", "2.20", 1.5, 36, "Africa/Nairobi", "<r/>"]]


def test_no_rows_gives_no_columns_unless_declared() -> None:
    assert run(body("return []")) == ([], [])
    assert run("COLUMNS = ['x', 'y']\n" + body("return []")) == (["x", "y"], [])


def test_print_goes_to_stderr_not_into_the_output() -> None:
    with start(body("print('checking', 42)", "return [{'a': 1}]")) as result:
        assert list(result.rows) == [[1]]
        assert "checking 42" in result.stderr


def test_rows_and_params_are_read_only() -> None:
    assert "TypeError" in failure(body("next(iter(rows))['a'] = 5")).message
    assert "TypeError" in failure(body("params['x'] = 1")).message


def test_child_gets_no_inherited_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENREG_DATABASE_URL", "postgresql://secret@db/openreg")
    code = "import typing\n" + body("os = typing.sys.modules['os']", "return [{'env': sorted(os.environ)}]")
    code = code.replace("sorted(os.environ)", "' '.join(sorted(os.environ))")
    env = run(code)[1][0][0].split()
    assert "OPENREG_DATABASE_URL" not in env and env == sorted(env) and "PATH" in env


def test_two_hundred_thousand_rows_stream_with_bounded_parent_memory() -> None:
    count = 200_000
    code = body("for row in rows:", "    yield {'n': row['n'] * 2, 'label': row['label']}")
    tracemalloc.start()
    try:
        with start(
            code,
            ([i, f"row {i:06d} " + "x" * 40] for i in range(count)),
            columns=["n", "label"],
            max_output_mb=64,
            timeout_s=120,  # tracemalloc slows the parent several times; a busy CI machine more
            cpu_s=60,
        ) as res:
            total = seen = 0
            for n, _label in res.rows:
                total, seen = total + n, seen + 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == count and total == count * (count - 1)
    assert peak < 8 * 1024 * 1024  # ~12 MB of rows each way: neither side is ever held whole


def test_a_transform_that_stops_reading_early_does_not_block_the_parent() -> None:
    pulled: list[int] = []

    def source() -> Iterable[list[int]]:
        for i in range(1_000_000):
            pulled.append(i)
            yield [i]

    assert run(body("first = next(iter(rows))", "return [{'a': first['a']}]"), source()) == (["a"], [[0]])
    assert len(pulled) < 1_000_000


def test_an_error_in_the_input_rows_propagates_and_ends_the_child() -> None:
    def source() -> Iterable[list[int]]:
        yield [1]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        run(body("return [dict(row) for row in rows]"), source())


def test_closing_early_kills_the_child() -> None:
    result = start(body("while True:", "    yield {'a': 1}"))
    assert next(result.rows) == [1]
    result.close()
    assert result._run.proc.returncode is not None
    with pytest.raises(TransformFailed, match="closed"):
        next(result.rows)


# -- failures ---------------------------------------------------------------------------------------


def test_exception_in_user_code_has_their_stack_only() -> None:
    code = "def share(n):\n    return 100 / n\n\n" + body("for row in rows:", "    yield {'s': share(0)}")
    error = failure(code)
    assert error.reason == "error"
    assert error.message == "the transform raised ZeroDivisionError: division by zero (line 2)"
    assert "line 6, in transform\n    yield {'s': share(0)}" in error.detail
    assert "line 2, in share\n    return 100 / n" in error.detail
    assert "sandbox_child" not in error.detail and "File " not in error.detail


def test_missing_mapping_and_unlisted_set_are_user_errors() -> None:
    assert "MissingMapping" in failure(body("return [{'c': lookup('centers', 'nope')}]")).message
    assert "not listed" in failure(body("return [{'c': lookup('staff', 1)}]")).message


def test_mapping_set_that_does_not_exist_is_a_config_error() -> None:
    transform = Transform(code=body("return []"), mappings=["missing"])
    with pytest.raises(TransformFailed) as caught:
        run_transform(transform, ["a"], [], {}, mappings={}, run_date=RUN_DATE)
    assert caught.value.reason == "config"


def test_output_written_around_the_protocol_is_caught() -> None:
    code = "import typing\n" + body("typing.sys.modules['os'].write(3, b'[not json\\n')", "return [{'a': 1}]")
    assert failure(code).message == "the transform process broke the protocol"


def test_syntax_error_names_the_line() -> None:
    error = failure(body("return [{'a': 1}]") + "\nx = = 2\n")
    assert error.reason == "syntax" and error.message.startswith("syntax error on line 4:")
    assert "x = = 2" in error.detail
    assert failure("x = 1\x00\n").message == "syntax error: source code string cannot contain null bytes"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("x = 1\n", "must define a function transform"),
        (body("return None"), "not None"),
        (body("return 5"), "returned a int"),
        (body("return {'a': 1}"), "not a dict"),
        (body("return [[1, 2]]"), "row 1 is a list"),
        (body("return [{'a': 1}, {'b': 2}]"), "row 2 has different columns"),
        (body("return [{'a': {1, 2}}]"), "column 'a': a set cannot be output"),
        (body("return [{'a': float('nan')}]"), "NaN"),
        ("COLUMNS = ['a']\n" + body("return [{'b': 1}]"), "row 1 has different columns"),
    ],
)
def test_wrong_return_shape(code: str, expected: str) -> None:
    error = failure(code)
    assert error.reason == "shape" and expected in error.message


def test_wall_time_limit() -> None:
    started = time.monotonic()
    error = failure(body("while True:", "    pass"), timeout_s=0.5, cpu_s=30)
    assert error.reason == "timeout" and error.message == "the transform ran longer than 0.5 s"
    assert time.monotonic() - started < 3


def test_cpu_limit() -> None:
    error = failure(body("while True:", "    pass"), cpu_s=1, timeout_s=10)
    assert error.reason == "cpu" and error.message == "the transform used more than 1 s of CPU time"


def test_memory_limit() -> None:
    error = failure(body("hoard = [bytearray(10 * 1024 * 1024) for _ in range(100)]"), memory_mb=64)
    assert error.reason == "memory" and error.message == "the transform needed more than 64 MB of memory"


def test_output_size_limit() -> None:
    error = failure(body("while True:", "    yield {'a': 'x' * 10_000}"), max_output_mb=1)
    assert error.reason == "output" and error.message == "the transform's output is larger than 1 MB"


def test_exit_and_hard_exit() -> None:
    assert failure(body("raise SystemExit(2)")).message == "the transform called exit() (line 2)"
    hard = failure("import typing\n" + body("typing.sys.modules['os']._exit(3)"))
    assert hard.reason == "crashed" and "exit status 3" in hard.message


# -- refusals ---------------------------------------------------------------------------------------


def test_network_is_refused() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        server.settimeout(0.2)
        direct = failure("import socket\n" + body(f"socket.create_connection(('127.0.0.1', {port}))"))
        around = failure(
            "import typing\n"
            + body(
                f"typing.sys.modules['builtins'].__import__('socket').create_connection(('127.0.0.1', {port}))"
            )
        )
        with pytest.raises(TimeoutError):
            server.accept()
    assert direct.reason == around.reason == "refused"
    assert direct.message == "import of 'socket' is not allowed (line 1)"
    assert around.message == "import of 'socket' is not allowed (line 3)"


@pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace needs root")
def test_as_root_the_child_gets_its_own_network_namespace_and_no_capabilities() -> None:
    with start(body("return []")) as result:
        assert result.network_namespace
    error = failure("import typing\n" + body("typing.sys.modules['os'].setuid(12345)"))
    assert error.message.startswith("the transform raised PermissionError")


def test_resource_limits_are_set_before_user_code() -> None:
    names = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE")
    code = "import typing\n" + body(
        "resource = typing.sys.modules['resource']",
        f"return [{{name: str(resource.getrlimit(getattr(resource, name))) for name in {names!r}}}]",
    )
    _, [row] = run(code, memory_mb=100, cpu_s=7)
    mib = 100 * 1024 * 1024
    assert row == [f"({mib}, {mib})", "(7, 8)", "(0, 0)", "(32, 32)", "(0, 0)", "(0, 0)"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import subprocess\n" + body("return []"), "import of 'subprocess' is not allowed (line 1)"),
        ("import os\n" + body("return []"), "import of 'os' is not allowed (line 1)"),
        ("from . import x\n" + body("return []"), "is not allowed (line 1)"),
        (
            "import typing\n" + body("typing.sys.modules['os'].system('true')"),
            "starting programs is not allowed (line 3)",
        ),
        (
            "import typing\n" + body("typing.sys.modules['os'].fork()"),
            "starting programs is not allowed (line 3)",
        ),
        (
            "import typing\n" + body("typing.sys.modules['io'].open('out.csv', 'w')"),
            "writing files is not allowed (line 3)",
        ),
        (
            "import typing\n" + body("typing.sys.modules['os'].remove('/tmp/x')"),
            "changing files is not allowed (line 3)",
        ),
        (
            "import typing\n" + body("typing.sys.modules['io'].open('/etc/passwd').read()"),
            "reading '/etc/passwd' is not allowed",
        ),
        ("import typing\n" + body("typing.sys.modules['os'].listdir('/')"), "reading '/' is not allowed"),
        (
            "import typing\n" + body("typing.sys.modules['os'].kill(1, 0)"),
            "sending signals is not allowed (line 3)",
        ),
        (
            "import typing\n" + body("typing.sys.modules['resource'].setrlimit(0, (-1, -1))"),
            "resource.setrlimit is not allowed",
        ),
        (
            "import typing\n" + body("typing.sys.modules['builtins'].__import__('ctypes')"),
            "import of 'ctypes' is not allowed",
        ),
        (body("[c for c in object.__subclasses__() if c.__name__ == 'CDLL'][0](None)"), "not allowed"),
    ],
)
def test_refused_operations(code: str, expected: str) -> None:
    error = failure(code)
    if "CDLL" in code and "IndexError" in error.message:
        return  # ctypes' classes were already collected: nothing left to call
    assert error.reason == "refused", error.message
    assert expected in error.message


@pytest.mark.parametrize("name", ["open", "eval", "exec", "compile", "input"])
def test_risky_builtins_are_absent(name: str) -> None:
    assert f"name '{name}' is not defined" in failure(body(f"{name}('1')")).message


def test_a_refusal_caught_and_rewrapped_is_still_reported_as_refused() -> None:
    code = "import typing\n" + body(
        "try:",
        "    typing.sys.modules['os'].system('true')",
        "except OSError as e:",
        "    raise ValueError('oops') from e",
    )
    error = failure(code)
    assert error.reason == "refused" and error.message.startswith("starting programs is not allowed")


# -- the audit policy itself (pure, so it is safe to call here) ------------------------------------

ROOTS = ("/usr/lib/python3.11",)


@pytest.mark.parametrize(
    ("event", "args", "expected"),
    [
        ("socket.connect", (None, ("127.0.0.1", 80)), "network access is not allowed"),
        ("socket.__new__", (None, 2, 1, 0), "network access is not allowed"),
        ("subprocess.Popen", ("sh", [], None, None), "starting programs is not allowed"),
        ("os.posix_spawn", ("sh", [], None), "starting programs is not allowed"),
        ("ctypes.dlopen", ("libc.so.6",), "ctypes is not allowed"),
        ("open", ("/tmp/x", "a", 0), "writing files is not allowed"),
        ("open", ("/tmp/x", None, os.O_WRONLY | os.O_CREAT), "writing files is not allowed"),
        ("open", (3, "r", 0), "opening 3 is not allowed"),
        ("open", ("/usr/lib/python3.11/../../../etc/shadow", "r", 0), "reading"),
        ("mmap.__new__", (3, 10, 0, 0), "mapping files into memory is not allowed"),
        ("gc.get_objects", (-1,), "gc.get_objects is not allowed"),
        ("code.__new__", (None,) * 6, "building code objects is not allowed"),
    ],
)
def test_policy_refuses(event: str, args: tuple[Any, ...], expected: str) -> None:
    assert expected in (refusal(event, args, ROOTS) or "")


@pytest.mark.parametrize(
    ("event", "args"),
    [
        ("import", ("statistics", None, [], [], [])),
        ("open", ("/usr/lib/python3.11/json/__init__.py", "r", 0)),
        ("os.listdir", ("/usr/lib/python3.11",)),
        ("mmap.__new__", (-1, 10, 0, 0)),
        ("sys._getframe", (None,)),
    ],
)
def test_policy_allows(event: str, args: tuple[Any, ...]) -> None:
    assert refusal(event, args, ROOTS) is None

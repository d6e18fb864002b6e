"""The sandboxed side of a report transform: runs in its own process, started by ``sandbox.py``.

Process rules: this module is the entry point of a child process (``python -I -B -c <boot>``) with
stdin a socket and stdout and stderr pipes to the parent. Nothing runs at import time (the tests import the pure
``refusal`` policy). ``main`` reads one header line (code, columns, params, mapping sets, run date,
limits), confines the process (network namespace, resource limits, no capabilities), installs an audit
hook that cannot be removed, then runs the admin's ``transform(rows, params, lookup)`` on one thread.

Protocol (JSON lines): in, the header then one array per input row; out, ``{"k": "cols"}``, one array
per output row, then ``{"k": "end"}`` or ``{"k": "error"}``. The original fd 1 carries the protocol;
fd 1 itself is pointed at stderr so ``print`` in user code cannot corrupt it.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import json
import os
import sys
import traceback
import types
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, BinaryIO, NoReturn

FILENAME = "<transform>"
# What user code may import by name (top-level package); pandas, numpy and lxml only if installed.
_ALLOWED = (
    "__future__ base64 bisect calendar collections copy csv dataclasses datetime decimal enum "
    "fractions functools hashlib heapq itertools json lxml math numbers numpy operator pandas random "
    "re statistics string textwrap typing unicodedata uuid zoneinfo"
)
ALLOWED_IMPORTS = frozenset(_ALLOWED.split())
# Refused for any importer (the allowed libraries included): these exist to reach outside the process.
_DENIED = (
    "_ctypes _multiprocessing _posixsubprocess _socket _ssl ctypes multiprocessing pty socket ssl subprocess"
)
DENIED_IMPORTS = frozenset(_DENIED.split())
_NO_BUILTINS = ("open", "eval", "exec", "compile", "input", "breakpoint", "help", "exit", "quit")
_RUN = ("subprocess.Popen", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty")
_CHANGE = "chdir chflags chmod chown link lockf mkdir remove removexattr rename rmdir setxattr symlink"
_CHANGE_EVENTS = frozenset(f"os.{name}" for name in (*_CHANGE.split(), "truncate", "utime"))
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class SandboxRefused(PermissionError):
    """An operation the sandbox does not allow (raised from the audit hook)."""


class RefusedImport(ImportError):
    """An import the sandbox does not allow (an ImportError, so optional imports degrade quietly)."""


class _Shape(Exception):
    """The transform returned something other than dicts with one set of keys."""


def refusal(event: str, args: tuple[Any, ...], read_roots: tuple[str, ...]) -> str | None:
    """Why the audit ``event`` is refused, or None to let it happen. Pure: all policy is in the arguments
    and the frozen constants above, so the installed hook cannot be steered through mutable state."""
    if event == "import":
        top = str(args[0]).partition(".")[0]
        return f"import of {top!r} is not allowed" if top in DENIED_IMPORTS else None
    if event.startswith(("socket.", "http.", "urllib.", "ftplib.", "smtplib.", "poplib.", "imaplib.")):
        return "network access is not allowed"
    if event in _RUN or event.startswith(("pty.", "webbrowser.")):
        return "starting programs is not allowed"
    if event.startswith("ctypes."):
        return "ctypes is not allowed"
    if event in _CHANGE_EVENTS or event.startswith(("shutil.", "tempfile.", "sqlite3.")):
        return "changing files is not allowed"
    if event in ("os.kill", "os.killpg", "signal.pthread_kill"):
        return "sending signals is not allowed"
    if event.startswith("resource.") or event in ("gc.get_objects", "gc.get_referrers", "gc.get_referents"):
        return f"{event} is not allowed"
    if event in ("code.__new__", "sys.remote_exec"):
        return "building code objects is not allowed"
    if event == "mmap.__new__":
        return None if args[0] == -1 else "mapping files into memory is not allowed"
    if event == "open":
        path, mode, flags = args
        if (isinstance(mode, str) and set(mode) & set("wax+")) or (flags or 0) & _WRITE_FLAGS:
            return "writing files is not allowed"
        return _read_refusal(path, read_roots)
    if event in ("os.listdir", "os.scandir", "os.listxattr", "os.getxattr"):
        return _read_refusal("." if args[0] is None else args[0], read_roots)
    return None


def _read_refusal(path: Any, read_roots: tuple[str, ...]) -> str | None:
    if type(path) not in (str, bytes):  # an fd or a path-like whose value could change after the check
        return f"opening {path!r} is not allowed"
    text = os.fsdecode(path)
    real = os.path.realpath(text)
    if any(real == root or real.startswith(root + os.sep) for root in read_roots):
        return None
    return f"reading {text!r} is not allowed (only the Python libraries can be read)"


def read_roots() -> tuple[str, ...]:
    """Folders user code may read: the standard library, site-packages, the time zone database."""
    import sysconfig
    import zoneinfo

    paths = sysconfig.get_paths()
    found = [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    found += [p for p in sys.path if p and os.path.isdir(p)] + list(zoneinfo.TZPATH)
    return tuple(sorted({os.path.realpath(p) for p in found}))


def _install_hook(roots: tuple[str, ...]) -> None:
    check = refusal  # bound now: rebinding the module global later changes nothing

    def hook(event: str, args: tuple[Any, ...]) -> None:
        reason = check(event, args, roots)
        if reason is not None:
            raise (RefusedImport if event == "import" else SandboxRefused)(reason)

    sys.addaudithook(hook)


def _confine(cpu_s: int, memory_mb: int) -> bool:
    """Limit this process before user code runs; True when it got a network namespace of its own.

    Order matters: unshare and securebits need capabilities, so the capabilities are dropped last.
    Without root (or CAP_SYS_ADMIN) the namespace step fails with EPERM and the audit hook alone
    keeps the network out.
    """
    import ctypes
    import resource

    libc = ctypes.CDLL(None, use_errno=True)
    isolated = libc.unshare(0x40000000) == 0  # CLONE_NEWNET: a namespace with only a down loopback
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: exec can never gain privileges
    mib = 1024 * 1024
    for limit, value in (
        (resource.RLIMIT_CPU, (cpu_s, cpu_s + 1)),  # SIGXCPU at the soft limit, SIGKILL one second on
        (resource.RLIMIT_AS, (memory_mb * mib, memory_mb * mib)),
        (resource.RLIMIT_FSIZE, (0, 0)),
        (resource.RLIMIT_NOFILE, (32, 32)),
        (resource.RLIMIT_NPROC, (0, 0)),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        hard = resource.getrlimit(limit)[1]  # without privileges a limit can only go down
        if hard != resource.RLIM_INFINITY:
            value = (min(value[0], hard), min(value[1], hard))
        resource.setrlimit(limit, value)
    if os.geteuid() == 0:  # root keeps CAP_SYS_RESOURCE etc. unless dropped: drop all, for good
        libc.prctl(28, 0x2F, 0, 0, 0)  # PR_SET_SECUREBITS: NOROOT, NO_SETUID_FIXUP, all locked
        for cap in range(64):
            libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP

        class _Header(ctypes.Structure):
            _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))

        empty = (ctypes.c_uint32 * 6)()  # two (effective, permitted, inheritable) sets, all zero
        libc.capset(ctypes.byref(_Header(0x20080522, 0)), empty)
    for name in [m for m in sys.modules if m.partition(".")[0] in ("ctypes", "_ctypes")]:
        del sys.modules[name]  # objects may linger, but every ctypes call raises an audited event
    return isolated


def _restricted_builtins() -> dict[str, Any]:
    real_import = builtins.__import__

    def guarded_import(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> types.ModuleType:
        if level != 0 or name.partition(".")[0] not in ALLOWED_IMPORTS:
            raise RefusedImport(f"import of {name.partition('.')[0]!r} is not allowed")
        return real_import(name, globals, locals, fromlist, level)

    table = {k: v for k, v in vars(builtins).items() if k not in _NO_BUILTINS}
    table["__import__"] = guarded_import
    return table


def _make_lookup(header: dict[str, Any]) -> Callable[..., str | None]:
    from sync_server.reports.mapping_rules import MappingTable

    tables = {name: MappingTable.from_json(data) for name, data in header["mappings"].items()}
    run_date = dt.date.fromisoformat(header["run_date"])

    def lookup(set_id: str, key: Any, on: Any = None) -> str | None:
        """The value of ``key`` in mapping set ``set_id`` on ``on`` (a date or ISO text; default: run date)."""
        table = tables.get(set_id)
        if table is None:
            raise LookupError(f"mapping set {set_id!r} is not listed in this transform's mappings")
        if on is None:
            day = run_date
        elif isinstance(on, dt.datetime):
            day = on.date()
        else:
            day = on if isinstance(on, dt.date) else dt.date.fromisoformat(str(on)[:10])
        return table.resolve(key, day)

    return lookup


def _input_rows(stream: BinaryIO, columns: list[str]) -> Iterator[Mapping[str, Any]]:
    proxy, loads = types.MappingProxyType, json.loads
    for line in stream:
        yield proxy(dict(zip(columns, loads(line), strict=False)))


def _plain(value: Any, n: int, column: str) -> Any:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise _Shape(
        f"row {n}, column {column!r}: a {type(value).__name__} cannot be output "
        "(use str, int, float, bool, None or a date)"
    )


def _write_rows(result: Any, declared: list[str] | None, send: Callable[[Any], None]) -> None:
    if result is None or isinstance(result, Mapping | str | bytes):
        raise _Shape(
            "transform() must return or yield dicts (one per row), "
            f"not {'None' if result is None else 'a ' + type(result).__name__}"
        )
    try:
        rows = iter(result)
    except TypeError:
        raise _Shape(
            f"transform() returned a {type(result).__name__}; it must return or yield dicts"
        ) from None
    columns, keys, simple = declared, set(declared or ()), (str, int, float, bool, type(None))
    if declared is not None:
        send({"k": "cols", "columns": declared})
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise _Shape(f"row {n} is a {type(row).__name__}; transform() must return or yield dicts")
        if columns is None:
            columns = list(row)
            if not all(isinstance(c, str) for c in columns):
                raise _Shape(f"row {n}: column names must be strings")
            keys = set(columns)
            send({"k": "cols", "columns": columns})
        elif row.keys() != keys:
            extra, missing = sorted(map(str, row.keys() - keys)), sorted(keys - row.keys())
            raise _Shape(
                f"row {n} has different columns from the first row (extra: {extra}, missing: {missing})"
            )
        values = [row[c] for c in columns]
        if not all(type(v) in simple for v in values):
            values = [
                v if isinstance(v, simple) else _plain(v, n, c) for c, v in zip(columns, values, strict=True)
            ]
        try:
            send(values)
        except ValueError:
            raise _Shape(f"row {n} has a NaN or infinite number, which JSON cannot hold") from None
    if columns is None:
        send({"k": "cols", "columns": []})


def _user_trace(exc: BaseException, lines: list[str]) -> tuple[int | None, str]:
    """The innermost line of the user's code and a traceback that shows only the user's frames."""
    out, last = ["Traceback (your code, most recent call last):"], None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == FILENAME:
            last = lineno
            text = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
            out.append(f"  line {lineno}, in {frame.f_code.co_name}\n    {text}")
    if isinstance(exc, SyntaxError):
        out.append("".join(traceback.format_exception_only(type(exc), exc)).rstrip())
    else:
        out.append(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return last, "\n".join(out)


def _refused_in(exc: BaseException) -> BaseException | None:
    seen: BaseException | None = exc
    for _ in range(32):  # a chain can loop back on itself
        if seen is None or isinstance(seen, SandboxRefused | RefusedImport):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _report(exc: BaseException, lines: list[str]) -> dict[str, Any]:
    if isinstance(exc, _Shape):
        return {"reason": "shape", "message": str(exc), "detail": ""}
    line, detail = _user_trace(exc, lines)
    where = f" (line {line})" if line else ""
    refused = _refused_in(exc)
    if refused is not None:
        return {"reason": "refused", "message": f"{refused}{where}", "detail": detail}
    if isinstance(exc, SystemExit):
        return {"reason": "error", "message": f"the transform called exit(){where}", "detail": detail}
    name = type(exc).__name__
    return {"reason": "error", "message": f"the transform raised {name}: {exc}{where}", "detail": detail}


def main() -> NoReturn:
    """Entry point of the child process (see the module docstring)."""
    out = os.fdopen(os.dup(1), "wb", buffering=64 * 1024)
    os.dup2(2, 1)
    out_of_memory = b'{"k":"error","reason":"memory"}\n'

    def send(message: Any) -> None:
        out.write(json.dumps(message, allow_nan=False, separators=(",", ":")).encode() + b"\n")

    def finish(message: dict[str, Any]) -> NoReturn:
        send(message)
        out.flush()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # closed or broken by user code: nothing to keep
                stream.flush()
        os._exit(0)  # skip interpreter teardown: no user finalizers or atexit handlers run after this

    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    code = header["code"]
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # as the tokenizer counts
    lookup = _make_lookup(header)
    isolated = _confine(int(header["cpu_s"]), int(header["memory_mb"]))
    send({"k": "start", "network_namespace": isolated})
    try:
        compiled = compile(code, FILENAME, "exec")
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte in the code
        text = "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
        line = getattr(exc, "lineno", None)
        where = f" on line {line}" if line else ""
        message = f"syntax error{where}: {getattr(exc, 'msg', exc)}"
        finish({"k": "error", "reason": "syntax", "message": message, "detail": text})
    namespace: dict[str, Any] = {"__builtins__": _restricted_builtins(), "__name__": "transform"}
    rows = _input_rows(stdin, list(header["columns"]))
    params = types.MappingProxyType(dict(header["params"]))
    _install_hook(read_roots())
    try:
        exec(compiled, namespace)
        function = namespace.get("transform")
        if not callable(function):
            raise _Shape("the code must define a function transform(rows, params, lookup)")
        declared = namespace.get("COLUMNS")
        if declared is not None and not (
            isinstance(declared, list | tuple) and all(isinstance(c, str) for c in declared)
        ):
            raise _Shape("COLUMNS must be a list of column names")
        _write_rows(function(rows, params, lookup), None if declared is None else list(declared), send)
    except MemoryError:
        out.write(out_of_memory)
        out.flush()
        os._exit(0)
    except BaseException as exc:  # anything the user's code raised, SystemExit included
        finish({"k": "error", **_report(exc, lines)})
    finish({"k": "end"})

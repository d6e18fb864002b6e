"""Run an admin's report transform (``spec.Transform``) in a sandboxed child process.

``run_transform`` starts ``python -I -B`` (``sandbox_child``) in a new session, an empty temp folder and
a minimal environment, feeds it the rows as JSON lines and streams its output rows back. The parent
enforces the wall-time limit and the output size limit; the child sets its own resource limits,
network namespace and audit hook before any user code runs (see ``docs`` and ``sandbox_child``).

Thread rules: there are no helper threads. Whichever thread pulls ``TransformResult.rows`` drives the
child: while waiting for the next output row it writes more input, so the ``rows`` iterable given to
``run_transform`` is consumed lazily, in that same thread, about 64 KiB ahead of the child. Use one
result from one thread at a time. The wall-time limit counts from the start, including time the caller
spends between rows. Close the result (or use it as a context manager) to stop early; dropping it
also kills the child.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sync_server.reports.mapping_rules import MappingTable
from sync_server.reports.spec import Transform

_MIB = 1024 * 1024
_CHUNK = 64 * 1024
_STDERR_KEEP = 32 * 1024
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
# Empty stand-ins for the two packages, so none of the project's ``__init__`` modules (and what they
# import) is loaded into the child: it starts with the standard library's bare minimum.
_BOOT = """import sys, types
for name in ("sync_server", "sync_server.reports"):
    sys.modules[name] = types.ModuleType(name)
    sys.modules[name].__path__ = [sys.argv[1] + "/" + name.replace(".", "/")]
from sync_server.reports.sandbox_child import main
main()
"""


class TransformFailed(Exception):
    """The transform did not finish. ``message`` is one line for the run's status; ``detail`` holds the
    user's traceback (their frames only) or the child's stderr; ``reason`` is one of: error, syntax,
    shape, refused, timeout, cpu, memory, output, crashed, config, closed."""

    def __init__(self, message: str, detail: str = "", *, reason: str = "error") -> None:
        super().__init__(message)
        self.message, self.detail, self.reason = message, detail, reason


class TransformResult:
    """The output of a running transform: ``columns`` now, ``rows`` streamed (each a list of plain JSON
    values in column order). Iterating ``rows`` raises ``TransformFailed`` if the transform fails."""

    def __init__(self, run: _Run, columns: list[str]) -> None:
        self.columns = columns
        self.rows: Iterator[list[Any]] = run.iter_rows(len(columns))
        self.network_namespace = run.network_namespace  # False: only the audit hook kept the network out
        self._run = run
        weakref.finalize(self, run.close)

    @property
    def stderr(self) -> str:
        """The tail of what the child printed (``print`` in user code goes here)."""
        return self._run.stderr_text()

    def close(self) -> None:
        self._run.close()

    def __enter__(self) -> TransformResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_transform(
    transform: Transform,
    columns: list[str],
    rows: Iterable[Sequence[Any]],
    params: dict[str, Any],
    *,
    mappings: dict[str, MappingTable],
    run_date: dt.date,
) -> TransformResult:
    """Start ``transform`` on ``rows`` and return once it has produced its first row (or finished).

    Only the mapping sets named in ``transform.mappings`` are sent to the child. Input values that are
    dates, times, decimals or UUIDs arrive in the child as text. Raises ``TransformFailed``; an error
    raised by ``rows`` itself propagates unchanged (after the child is killed).
    """
    missing = [name for name in transform.mappings if name not in mappings]
    if missing:
        raise TransformFailed(
            f"mapping set {missing[0]!r} named in the transform does not exist", reason="config"
        )
    header = {
        "code": transform.code,
        "columns": list(columns),
        "params": params,
        "mappings": {name: mappings[name].to_json() for name in transform.mappings},
        "run_date": run_date.isoformat(),
        "cpu_s": transform.cpu_s,
        "memory_mb": transform.memory_mb,
    }
    run = _Run(transform, _line(header), rows)
    try:
        return TransformResult(run, run.start())
    except BaseException:
        run.close()
        raise


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"a {type(value).__name__} cannot be passed to a transform")


def _line(value: Any) -> bytes:
    return json.dumps(value, default=_plain, separators=(",", ":")).encode() + b"\n"


def _env(home: str) -> dict[str, str]:
    """Nothing from the server's environment (no secrets); one thread for numeric libraries."""
    single = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        **single,
    }


class _Run:
    """One child process and the pipes to it, pumped with a selector from the caller's thread."""

    def __init__(self, transform: Transform, header: bytes, rows: Iterable[Sequence[Any]]) -> None:
        self.transform = transform
        self.workdir = tempfile.TemporaryDirectory(prefix="openreg-transform-")
        # The child's stdin is a socket, written with MSG_NOSIGNAL: a transform that stops reading gives
        # EPIPE here even if a native library has reset SIGPIPE to its default action (which would kill
        # the server without a trace).
        self.stdin, child_stdin = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-c", _BOOT, _PROJECT_ROOT],
                stdin=child_stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.workdir.name,
                env=_env(self.workdir.name),
                start_new_session=True,  # its own process group: a kill takes anything it started
            )
        except BaseException:
            self.stdin.close()
            self.workdir.cleanup()
            raise
        finally:
            child_stdin.close()
        self.deadline = time.monotonic() + transform.timeout_s
        self.pending = bytearray(header)
        self.source: Iterator[Sequence[Any]] | None = iter(rows)
        self.lines: deque[bytes] = deque()
        self.partial = bytearray()
        self.out_bytes = 0
        self.out_open = True
        self.err = bytearray()
        self.network_namespace = False
        self.closed = False
        self.selector = selectors.DefaultSelector()
        assert self.proc.stdout and self.proc.stderr
        self.stdin.setblocking(False)
        self.selector.register(self.stdin, selectors.EVENT_WRITE)
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)
        self.selector.register(self.proc.stderr, selectors.EVENT_READ)

    def start(self) -> list[str]:
        """Read up to the output columns."""
        message = self._message(self._next_line())
        if message.get("k") == "start":
            self.network_namespace = bool(message.get("network_namespace"))
            message = self._message(self._next_line())
        if message.get("k") != "cols":
            raise self._fail("crashed", "the transform process broke the protocol")
        return [str(c) for c in message["columns"]]

    def iter_rows(self, width: int) -> Iterator[list[Any]]:
        try:
            while True:
                line = self._next_line()
                if line is not None and line[:1] == b"[":
                    try:
                        row = json.loads(line)
                    except ValueError:
                        row = None
                    if not isinstance(row, list) or len(row) != width:
                        raise self._fail("crashed", "the transform process broke the protocol")
                    yield row
                elif self._message(line).get("k") == "end":
                    self._reap(grace=2.0)
                    return
                else:
                    raise self._fail("crashed", "the transform process broke the protocol")
        finally:
            self.close()

    def stderr_text(self) -> str:
        return self.err.decode("utf-8", "replace")

    def close(self) -> None:
        """Kill the child if it still runs, close the pipes and remove its folder. Idempotent."""
        if self.closed:
            return
        self._kill()
        self.closed = True
        self.source = None
        self.selector.close()
        self.stdin.close()
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        self.workdir.cleanup()

    # -- pumping -----------------------------------------------------------------------------------

    def _next_line(self) -> bytes | None:
        if self.closed:
            raise TransformFailed("the transform's result was closed", reason="closed")
        while not self.lines:
            if not self.out_open:
                return None
            self._pump()
        return self.lines.popleft()

    def _pump(self) -> None:
        self._fill()
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self._fail("timeout", f"the transform ran longer than {self.transform.timeout_s:g} s")
        for key, _ in self.selector.select(remaining):
            if key.fileobj is self.stdin:
                self._write()
            elif key.fileobj is self.proc.stdout:
                self._read_output()
            else:
                self._read_stderr()

    def _fill(self) -> None:
        while self.source is not None and len(self.pending) < _CHUNK:
            try:
                row = next(self.source)
            except StopIteration:
                self.source = None
                break
            except BaseException:
                self._kill()
                raise
            self.pending += _line(list(row))
        if self.source is None and not self.pending:
            self._close_stdin()

    def _write(self) -> None:
        try:
            written = self.stdin.send(self.pending[:_CHUNK], socket.MSG_NOSIGNAL)
        except BlockingIOError:
            return
        except (BrokenPipeError, ConnectionResetError):  # it stopped reading: stop consuming the input
            self.source, self.pending = None, bytearray()
            self._close_stdin()
            return
        del self.pending[:written]

    def _close_stdin(self) -> None:
        if self.stdin.fileno() != -1:
            self.selector.unregister(self.stdin)
            self.stdin.close()

    def _read_output(self) -> None:
        assert self.proc.stdout is not None
        data = os.read(self.proc.stdout.fileno(), _CHUNK)
        if not data:
            self.out_open = False  # a last line without its newline was cut off: the exit status says why
            self.selector.unregister(self.proc.stdout)
            return
        self.out_bytes += len(data)
        if self.out_bytes > self.transform.max_output_mb * _MIB:
            raise self._fail(
                "output", f"the transform's output is larger than {self.transform.max_output_mb} MB"
            )
        self.partial += data
        *complete, rest = self.partial.split(b"\n")
        self.lines.extend(complete)
        self.partial = bytearray(rest)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        data = os.read(self.proc.stderr.fileno(), _CHUNK)
        if not data:
            self.selector.unregister(self.proc.stderr)
            return
        self.err += data
        del self.err[:-_STDERR_KEEP]

    # -- endings -----------------------------------------------------------------------------------

    def _message(self, line: bytes | None) -> dict[str, Any]:
        """A control message; raises ``TransformFailed`` for an error report or a child that died."""
        if line is None:
            raise self._ended()
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            raise self._fail("crashed", "the transform process broke the protocol")
        if message.get("k") == "error":
            reason = str(message.get("reason", "error"))
            if reason == "memory":
                raise self._fail("memory", self._memory_text())
            self._reap(grace=2.0)
            raise TransformFailed(
                str(message.get("message")), str(message.get("detail") or ""), reason=reason
            )
        return message

    def _ended(self) -> TransformFailed:
        """Why the child's output ended without an ``end`` or ``error`` message."""
        self._reap(grace=max(0.1, min(2.0, self.deadline - time.monotonic())))
        code = self.proc.returncode
        tail = self.stderr_text()[-4000:]
        if code == -signal.SIGXCPU:
            return self._fail("cpu", f"the transform used more than {self.transform.cpu_s} s of CPU time")
        if code == -signal.SIGXFSZ:
            return self._fail("refused", "writing files is not allowed")
        if any(sign in tail for sign in ("MemoryError", "out of memory", "Cannot allocate memory")):
            return self._fail("memory", self._memory_text())
        if code == -signal.SIGKILL:
            what = "it probably went over its CPU or memory limit"
            return self._fail("crashed", f"the transform process was killed ({what})")
        if code is not None and code < 0:
            return self._fail("crashed", f"the transform process crashed ({signal.Signals(-code).name})")
        return self._fail("crashed", f"the transform process ended unexpectedly (exit status {code})")

    def _memory_text(self) -> str:
        return f"the transform needed more than {self.transform.memory_mb} MB of memory"

    def _fail(self, reason: str, message: str) -> TransformFailed:
        self._kill()
        return TransformFailed(message, self.stderr_text()[-4000:], reason=reason)

    def _reap(self, *, grace: float) -> None:
        """Wait briefly for the child to exit (then kill it) and collect the rest of its stderr."""
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._kill()
        self._drain_stderr()

    def _kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # not yet reaped, so the group id is still ours
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self._drain_stderr()

    def _drain_stderr(self) -> None:
        stderr = self.proc.stderr
        if stderr is None or stderr.closed or self.closed:
            return
        os.set_blocking(stderr.fileno(), False)
        try:
            while data := os.read(stderr.fileno(), _CHUNK):
                self.err += data
                del self.err[:-_STDERR_KEEP]
        except BlockingIOError:
            pass

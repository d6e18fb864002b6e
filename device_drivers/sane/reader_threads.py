"""Letting a SANE backend's reader threads come to rest before ``sane_cancel`` (Linux).

Backends that read through ``sanei_thread`` run a reader thread with asynchronous cancellation, and
``sane_cancel`` cancels it with ``pthread_cancel``. Cancelled in the middle of ``malloc`` or ``free``
(at its start or its end), the reader dies holding a lock of the C library's allocator: it then
blocks on that lock as it exits, and ``sane_cancel`` waits for it for ever; or every thread started
afterwards blocks on it. Under load, SANE's own test backend did this in about 1 of 600 scans that end
in an error (the error comes at once, while the reader is still allocating its buffer).

A reader asleep in a system call such as ``write`` to its pipe or a USB ``ioctl`` holds no such lock,
and one that has exited holds nothing: :func:`wait_until_parked` waits, briefly, for each thread the
scan started (:func:`started_since`) to be one or the other, so the cancel that follows lands safely.
Where ``/proc`` cannot tell (another system), it returns at once and the cancel happens as before.

Thread rules: call on the SANE thread, before the cancel that ends a scan.
"""

from __future__ import annotations

import os
import platform
import threading
import time
from collections.abc import Iterable

PARK_TIMEOUT_S = 2.0
_TASKS = "/proc/self/task"

# System calls a reader sleeps in between its allocations: waiting and sleeping ones, and the I/O
# ones (read, write, ioctl...) on a pipe, a socket or a device; I/O on a file is the dynamic loader
# reading a library (a thread's first exit loads libgcc_s), with its lock held: not at rest.
# (waiting, I/O) system call numbers of this architecture; None where there is no table here.
_SYSCALLS: tuple[set[int], set[int]] | None = {
    "x86_64": ({7, 23, 35, 230, 232, 270, 271, 281}, {0, 1, 16, 17, 18, 19, 20, 44, 45, 46, 47}),
    "aarch64": ({22, 72, 73, 101, 115}, {29, 63, 64, 65, 66, 67, 68, 206, 207, 211, 212}),
}.get(platform.machine())
_RESTING_TARGETS = ("pipe:", "socket:", "anon_inode:", "/dev/")


def thread_ids() -> frozenset[int]:
    """This process's threads (empty where ``/proc`` has no task list)."""
    try:
        return frozenset(int(name) for name in os.listdir(_TASKS))
    except OSError:
        return frozenset()


def started_since(before: frozenset[int]) -> frozenset[int]:
    """The threads started since ``before`` (a :func:`thread_ids`) that Python did not start: the
    backend's readers."""
    python = {thread.native_id for thread in threading.enumerate()}
    return thread_ids() - before - python


def _parked(tid: int) -> bool:
    try:
        with open(f"{_TASKS}/{tid}/syscall", encoding="ascii") as file:
            fields = file.read(200).split()
    except FileNotFoundError:
        return True  # the thread has exited
    except OSError:
        return True  # cannot tell: do not hold the cancel back
    if not fields or not fields[0].isdigit():
        return False  # "running", or "-1" (asleep outside a system call)
    if _SYSCALLS is None:
        return True  # an architecture without a table here: any system call
    waiting, io = _SYSCALLS
    call = int(fields[0])
    if call in waiting:
        return True
    if call not in io or len(fields) < 2:
        return False
    try:
        target = os.readlink(f"/proc/self/fd/{int(fields[1], 16)}")
    except (OSError, ValueError):
        return False
    return target.startswith(_RESTING_TARGETS)


def wait_until_parked(threads: Iterable[int], timeout_s: float = PARK_TIMEOUT_S) -> bool:
    """Wait until each of ``threads`` has exited or sleeps in a resting system call (True), or until
    ``timeout_s`` has passed (False)."""
    waiting = set(threads)
    deadline = time.monotonic() + timeout_s
    while True:
        waiting = {tid for tid in waiting if not _parked(tid)}
        if not waiting:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.001)

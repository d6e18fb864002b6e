"""Telling when a thread is at rest (device_drivers/sane/reader_threads.py), with this process's own
threads: one asleep or blocked reading a pipe is, one spinning or waiting on a lock is not, one that
has exited is; threads Python started are never taken for a backend's readers. (A real libsane
reader is in test_sane_scanner.py.)"""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from device_drivers.sane.reader_threads import started_since, thread_ids, wait_until_parked

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/task (Linux)")


def running(target) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(stop,), daemon=True)
    thread.start()
    time.sleep(0.05)  # it has reached what it waits in
    return thread, stop


def test_a_thread_asleep_in_a_system_call_is_at_rest():
    def sleeper(stop: threading.Event) -> None:
        while not stop.is_set():
            time.sleep(0.5)

    thread, stop = running(sleeper)
    try:
        assert wait_until_parked([thread.native_id], timeout_s=1.0)
    finally:
        stop.set()


def test_a_thread_blocked_on_a_pipe_is_at_rest():
    read_end, write_end = os.pipe()

    def reader(stop: threading.Event) -> None:
        os.read(read_end, 1)

    thread, _stop = running(reader)
    try:
        assert wait_until_parked([thread.native_id], timeout_s=1.0)
    finally:
        os.write(write_end, b"x")
        thread.join(5)
        os.close(read_end)
        os.close(write_end)


@pytest.mark.parametrize("kind", ["spinning", "waiting on a lock"])
def test_a_thread_that_spins_or_waits_on_a_lock_is_not(kind):
    lock = threading.Lock()
    lock.acquire()

    def spinner(stop: threading.Event) -> None:
        while not stop.is_set():
            pass

    def locked(stop: threading.Event) -> None:
        lock.acquire()

    thread, stop = running(spinner if kind == "spinning" else locked)
    try:
        started = time.monotonic()
        assert not wait_until_parked([thread.native_id], timeout_s=0.3)
        assert 0.3 <= time.monotonic() - started < 2
    finally:
        stop.set()
        lock.release()
        thread.join(5)


def test_a_thread_that_has_exited_is_at_rest_and_python_threads_are_not_readers():
    before = thread_ids()
    thread, stop = running(lambda stop: stop.wait(5))
    assert thread.native_id in thread_ids() and thread.native_id not in started_since(before)
    stop.set()
    thread.join(5)
    started = time.monotonic()
    assert wait_until_parked([thread.native_id]) and time.monotonic() - started < 1  # not the 2 s limit

"""The operation helper runs work on one worker thread and reports back on the UI thread."""

import threading

from PySide6.QtCore import QThread

from client.ui.operations import Operations


def test_result_error_progress_and_change_announcement(qtbot):
    ops = Operations()
    ui_thread = QThread.currentThread()
    seen: dict = {"progress": []}
    changes = []
    ops.bus.changed.connect(changes.append)

    def work(report):
        seen["worker"] = threading.get_ident()
        report(1)
        report(2)
        return "ok"

    def done(result):
        seen["result"] = result
        seen["done_on_ui"] = QThread.currentThread() is ui_thread

    ops.run(work, on_done=done, on_progress=seen["progress"].append, changes={"registrations"})
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["result"] == "ok" and seen["done_on_ui"] and seen["worker"] != threading.get_ident()
    assert seen["progress"] == [1, 2] and changes == [frozenset({"registrations"})]

    errors = []
    ops.run(lambda: 1 / 0, on_error=errors.append, changes={"x"})
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ZeroDivisionError) and len(changes) == 1  # failures announce nothing


def test_work_is_serialised_on_one_worker(qtbot):
    ops = Operations()
    order = []
    for i in range(5):
        ops.run(lambda i=i: order.append(i))
    assert ops.wait(5000)
    assert order == [0, 1, 2, 3, 4]


def test_a_long_device_wait_does_not_hold_up_store_work(qtbot):
    ops = Operations()
    release, order = threading.Event(), []
    ops.run(lambda: release.wait(10), on_done=lambda _r: order.append("scan"), lane="devices")
    ops.run(lambda: "saved", on_done=order.append)  # the store lane is free while the scan waits
    qtbot.waitUntil(lambda: order == ["saved"], timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: order == ["saved", "scan"], timeout=5000)
    assert ops.wait(5000)

"""A scripted officer who uses the kiosk with the keyboard only: every input is a key press sent to the
widget that has focus, as a real keyboard would deliver it (shortcuts included), never a method call or a
click. Used by the keyboard-only registration test and by ``bench/bench_gui.py``, which reports the
keys pressed, the machine time of a whole registration and how long each key took to paint its answer.

Thread rule: GUI thread only (it pumps the event loop while it waits for the kiosk's background work).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QWidget

Key = Qt.Key
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


class OfficerStuck(AssertionError):
    """The kiosk did not reach what the script waited for; the message says where it stood."""


class _StrayWindows(QObject):
    """Notes every widget shown as a window of its own that is not a window, dialog, menu or tooltip: a
    widget shown before it has a parent flashes up as a window and takes the focus from the kiosk."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow():
            popup = watched.windowType() in (Qt.WindowType.Popup, Qt.WindowType.ToolTip)
            if not popup and not isinstance(watched, QDialog | QMainWindow):
                self.seen.append(f"{type(watched).__name__}#{watched.objectName()}")
        return False


@dataclass
class KeyboardOfficer:
    """Presses keys into ``window`` and keeps count: ``keys`` pressed, ``paints`` (milliseconds from a
    key's press to its answer painted, worst per step) and ``started`` (for the machine time)."""

    window: QWidget
    keys: int = 0
    paints: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    step: str = "start"
    strays: _StrayWindows = field(default_factory=_StrayWindows)

    def __post_init__(self) -> None:
        QApplication.instance().installEventFilter(self.strays)

    def done(self) -> None:
        """Stop watching for stray windows (call when the script ends)."""
        QApplication.instance().removeEventFilter(self.strays)

    @property
    def stray_windows(self) -> list[str]:
        """Widgets that flashed up as windows of their own while the officer worked (should be none)."""
        return list(self.strays.seen)

    @property
    def seconds(self) -> float:
        """Machine time since the officer started (no thinking time: the script never pauses)."""
        return time.perf_counter() - self.started

    def focused(self) -> QWidget:
        self._hand_back_activation()
        widget = QApplication.focusWidget()
        if widget is None:
            raise OfficerStuck(f"{self.step}: nothing has keyboard focus")
        return widget

    def _hand_back_activation(self) -> None:
        """Do what a window manager does when a dialog closes: activate the window below it. (Qt's
        offscreen platform, used by the tests, has no window manager and leaves no window active.)"""
        if QApplication.activeWindow() is None and self.window.isVisible():
            self.window.activateWindow()
            QApplication.processEvents()

    def press(self, key: Key, modifier: Qt.KeyboardModifier = NO_MODIFIER, *, times: int = 1) -> None:
        """Press ``key`` on the focused widget, ``times`` times; each press is timed to its paint."""
        for _ in range(times):
            target = self.focused()
            t0 = time.perf_counter()
            QTest.keyClick(target, key, modifier)
            self.window.repaint()  # the answer to the key, painted
            elapsed = (time.perf_counter() - t0) * 1000
            self.paints[self.step] = max(self.paints.get(self.step, 0.0), elapsed)
            self.keys += 1

    def type(self, text: str) -> None:
        """Type ``text`` into the focused widget, a key per character."""
        target = self.focused()
        t0 = time.perf_counter()
        QTest.keyClicks(target, text)
        self.window.repaint()
        per_key = (time.perf_counter() - t0) * 1000 / max(1, len(text))
        self.paints[self.step] = max(self.paints.get(self.step, 0.0), per_key)
        self.keys += len(text)

    def fill(self, *entries: str | Key | None) -> None:
        """Fill fields in focus order: a string is typed, a key is pressed (e.g. Down to choose the first
        option of a dropdown), None leaves the field as it is; Tab follows each entry."""
        for entry in entries:
            if isinstance(entry, str):
                self.type(entry)
            elif entry is not None:
                self.press(entry)
            self.press(Key.Key_Tab)

    def tab_to(self, name: str, *, limit: int = 40) -> QWidget:
        """Tab until the widget named ``name`` (its objectName) has focus."""
        for _ in range(limit):
            if self.focused().objectName() == name:
                return self.focused()
            self.press(Key.Key_Tab)
        raise OfficerStuck(
            f"{self.step}: Tab never reached {name!r} (focus on {self.focused().objectName()!r})"
        )

    def wait(self, what: str, done: Callable[[], bool], *, timeout_s: float = 20.0) -> None:
        """Let the kiosk work (background operations, devices) until ``done()``; fail naming ``what``."""
        app = QApplication.instance()
        end = time.perf_counter() + timeout_s
        while not done():
            self._hand_back_activation()
            if time.perf_counter() > end:
                focus = QApplication.focusWidget()
                active = QApplication.activeWindow()
                where = f"{type(focus).__name__}#{focus.objectName()}" if focus else "nothing"
                where += (
                    f" in {type(active).__name__}#{active.objectName()}" if active else ", no active window"
                )
                where += "; windows: " + ", ".join(
                    f"{type(w).__name__}#{w.objectName()}"
                    for w in QApplication.topLevelWidgets()
                    if w.isVisible()
                )
                raise OfficerStuck(
                    f"{self.step}: {what} did not happen in {timeout_s:.0f} s (focus: {where})"
                )
            app.processEvents()
            time.sleep(0.005)

    def at(self, step: str) -> None:
        """Name the step the next keys belong to (for the paint figures and error messages)."""
        self.step = step

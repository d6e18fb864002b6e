"""The kiosk window: a top bar (language, contrast, lock) over a stack of screens, one file per screen."""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from client.ui.autolock import InactivityLock
from client.ui.context import UiContext
from client.ui.device_bar import DeviceBar
from client.ui.display_settings import DisplaySettings, load_display, save_display
from client.ui.screens.end_of_day import EndOfDayScreen
from client.ui.screens.home import HomeScreen
from client.ui.screens.login import LoginScreen
from client.ui.screens.preview import PreviewScreen
from client.ui.screens.registration import RegistrationScreen
from client.ui.screens.setup import SetupScreen
from client.ui.screens.sync_centre import SyncCentreScreen
from client.ui.screens.usb_media import UsbMediaScreen
from client.ui.screens.wizard_pages import WIZARD_SCREENS
from client.ui.theme import apply_theme
from client.ui.top_bar import TopBar
from client.ui.widgets import EnterClicksFocusedButton, ScreenFrame


class MainWindow(QMainWindow):
    """Owns navigation and the session; screens ask to ``navigate`` by name."""

    def __init__(self, ctx: UiContext, *, inactivity_ms: int = 10 * 60_000) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("main_window")
        self.setMinimumSize(1024, 700)
        central = QWidget()
        outer = QVBoxLayout(central)
        self.top_bar = bar = TopBar()
        self.brand, self.user_label, self.language_box = bar.brand, bar.user_label, bar.language_box
        self.contrast, self.text_size = bar.contrast, bar.text_size
        self.home_button, self.lock_button = bar.home_button, bar.lock_button
        outer.addWidget(bar)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.device_bar = DeviceBar(ctx)  # each device and its state, live (plug / unplug)
        outer.addWidget(self.device_bar)
        self.setCentralWidget(central)

        self.screens: dict[str, QWidget] = {
            "login": LoginScreen(ctx),
            "lock": LoginScreen(ctx, locked=True),
            "home": HomeScreen(ctx),
            "registration": RegistrationScreen(ctx),
            **{WIZARD_SCREENS[f]: RegistrationScreen(ctx, flow=f) for f in ("update", "lost", "correction")},
            "preview": PreviewScreen(ctx),
            "end_of_day": EndOfDayScreen(ctx),
            "setup": SetupScreen(ctx),
            "sync": SyncCentreScreen(
                ctx, interval_minutes=float(ctx.master_data.config("sync.interval_minutes", 15))
            ),
            "usb": UsbMediaScreen(ctx),  # issue 21: packets and answers by USB stick (from the sync centre)
        }
        self._frames: dict[str, ScreenFrame] = {}
        for name, screen in list(self.screens.items()):
            self.add_screen(name, screen)
        self.screens["login"].signed_in.connect(self._signed_in)
        self.screens["lock"].signed_in.connect(self._unlocked)
        self.screens["lock"].signed_out.connect(self._signed_out)
        for wizard in self.wizards():
            wizard.finished.connect(self._registration_ready)

        self.enter_clicks = EnterClicksFocusedButton(self)
        self.autolock = InactivityLock(timeout_ms=inactivity_ms, parent=self)
        self.autolock.idle.connect(lambda: self.lock(idle=True))
        self._watch_application(True)
        self.language_box.currentIndexChanged.connect(
            lambda _i: ctx.language.set(self.language_box.currentData())
        )
        ctx.language.changed.connect(lambda _c: self.retranslate())
        self.display = load_display(ctx.settings.data_dir)
        self.contrast.setChecked(self.display.high_contrast)
        self.text_size.setCurrentIndex(max(0, self.text_size.findData(self.display.text_size)))
        self._apply_display()
        self.contrast.toggled.connect(self.set_high_contrast)
        self.text_size.currentIndexChanged.connect(
            lambda _i: self.set_text_size(self.text_size.currentData())
        )
        self.home_button.clicked.connect(lambda: self.show_screen("home"))
        self.lock_button.clicked.connect(lambda: self.lock())
        QShortcut(QKeySequence("Ctrl+L"), self, activated=lambda: self.lock())
        QShortcut(QKeySequence("Ctrl+H"), self, activated=lambda: self.show_screen("home"))
        self.retranslate()
        self.show_screen("login")
        identity = ctx.machine.identity  # first run: an unenrolled kiosk opens on the setup screen
        ctx.ops.run(lambda: identity().enrolled, on_done=lambda ok: ok or self.show_screen("setup"))

    def wizards(self) -> list[RegistrationScreen]:
        """The registration wizard of each process (new, update, lost, correction)."""
        return [w for w in self.screens.values() if isinstance(w, RegistrationScreen)]

    # -- navigation -------------------------------------------------------------------------------
    def current_name(self) -> str:
        current = self.stack.currentWidget()
        return next(name for name, frame in self._frames.items() if frame is current)

    def add_screen(self, name: str, screen: QWidget) -> None:
        """Show ``screen`` under ``name``; a screen taller or wider than the window (large text on a
        small screen) scrolls instead of squeezing its rows."""
        self.screens[name] = screen
        frame = self._frames[name] = ScreenFrame(screen, name=f"frame_{name}")
        self.stack.addWidget(frame)
        if hasattr(screen, "navigate"):
            screen.navigate.connect(self.show_screen)

    def show_screen(self, name: str) -> None:
        signed_in = self.ctx.session is not None and not self.ctx.session.locked
        if name not in ("login", "lock", "setup") and not signed_in:
            name = "login"
        screen = self.screens[name]
        self.stack.setCurrentWidget(self._frames[name])
        self.home_button.setVisible(signed_in and name != "home")
        self.lock_button.setVisible(signed_in)
        self.top_bar.fit()
        if hasattr(screen, "entered"):
            screen.entered()

    # -- session ----------------------------------------------------------------------------------
    def _signed_in(self, session) -> None:
        self.ctx.session = session
        self.autolock.arm()
        if self.ctx.settings.server_url or self.ctx.machine.identity().enrolled:
            self.screens["sync"].schedule()  # background sync while someone is signed in
        self.retranslate()
        self.show_screen("home")

    def _unlocked(self, session) -> None:
        self.autolock.arm()
        self.show_screen(self._resume_to or "home")

    _resume_to: str | None = None

    def _signed_out(self) -> None:
        self.ctx.session = None
        self.autolock.disarm()
        self.screens["sync"].timer.stop()
        self.retranslate()
        self.show_screen("login")

    def lock(self, *, idle: bool = False) -> None:
        """Lock after inactivity (``idle``) or on request; the wizard keeps its state for the same officer."""
        session = self.ctx.session
        if session is None or session.locked:
            return
        self._resume_to = self.current_name()
        self.autolock.disarm()
        session.locked = True  # immediate on screen; the core audits the lock on the worker
        auth = self.ctx.authentication
        self.ctx.ops.run(lambda: auth.lock(session, idle=idle), changes={"session"})
        self.show_screen("lock")

    def _registration_ready(self, registration) -> None:
        if "preview" in self.screens:
            self.screens["preview"].load(registration)
            self.show_screen("preview")

    _closing_confirmed = False

    def _watch_application(self, on: bool) -> None:
        """The inactivity lock and Enter-on-a-button see every event of the application while the window
        is open. They stop when it closes: Qt tears widgets down with events that would otherwise reach
        these Python filters half-destroyed (a crash on exit)."""
        app = QApplication.instance()
        for watcher in (self.autolock, self.enter_clicks):
            if app is not None:
                app.removeEventFilter(watcher)
                if on:
                    app.installEventFilter(watcher)

    def showEvent(self, event) -> None:
        self._watch_application(True)
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the window during a registration (of any process) asks first, like Cancel does."""
        busy = [w for w in self.wizards() if w.in_progress()]
        if self._closing_confirmed or not busy:
            self._watch_application(False)
            super().closeEvent(event)
            return
        event.ignore()
        busy[0].confirm_discard(self._close_discarding)

    def _close_discarding(self) -> None:
        self._closing_confirmed = True
        for wizard in self.wizards():
            if wizard.in_progress():
                wizard.discard()
        self.close()

    # -- appearance -------------------------------------------------------------------------------
    def set_high_contrast(self, on: bool) -> None:
        self._set_display(replace(self.display, high_contrast=on))

    def set_text_size(self, percent: int) -> None:
        """Text at ``percent`` (100, 125, 150) of the theme's size, at once, for the whole window."""
        self._set_display(replace(self.display, text_size=percent))

    def _set_display(self, display: DisplaySettings) -> None:
        self.display = display
        self._apply_display()
        try:
            save_display(self.ctx.settings.data_dir, display)
        except OSError as exc:  # a read-only data folder: the choice holds until the kiosk restarts
            logging.getLogger(__name__).warning("display settings not saved: %s", exc)

    def _apply_display(self) -> None:
        app = QApplication.instance()
        if app is not None:
            apply_theme(
                app, high_contrast=self.display.high_contrast, text_scale=self.display.text_size / 100
            )
        QTimer.singleShot(0, self.top_bar.fit)  # once the new type is laid out

    def retranslate(self) -> None:
        t = self.ctx.t
        self.setWindowTitle(t("app.title"))
        self.brand.setText("OpenReg")
        session = self.ctx.session
        # The name and id (under the brand) in a first-strong isolate, so a Latin name keeps its order
        # and brackets in Arabic.
        self.user_label.setText(f"\u2068{session.name} ({session.user_id})\u2069" if session else "")
        self.user_label.setVisible(session is not None)
        self.top_bar.retranslate(t)
        self.device_bar.retranslate()
        self.language_box.blockSignals(True)  # the list shows the language, however it was chosen
        self.language_box.setCurrentIndex(max(0, self.language_box.findData(self.ctx.language.code)))
        self.language_box.blockSignals(False)
        for screen in self.screens.values():
            if hasattr(screen, "retranslate"):
                screen.retranslate()
        self.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if self.ctx.language.rtl else Qt.LayoutDirection.LeftToRight
        )

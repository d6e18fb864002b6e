"""The first page of an update or a correction: the officer's choice before any form.

Update: the resident's UIN and a checkbox per thing that may change (the UI spec's ``groups``, worded
by the spec). Correction: the RID of the held packet; the packets this kiosk knows the server holds are
listed with the server's request (picking one fills the RID), and a typed RID shows its request when the
kiosk has it, else says that the server checks it. The workflow checks the choice (``choose_update`` /
``choose_correction``); this page renders it and words the problems. UI thread only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.core.registration.workflow import Registration
from client.ui.i18n import isolate, tr
from client.ui.widgets import error_label, wheel_only_when_focused


class ProcessPage(QWidget):
    """``values()`` reads the choice; ``show_errors()`` words the workflow's problems by key."""

    def __init__(self, *, registration: Registration, held: list[dict[str, Any]], language: str) -> None:
        super().__init__()
        self.registration, self.language, self.held = registration, language, held
        self.flow = registration.flow
        self.setObjectName(f"process_{self.flow}")
        self._errors: dict[str, str] = {}
        layout = QVBoxLayout(self)
        self.intro = QLabel(objectName="process_intro", wordWrap=True)
        layout.addWidget(self.intro)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        self.key_label = QLabel()
        self.key = QLineEdit(objectName="process_uin" if self.flow == "update" else "process_rid")
        self.key.setMaxLength(64)
        self.key_label.setBuddy(self.key)
        self.hint = QLabel(objectName="process_hint", wordWrap=True)
        self.hint.setProperty("role", "second")
        self.key_error = error_label("process_key_error")
        grid.addWidget(self.key_label, 0, 0)
        grid.addWidget(self.key, 0, 1)
        grid.addWidget(self.hint, 1, 1)
        grid.addWidget(self.key_error, 2, 1)
        layout.addLayout(grid)
        self.groups_label = QLabel(objectName="process_groups_label")
        self.boxes: dict[str, QCheckBox] = {}
        self.groups_error = error_label("process_groups_error")
        self.held_label = QLabel(objectName="process_held_label")
        self.held_list = wheel_only_when_focused(QListWidget(objectName="process_held"))
        if self.flow == "update":
            layout.addWidget(self.groups_label)
            for group in registration.engine.ui_spec.groups:
                box = QCheckBox(objectName=f"group_{group.id}")
                box.setChecked(group.id in registration.process.update_groups)
                self.boxes[group.id] = box
                layout.addWidget(box)
            layout.addWidget(self.groups_error)
            self.key.setText(registration.process.uin or "")
        else:
            layout.addWidget(self.held_label)
            layout.addWidget(self.held_list)
            for row in held:
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, row["rid"])
                self.held_list.addItem(item)
            self.held_list.currentItemChanged.connect(self._picked)
            self.held_list.itemActivated.connect(lambda _i: self.key.setFocus())
            self.key.textChanged.connect(lambda _t: self._show_request())
            self.key.setText(registration.process.correction_of or "")
        layout.addStretch(1)
        self.retranslate(language)

    def first_input(self) -> QWidget:
        return self.key

    def _picked(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.key.setText(item.data(Qt.ItemDataRole.UserRole))

    def _request(self) -> str | None:
        typed = "".join(c for c in self.key.text() if c.isdigit())
        return next((str(h.get("reason") or "") for h in self.held if h["rid"] == typed), None)

    def _show_request(self) -> None:
        if self.flow != "correction":
            return
        request = self._request()
        if not self.key.text().strip():
            self.hint.clear()
        elif request is None:
            self.hint.setText(tr("process.request_unknown", self.language))
        else:
            self.hint.setText(tr("process.request", self.language, reason=request or "—"))

    def values(self) -> dict[str, Any]:
        """{"uin", "groups"} for an update, {"rid"} for a correction (as typed)."""
        if self.flow == "update":
            return {"uin": self.key.text(), "groups": [g for g, b in self.boxes.items() if b.isChecked()]}
        return {"rid": self.key.text()}

    def show_errors(self, errors: dict[str, str]) -> None:
        """The workflow's ``ProcessProblem`` by key (``uin`` / ``rid``, ``update_groups``); focus the first."""
        self._errors = dict(errors)
        self._word_errors()
        if "uin" in errors or "rid" in errors:
            self.key.setFocus(Qt.FocusReason.OtherFocusReason)
        elif errors and self.boxes:
            next(iter(self.boxes.values())).setFocus(Qt.FocusReason.OtherFocusReason)

    def _word_errors(self) -> None:
        def words(problem: str | None) -> str:
            code = getattr(problem, "code", None)
            fields = getattr(problem, "fields", {})
            return tr(f"process.problem.{code}", self.language, **fields) if code else (problem or "")

        self.key_error.setText(words(self._errors.get("uin") or self._errors.get("rid")))
        self.key_error.setVisible(bool(self.key_error.text()))
        self.groups_error.setText(words(self._errors.get("update_groups")))
        self.groups_error.setVisible(bool(self.groups_error.text()))

    def retranslate(self, language: str) -> None:
        self.language = language
        spec = self.registration.engine.ui_spec
        default = spec.default_language if spec else "eng"
        if self.flow == "update":
            self.intro.setText(tr("process.update.intro", language))
            self.key_label.setText(tr("process.uin", language))
            self.hint.setText(tr("process.uin_hint", language, length=self.registration.uin_length))
            self.groups_label.setText(tr("process.groups", language))
            for group in spec.groups if spec else ():
                label = group.labels.get(language) or group.labels.get(default) or group.id
                self.boxes[group.id].setText(label)
        else:
            self.intro.setText(tr("process.correction.intro", language))
            self.key_label.setText(tr("process.rid", language))
            self.held_label.setText(tr("process.held" if self.held else "process.no_held", language))
            self.held_list.setVisible(bool(self.held))
            for index, row in enumerate(self.held):
                reason = str(row.get("reason") or "—")
                self.held_list.item(index).setText(f"{isolate(row['rid'])} — {isolate(reason)}")
            self._show_request()
        self._word_errors()

    def title(self) -> str:
        return tr(f"process.{self.flow}.title", self.language)

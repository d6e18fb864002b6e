"""Build one wizard page entirely from the UI spec: no field is hard-coded here.

Each field of a ``demographics`` screen becomes a row: label (default language) | input | label in
the spec's second language, with an inline message under the input. A ``consent`` field is its text
(client/ui/consent_panel.py) above a checkbox labelled with the field's label. Dropdowns and location cascades
take their options from master-data rows loaded once per registration (``options``), so typing never
waits for the store. Visibility conditions re-run on every change; a field is validated by the shared
form engine when the officer leaves it, and the whole screen when Next is pressed (by the workflow).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLabel, QLineEdit, QScrollArea, QWidget

from client.core.registration.consent import ConsentText
from client.ui.consent_panel import ConsentPanel
from client.ui.i18n import tr, tr_message
from client.ui.widgets import wheel_only_when_focused
from shared.forms import CONSENT_AGREED, FormEngine

INPUT_TYPES = frozenset({"text", "number", "date", "dropdown", "location", "consent"})
# options key -> master-data rows, e.g. {"genders": [...], "locations": [...]}
OptionRows = Mapping[str, list[dict[str, Any]]]


def option_label(row: Mapping[str, Any], language: str, default: str) -> str:
    labels = row.get("labels") or {}
    return labels.get(language) or labels.get(default) or str(row.get("name") or row["id"])


class FormPage(QWidget):
    """One UI-spec screen as a form. ``values()`` reads it, ``show_errors()`` marks fields inline."""

    edited = Signal(str)  # field id

    def __init__(
        self,
        *,
        engine: FormEngine,
        screen_id: str,
        options: OptionRows,
        language: str,
        consent: ConsentText | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``consent``: the text of the screen's consent field (the registration's, from master data)."""
        super().__init__(parent)
        assert engine.ui_spec is not None, "a form page needs a UI spec"
        self.engine, self.screen_id, self._options, self.language = engine, screen_id, options, language
        self.screen = engine.ui_spec.screen(screen_id)
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._labels: dict[str, tuple[QLabel, QLabel]] = {}
        self._children: dict[str, list[str]] = {}  # location field -> fields whose parent it is
        self.consent_panel: ConsentPanel | None = None
        self._building = True
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        row = 0
        for ui_field in self.screen.fields:
            spec = engine.schema.fields[ui_field.id]
            if spec.type not in INPUT_TYPES:
                continue  # documents/biometrics have their own pages
            if spec.type == "consent":  # the text spans the row above its checkbox
                self.consent_panel = ConsentPanel(consent=consent, spec=engine.ui_spec)
                grid.addWidget(self.consent_panel, row, 0, 1, 3)
                row += 1
            label, second = QLabel(), QLabel()
            label.setWordWrap(spec.type == "date")  # its format follows the name: may take two lines
            second.setProperty("role", "second")
            widget = self._make_input(ui_field.id, spec.type)
            label.setBuddy(widget)
            error = QLabel()
            error.setProperty("role", "error")
            error.setObjectName(f"error_{ui_field.id}")
            error.setWordWrap(True)
            error.hide()
            grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(widget, row, 1)
            grid.addWidget(second, row, 2, Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(error, row + 1, 1, 1, 2)
            self._labels[ui_field.id], self.inputs[ui_field.id], self.errors[ui_field.id] = (
                (label, second),
                widget,
                error,
            )
            if spec.parent:
                self._children.setdefault(spec.parent, []).append(ui_field.id)
            row += 2
        grid.setRowStretch(row, 1)
        if self.consent_panel is not None and not self.consent_panel.available():
            for widget in self.inputs.values():  # nothing to agree to: this form cannot be completed
                if isinstance(widget, QCheckBox):
                    widget.setEnabled(False)
        self._building = False
        self.retranslate(language)
        self._refresh_visibility()

    # -- building ---------------------------------------------------------------------------------
    def _make_input(self, field_id: str, kind: str) -> QWidget:
        if kind == "consent":  # Space toggles it; its text is its accessible name
            widget: QWidget = QCheckBox()
            widget.toggled.connect(lambda _on, f=field_id: self._changed(f))
        elif kind in {"dropdown", "location"}:
            widget = wheel_only_when_focused(QComboBox())
            widget.currentIndexChanged.connect(lambda _i, f=field_id: self._changed(f))
        else:
            widget = QLineEdit()
            if kind == "date":
                widget.setInputMask("9999-99-99;_")
            widget.textEdited.connect(lambda _t, f=field_id: self._changed(f, validate=False))
            widget.editingFinished.connect(lambda f=field_id: self.validate_field(f))
        widget.setObjectName(f"field_{field_id}")
        return widget

    def _rows_for(self, field_id: str) -> list[dict[str, Any]]:
        spec = self.engine.schema.fields[field_id]
        if spec.type == "dropdown":
            return [r for r in self._options.get(spec.source or "", []) if r.get("active", True)]
        parent_value = self.value(spec.parent) if spec.parent else None
        if spec.parent and not parent_value:
            return []  # cascade: nothing to choose until the parent is chosen
        return [
            r
            for r in self._options.get("locations", [])
            if r.get("level") == spec.level
            and r.get("active", True)
            and (not spec.parent or r.get("parent_id") == parent_value)
        ]

    def _fill_combo(self, field_id: str, keep: str | None) -> None:
        combo = self.inputs[field_id]
        assert isinstance(combo, QComboBox)
        default = self.engine.ui_spec.default_language if self.engine.ui_spec else "eng"
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(tr("wizard.choose", self.language), None)
        for r in self._rows_for(field_id):
            combo.addItem(option_label(r, self.language, default), r["id"])
        index = combo.findData(keep) if keep else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    # -- reading and writing ----------------------------------------------------------------------
    def value(self, field_id: str) -> Any:
        widget = self.inputs.get(field_id)
        if isinstance(widget, QCheckBox):
            return CONSENT_AGREED if widget.isChecked() else None
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, QLineEdit):
            text = widget.text().strip()
            if self.engine.schema.fields[field_id].type == "date" and not text.strip("-_ "):
                return None
            return text or None
        return None

    def values(self) -> dict[str, Any]:
        """Visible, non-empty values of this screen (hidden fields are never part of the record)."""
        raw = {f: self.value(f) for f in self.inputs}
        return {f: v for f, v in raw.items() if v not in (None, "") and not self.inputs[f].isHidden()}

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Prefill (pre-registration or going back); parents first so cascades have their options."""
        self._building = True
        for field_id in self.inputs:
            if field_id not in values:
                continue
            widget = self.inputs[field_id]
            if isinstance(widget, QCheckBox):
                widget.setChecked(values[field_id] == CONSENT_AGREED and widget.isEnabled())
            elif isinstance(widget, QComboBox):
                self._fill_combo(field_id, keep=str(values[field_id]))
            elif isinstance(widget, QLineEdit):
                widget.setText(str(values[field_id]))
        self._building = False
        for field_id in self.inputs:  # refill children now that parents are set
            if isinstance(self.inputs[field_id], QComboBox):
                self._fill_combo(field_id, keep=self.value(field_id) or values.get(field_id))
        self._refresh_visibility()

    # -- behaviour --------------------------------------------------------------------------------
    def _changed(self, field_id: str, *, validate: bool = True) -> None:
        if self._building:
            return
        for child in self._children.get(field_id, []):
            self._fill_combo(child, keep=None)
            self._changed(child, validate=False)
        self._refresh_visibility()
        if validate:
            self.validate_field(field_id)
        self.edited.emit(field_id)

    def _refresh_visibility(self) -> None:
        values = {f: self.value(f) for f in self.inputs}
        for field_id, widget in self.inputs.items():
            visible = self.engine.is_visible(field_id, {k: v for k, v in values.items() if v})
            label, second = self._labels[field_id]
            for w in (label, second, widget):
                w.setVisible(visible)
            if not visible:
                self.errors[field_id].hide()

    def validate_field(self, field_id: str) -> str | None:
        """Inline check of one field by the shared engine; shows or clears its message."""
        values = self.values()
        if field_id not in values:
            self.errors[field_id].hide()  # empty: "required" is reported on Next, not while typing
            return None
        result = self.engine.validate(values, fields=[field_id], language=self.language)
        message = result.errors.get(field_id)
        self._show_error(field_id, message)
        return message

    def _show_error(self, field_id: str, message: str | None) -> None:
        if message and isinstance(self.inputs[field_id], QCheckBox):
            message = tr("consent.required", self.language)  # what to do, in the kiosk's words
        label = self.errors[field_id]
        label.setText(tr_message(message, self.language) if message else "")
        label.setVisible(bool(message))

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Mark every field of ``errors`` on this page and focus the first one."""
        first = None
        for field_id in self.inputs:
            self._show_error(field_id, errors.get(field_id))
            if field_id in errors and first is None:
                first = self.inputs[field_id]
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)
            area = self.parentWidget()
            while area is not None and not isinstance(area, QScrollArea):
                area = area.parentWidget()
            if area is not None:  # a long form scrolls to the first field to fix, once laid out anew
                QTimer.singleShot(0, lambda: area.ensureWidgetVisible(first, 50, 80))

    def retranslate(self, language: str) -> None:
        self.language = language
        if self.consent_panel is not None:
            self.consent_panel.retranslate(language)
        second_lang = self.engine.ui_spec.second_language if self.engine.ui_spec else None
        for field_id, (label, second) in self._labels.items():
            ui = next(f for f in self.screen.fields if f.id == field_id)
            required = " *" if self.engine.marked_required(field_id) else ""
            kind = self.engine.schema.fields[field_id].type
            shown = tr("form.date_format", language) if kind == "date" else ""  # the mask shows no format
            label.setText(" ".join(filter(None, (self.engine.label(field_id, language), shown))) + required)
            other = (
                self.engine.label(field_id, second_lang) if second_lang and second_lang != language else ""
            )
            second.setText(other)
            widget = self.inputs[field_id]
            if isinstance(widget, QCheckBox):  # the box says what ticking it means
                widget.setText(label.text())
                widget.setAccessibleName(label.text())
                label.clear()
            if isinstance(widget, QLineEdit) and ui.placeholder:
                widget.setPlaceholderText(ui.placeholder.get(language) or next(iter(ui.placeholder.values())))
            elif isinstance(widget, QComboBox):
                self._fill_combo(field_id, keep=self.value(field_id))

    def title(self) -> str:
        default = self.engine.ui_spec.default_language if self.engine.ui_spec else "eng"
        return self.screen.labels.get(self.language) or self.screen.labels.get(default) or self.screen_id

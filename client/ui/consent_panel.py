"""The consent text, read-only: the kiosk language beside the form's second language (right to left
where the spec says so), each scrollable on its own. The checkbox that takes the consent is the form's
(client/ui/form_renderer.py); this panel only shows what the core will fingerprint into the packet."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTextBrowser, QWidget

from client.core.registration.consent import ConsentText
from client.ui.i18n import tr
from shared.forms import UiSpec


class ConsentPanel(QWidget):
    """Shows ``consent`` in the languages :meth:`ConsentText.shown` names (the ones the packet records)."""

    def __init__(self, *, consent: ConsentText | None, spec: UiSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("consent_panel")
        self.consent, self.spec = consent, spec
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.texts = [self._browser(), self._browser()]
        for browser in self.texts:
            row.addWidget(browser, 1)
        self.missing = QLabel(wordWrap=True, objectName="consent_missing")
        self.missing.setProperty("role", "error")
        row.addWidget(self.missing, 1)

    @staticmethod
    def _browser() -> QTextBrowser:
        browser = QTextBrowser()
        browser.setReadOnly(True)
        browser.setOpenLinks(False)
        browser.setTabChangesFocus(True)  # Tab moves on to the checkbox; arrows and PgDn scroll the text
        browser.setMinimumHeight(180)  # a long form squeezes rows to their minimum
        browser.setMaximumHeight(230)
        return browser

    def available(self) -> bool:
        """Is there a text to agree to? (No text in master data: the consent cannot be taken.)"""
        return bool(self.consent and self.consent.texts)

    def shown(self, language: str) -> tuple[str, ...]:
        if self.consent is None:
            return ()
        return self.consent.shown(
            language, default=self.spec.default_language, second=self.spec.second_language
        )

    def retranslate(self, language: str) -> None:
        shown = self.shown(language)
        self.missing.setText(tr("consent.no_text", language))
        self.missing.setVisible(not shown)
        for index, browser in enumerate(self.texts):
            lang = shown[index] if index < len(shown) else None
            browser.setVisible(lang is not None)
            if lang is None or self.consent is None:
                continue
            rtl = lang in self.spec.rtl_languages
            # The text's own direction and a physical (absolute) edge: the widget keeps the window's
            # direction, so its scroll bar sits where every other one on the page does.
            edge = Qt.AlignmentFlag.AlignRight if rtl else Qt.AlignmentFlag.AlignLeft
            option = QTextOption(edge | Qt.AlignmentFlag.AlignAbsolute)
            option.setTextDirection(Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight)
            option.setWrapMode(QTextOption.WrapMode.WordWrap)
            browser.document().setDefaultTextOption(option)
            browser.setPlainText(self.consent.texts[lang])
            browser.setAccessibleName(f"{tr('consent.text', language)} ({lang})")
            browser.setObjectName(f"consent_text_{lang}")

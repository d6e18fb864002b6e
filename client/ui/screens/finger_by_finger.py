"""A slap or the thumbs on a reader that takes one finger at a time: the officer is asked for each finger
in turn on the group's panel, and the whole pass counts as one capture attempt of the group.

The fingers asked for are those neither marked missing nor already accepted (all of them when every
one is accepted and the officer captures again). Each finger is one worker capture through the capture
port (``capture_group`` with the group's other fingers as exceptions). A finger the reader could not
read, or that was not placed in time, is asked again (up to ``TRIES_PER_FINGER`` times); any other
failure, such as the reader unplugged, ends the pass. Nothing is recorded until every finger of the
pass is in: then one ``record_capture`` (quality bars, retries and exceptions as for a slap). A pass
that ends early leaves the registration as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture
from client.ui.error_text import error_text
from client.ui.i18n import tr_code
from client.ui.screens.biometric_words import bio_words

if TYPE_CHECKING:
    from client.ui.screens.biometrics_page import BiometricsPage

TRIES_PER_FINGER = 3
ASK_AGAIN = frozenset(
    {"finger_retry", "swipe_too_short", "finger_not_centred", "remove_finger", "timeout", "failed"}
)
Result = tuple[list[BiometricCapture], dict[int, bytes | None]]


def fingers_to_capture(page: BiometricsPage, group: str) -> list[str]:
    """The group's fingers this pass asks for, in the group's order."""
    reg = page.registration
    modality, subtypes = CAPTURE_GROUPS[group]
    threshold = reg.policy.thresholds.get(modality, 0)
    open_ = [s for s in subtypes if (modality, s) not in reg.exceptions]
    short = [s for s in open_ if (c := reg.captures.get((modality, s))) is None or c.quality < threshold]
    return short or open_


class FingerByFinger:
    """One pass over ``fingers`` of ``group``; ``capture(finger)`` runs on the worker and returns the
    records and their thumbnails; ``done(result)`` records the pass, ``failed(exc)`` ends it."""

    def __init__(
        self,
        page: BiometricsPage,
        group: str,
        fingers: list[str],
        *,
        capture: Callable[[str], Result],
        done: Callable[[Result], None],
        failed: Callable[[Exception], None],
    ) -> None:
        self.page, self.group, self.fingers = page, group, list(fingers)
        self.panel = page.panels[group]
        self._capture, self._done, self._failed = capture, done, failed
        self.records: list[BiometricCapture] = []
        self.thumbnails: dict[int, bytes | None] = {}
        self.index = 0
        self.tries = 0
        self.running = False
        self._problem: Exception | None = None  # why the current finger is asked again

    @property
    def current(self) -> str:
        return self.fingers[self.index]

    def prompt(self) -> str:
        """What the officer is asked now, in the page's language (again after a language switch)."""
        lang = self.page.language
        fields = {
            "n": self.index + 1,
            "total": len(self.fingers),
            "finger": tr_code("bio.subtype", self.current, lang),
        }
        if self._problem is None:
            return bio_words("place_finger", lang, **fields)
        return bio_words("place_again", lang, problem=error_text(self._problem, self.page.ctx.t), **fields)

    def retranslate(self) -> None:
        if self.running:
            self.panel.message.setText(self.prompt())

    def start(self) -> None:
        self.running = True
        self.panel.capture.setEnabled(False)
        self._ask()

    def _highlight(self, finger: str | None) -> None:
        """A thick frame around the thumbnail of the finger asked for (None: the pass is over)."""
        for sub, label in self.panel.thumbnails.items():
            label.setLineWidth(3 if sub == finger else 1)

    def _ask(self) -> None:
        self.panel.outcome = None
        self.panel.message.setText(self.prompt())
        self._highlight(self.current)
        finger = self.current
        self.page.ctx.ops.run(
            lambda: self._capture(finger),
            on_done=self._captured,
            on_error=self._not_captured,
            changes={"devices"},
        )

    def _captured(self, result: Result) -> None:
        records, thumbnails = result
        for i, record in enumerate(records):
            self.thumbnails[len(self.records)] = thumbnails.get(i)
            self.records.append(record)
        if records:
            self.panel.show_frame(thumbnails.get(0))
        self.index, self.tries, self._problem = self.index + 1, 0, None
        if self.index < len(self.fingers):
            return self._ask()
        self.running = False
        self._highlight(None)
        self.panel.capture.setEnabled(True)
        self._done((self.records, self.thumbnails))

    def _not_captured(self, exc: Exception) -> None:
        self.tries += 1
        if getattr(exc, "device_error", None) in ASK_AGAIN and self.tries < TRIES_PER_FINGER:
            self._problem = exc
            return self._ask()
        self.running = False
        self._highlight(None)
        self.panel.capture.setEnabled(True)
        self._failed(exc)

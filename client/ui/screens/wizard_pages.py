"""The wizard's pages for a registration of any process: what to read on the worker before the form
opens, which page stands for which workflow step, and building the pages of the steps the registration
walks (an update's pages only once the officer has chosen what changes).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

from client.core.registration.consent import ConsentText
from client.core.registration.workflow import Registration, Step
from client.ui.context import UiContext
from client.ui.form_renderer import FormPage
from client.ui.i18n import tr
from client.ui.screens.biometrics_page import BiometricsPage
from client.ui.screens.documents_page import DocumentsPage
from client.ui.screens.process_page import ProcessPage
from client.ui.screens.supervisor_dialog import SupervisorDialog
from client.ui.theme import FORM_MAX_WIDTH

# The window's screen name of each process's wizard (the New Registration's is the historical one).
WIZARD_SCREENS = {"new": "registration", "update": "update", "lost": "lost", "correction": "correction"}
PAGE_STEPS = {
    ProcessPage: Step.PROCESS,
    FormPage: Step.DEMOGRAPHICS,
    DocumentsPage: Step.DOCUMENTS,
    BiometricsPage: Step.BIOMETRICS,
}


def wizard_screen(flow: str) -> str:
    return WIZARD_SCREENS.get(flow, "registration")


def step_of(page: QWidget | None) -> Step | None:
    """The workflow step a wizard page stands for."""
    return next((step for kind, step in PAGE_STEPS.items() if isinstance(page, kind)), None)


def step_problem(errors: dict[str, str], language: str) -> str:
    """The problems of a step as a whole (the workflow's ``ProcessProblem`` not tied to one field),
    else "correct the highlighted fields"."""
    problems = [
        tr(f"process.problem.{p.code}", language, **p.fields)
        for key, p in errors.items()
        if getattr(p, "code", None) and key in ("documents", "correction")
    ]
    return "\n".join(problems) or tr("wizard.fix", language)


def ask_supervisor(wizard) -> SupervisorDialog:
    """Open the on-the-spot approval the rules demand for ``wizard``'s registration: approved, on to
    the preview (the wizard's ``finished``); else the registration steps back to its last step."""
    reg = wizard.registration
    dialog = SupervisorDialog(
        wizard.ctx,
        purpose="registration.exceptions",
        reasons=reg.approval_reasons(),
        missing=[(e.bio_subtype, e.reason if e.reason != "missing" else "") for e in reg.exceptions.values()],
        operator_id=reg.operator_id,
        parent=wizard,
    )

    def closed(_result: int) -> None:
        if dialog.supervisor_id:
            reg.approve_by_supervisor(supervisor_id=dialog.supervisor_id)
            wizard.finished.emit(reg)
        else:
            reg.back()  # not approved: stay on the last step (the officer may recapture)

    dialog.finished.connect(closed)
    dialog.open()
    return dialog


def load_form_inputs(ctx: UiContext, prereg_id: str | None) -> tuple[Registration, dict[str, list[dict]]]:
    """Worker thread: open a new registration and read the option rows its form needs once."""
    registration, options, _held = load_wizard_inputs(ctx, prereg_id)
    return registration, options


def load_wizard_inputs(
    ctx: UiContext, prereg_id: str | None, flow: str = "new"
) -> tuple[Registration, dict[str, list[dict]], list[dict[str, Any]]]:
    """Worker thread: open a registration of ``flow`` in the core, read the option rows the form needs
    once, and for a correction the packets the server holds for more information."""
    session = ctx.session
    registration = ctx.registrations.start(session=session, prereg_id=prereg_id, flow=flow)
    md = ctx.master_data
    sources = {f.source for f in registration.engine.schema.fields.values() if f.source}
    options = {name: md.rows(name) for name in sources | {"locations", "document_types"}}
    held = ctx.registrations.held_packets() if flow == "correction" else []
    return registration, options, held


def scrolling(page: QWidget) -> QScrollArea:
    """Long forms scroll instead of squeezing their rows; tabbing scrolls the focused field into view."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    page.setMaximumWidth(FORM_MAX_WIDTH)  # a wide screen centres the form instead of stretching each field
    area.setAlignment(Qt.AlignmentFlag.AlignHCenter)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(page)
    return area


def data_pages(
    ctx: UiContext, registration: Registration, options: dict[str, list[dict]], language: str
) -> list[QWidget]:
    """A page per UI-spec screen whose step the registration walks, in spec order (none for an update
    before its choice is made)."""
    steps = {s.value for s in registration.steps()}
    consent: ConsentText | None = registration.consent
    pages: list[QWidget] = []
    for screen in registration.engine.ui_spec.screens:
        if screen.kind not in steps:
            continue
        if screen.kind == "demographics":
            if not registration.engine.screen_fields(screen.id, {}) and registration.engine.scope:
                continue  # nothing of this screen is in play (an update of the documents only)
            page: QWidget = FormPage(
                engine=registration.engine,
                screen_id=screen.id,
                options=options,
                language=language,
                consent=consent,
            )
        elif screen.kind == "documents":
            page = DocumentsPage(
                registration=registration, ctx=ctx, screen_id=screen.id, options=options, language=language
            )
        else:
            page = BiometricsPage(ctx=ctx, registration=registration, screen_id=screen.id, language=language)
        pages.append(page)
    return pages

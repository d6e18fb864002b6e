"""The preview's summary as rich text: the applicant's photo, the details, documents as thumbnails and
the biometrics as a worded per-finger grid, each section with an "Edit" link (``edit:<step>``).

Pure rendering (UI thread): the images go into the text document as resources named ``preview:…``,
added after ``setHtml`` (which clears a document's resources).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser

from client.core.registration.biometrics import CAPTURE_GROUPS
from client.core.registration.receipt import face_photo
from client.core.registration.workflow import Registration, Step
from client.ui.i18n import tr_code
from client.ui.screens.biometrics_page import _image_of

PHOTO_PX, THUMB_PX = 160, 96
EDIT_SCHEME = "edit"


def _image(images: dict[str, QImage], name: str, data: bytes | None, height: int) -> str:
    """An ``<img>`` of ``data`` scaled to ``height`` (kept in ``images``), or "" when Qt cannot read it."""
    image = QImage.fromData(data or b"")
    if image.isNull():
        return ""
    images[f"preview:{name}"] = image
    width = round(image.width() * height / max(image.height(), 1))
    return f'<img src="preview:{name}" height={height} width={width}>'


def _heading(t: Callable[..., str], section: Step, *, editable: bool) -> str:
    link = f' &nbsp; <a href="{EDIT_SCHEME}:{section.value}">{t("preview.edit")}</a>' if editable else ""
    return f"<h3>{t(f'preview.section.{section.value}')}{link}</h3>"


def _slot_cell(reg: Registration, modality: str, subtype: str, t: Callable[..., str], lang: str) -> str:
    name = escape(tr_code("bio.subtype", subtype, lang))
    excepted = reg.exceptions.get((modality, subtype))
    if excepted is not None:  # a mark and words, not colour: "⚠ Left index finger / Marked missing: …"
        note = excepted.reason if excepted.reason != "missing" else t("bio.missing")
        return f"<b>⚠ {name}</b><br>{escape(t('supervisor.missing', what=note))}"
    capture = reg.captures.get((modality, subtype))
    if capture is None:
        return f"<b>{name}</b><br>{t('bio.missing')}"
    threshold = reg.policy.thresholds.get(modality, 0)
    key = "bio.quality_ok" if capture.quality >= threshold else "bio.quality_low"
    return f"<b>{name}</b><br>{t(key, quality=capture.quality, threshold=threshold)}"


def biometrics_grid(reg: Registration, t: Callable[..., str], lang: str) -> str:
    """One row per capture group (left hand, right hand, thumbs, eyes, face), one cell per finger or eye."""
    wanted = {(m, s) for _g, m, s in reg.required_slots()}
    rows = []
    for group, (modality, subtypes) in CAPTURE_GROUPS.items():
        cells = "".join(
            f"<td valign=top>{_slot_cell(reg, modality, s, t, lang)}</td>"
            for s in subtypes
            if (modality, s) in wanted
        )
        if cells:
            rows.append(f"<tr><td valign=top><b>{t(f'bio.group.{group}')}</b></td>{cells}</tr>")
    return f"<table border=1 cellspacing=0 cellpadding=6>{''.join(rows)}</table>"


def show_summary(
    browser: QTextBrowser,
    reg: Registration,
    data: dict,
    *,
    t: Callable[..., str],
    lang: str,
    shown: Callable[[str, object], str],
    editable: bool,
) -> None:
    """Show the whole summary in ``browser``; ``data`` is the workflow's ``preview()`` taken at the preview step, ``shown``
    words a demographic value, ``editable`` adds the Edit links (not after sign-off)."""
    engine, images = reg.engine, {}
    rows = "".join(
        f"<tr><td><b>{escape(engine.label(k, lang))}</b></td><td>{escape(shown(k, v))}</td></tr>"
        for k, v in data["demographics"].items()
    )
    face = reg.captures.get(("face", "Face"))
    picture = face_photo([face]) or _image_of(face) if face else None  # ISO 19794-5, else a bare image
    photo = _image(images, "face", picture, PHOTO_PX) or t("preview.no_photo")
    details = (
        f"<table cellpadding=0><tr><td valign=top>{photo}</td><td width=24></td><td valign=top>"
        f"{_heading(t, Step.DEMOGRAPHICS, editable=editable)}<table cellpadding=4>{rows}</table>"
        "</td></tr></table>"
    )
    docs = "".join(
        f"<td align=center valign=bottom>{_image(images, f'doc/{f}', d.data, THUMB_PX) or '📄'}<br>"
        f"{escape(engine.label(f, lang))}: {escape(d.name)}</td>"
        for f, d in reg.documents.items()
    )
    documents = _heading(t, Step.DOCUMENTS, editable=editable) + (
        f"<table cellpadding=6><tr>{docs}</tr></table>" if docs else "<p>—</p>"
    )
    biometrics = _heading(t, Step.BIOMETRICS, editable=editable) + biometrics_grid(reg, t, lang)
    sup = (
        f"<p>{t('preview.supervisor')}: {escape(data['supervisor_id'])}</p>" if data["supervisor_id"] else ""
    )
    browser.setHtml(details + documents + biometrics + sup)
    for name, image in images.items():
        browser.document().addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)

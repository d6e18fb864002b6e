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
from client.core.registration.record_images import thumbnail
from client.core.registration.workflow import Registration, Step
from client.ui.i18n import tr_code

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


def _row(cells: list[str], rtl: bool) -> str:
    """A table row; right to left its cells are reversed (Qt's rich text does not mirror tables)."""
    return "<tr>" + "".join(reversed(cells) if rtl else cells) + "</tr>"


def biometrics_grid(reg: Registration, t: Callable[..., str], lang: str, *, rtl: bool = False) -> str:
    """One row per capture group (left hand, right hand, thumbs, eyes, face), one cell per finger or eye."""
    wanted = {(m, s) for _g, m, s in reg.required_slots()}
    rows = []
    for group, (modality, subtypes) in CAPTURE_GROUPS.items():
        cells = [
            f"<td valign=top>{_slot_cell(reg, modality, s, t, lang)}</td>"
            for s in subtypes
            if (modality, s) in wanted
        ]
        if cells:
            rows.append(_row([f"<td valign=top><b>{t(f'bio.group.{group}')}</b></td>", *cells], rtl))
    # 99%: at 100% a right-to-left table rounds a pixel wider than the page and gets a scroll bar
    return f"<table width=99% border=1 cellspacing=0 cellpadding=6>{''.join(rows)}</table>"


def process_section(reg: Registration, t: Callable[..., str], lang: str, *, editable: bool) -> str:
    """What the packet asks of the server: the update of a UIN (and what changes), a lost-UIN search,
    the answer to a held packet; nothing for a new registration."""
    process = reg.process
    if process.flow == "new":
        return ""
    if process.flow == "update":
        spec = reg.engine.ui_spec
        labels = {
            g.id: g.labels.get(lang) or g.labels.get(spec.default_language) or g.id for g in spec.groups
        }
        what = t("list.separator").join(labels.get(g, g) for g in process.update_groups)
        line = t("preview.update", uin=process.uin, groups=what)
    elif process.flow == "correction":
        line = t("preview.correction", rid=process.correction_of)
    else:
        line = t("preview.lost")
    return f"{_heading(t, Step.PROCESS, editable=editable)}<p>{escape(line)}</p>"


def show_summary(
    browser: QTextBrowser,
    reg: Registration,
    data: dict,
    *,
    t: Callable[..., str],
    lang: str,
    shown: Callable[[str, object], str],
    editable: bool,
    rtl: bool = False,
) -> None:
    """Show the whole summary in ``browser``. ``data``: the workflow's ``preview()`` taken at the
    preview step; ``shown`` words a demographic value; ``editable`` adds the Edit links (not after
    sign-off); ``rtl`` lays it out right to left."""
    engine, images = reg.engine, {}
    align = "right" if rtl else "left"
    steps = reg.steps()
    rows = "".join(  # values in an isolate: a Latin address keeps its order in an Arabic screen
        _row(
            [
                f"<td><b>{escape(engine.label(k, lang))}</b></td>",
                f"<td>\u2068{escape(shown(k, v))}\u2069</td>",
            ],
            rtl,
        )
        for k, v in data["demographics"].items()
    )
    face = reg.captures.get(("face", "Face"))
    picture = thumbnail(face) if face else None  # a PNG whatever the record holds (JPEG 2000 included)
    photo = _image(images, "face", picture, PHOTO_PX) or t("preview.no_photo")
    inner = f"<table cellpadding=4 align={align}>{rows}</table>"
    cells = [
        f"<td valign=top width={PHOTO_PX + 24}>{photo}</td>",
        f"<td valign=top>{_heading(t, Step.DEMOGRAPHICS, editable=editable)}{inner}</td>",
    ]
    details = f"<table width=99% cellpadding=0>{_row(cells, rtl)}</table>"
    if Step.DEMOGRAPHICS not in steps:
        details = ""
    docs = [
        f"<td align=center valign=bottom>{_image(images, f'doc/{f}', d.data, THUMB_PX) or '📄'}<br>"
        f"\u2068{escape(engine.label(f, lang))}: {escape(d.name)}\u2069</td>"
        for f, d in reg.documents.items()
    ]
    documents = _heading(t, Step.DOCUMENTS, editable=editable) + (
        f"<table cellpadding=6 align={align}>{_row(docs, rtl)}</table><br>" if docs else "<p>—</p>"
    )
    if Step.DOCUMENTS not in steps:
        documents = ""
    biometrics = _heading(t, Step.BIOMETRICS, editable=editable) + biometrics_grid(reg, t, lang, rtl=rtl)
    if Step.BIOMETRICS not in steps:
        biometrics = ""
    elif reg.process.authenticating:
        biometrics += f"<p>{escape(t('bio.auth_hint'))}</p>"
    sup = (
        f"<p>{t('preview.supervisor')}: {escape(data['supervisor_id'])}</p>" if data["supervisor_id"] else ""
    )
    direction = "rtl" if rtl else "ltr"
    process = process_section(reg, t, lang, editable=editable and Step.PROCESS in steps)
    html = f"<div dir={direction}>{process}{details}{documents}{biometrics}{sup}</div>"
    browser.setHtml(html.replace("<h3>", f"<h3 dir={direction}>"))
    for name, image in images.items():
        browser.document().addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)

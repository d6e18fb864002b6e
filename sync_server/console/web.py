"""Rendering console pages: one Jinja2 environment (autoescaped), the page's language and words, a
strict Content-Security-Policy (scripts and styles from the server only, nothing inline), no caching.

Thread rules: the environment is built once and is safe to share; ``render`` runs in the request's thread.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sync_server import __version__
from sync_server.console.access import visible_pages
from sync_server.console.i18n import LANG_COOKIE, LANGUAGES, NATIVE_NAMES, RTL, pick_language, translator
from sync_server.services.console_sessions import ConsoleUser

HERE = Path(__file__).parent
STATIC_URL = "/console/static"
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-store"}
_ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def when(at: dt.datetime | None, seconds: bool = False) -> str:
    """A moment as the console shows it everywhere: UTC, to the minute (or second); empty for None."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") if at else ""


def text_dir(value: object) -> str:
    """``auto`` for text with a right-to-left letter, else ``ltr``: a phone number or an id keeps its
    order on an Arabic page (``dir=auto`` alone leaves digits-only text to the page's direction)."""
    return "auto" if any(unicodedata.bidirectional(c) in ("R", "AL") for c in str(value)) else "ltr"


_ENV.globals.update(
    when=when,
    text_dir=text_dir,
    static=lambda name: f"{STATIC_URL}/{name}?v={__version__}",
    languages=[(code, NATIVE_NAMES[code]) for code in LANGUAGES],
    version=__version__,
)


@dataclass
class View:
    """What every page template gets: the request's language, its words and the signed-in user."""

    request: Request
    lang: str
    user: ConsoleUser | None = None

    @property
    def t(self):
        return translator(self.lang)

    @property
    def csrf(self) -> str:
        return self.user.csrf_token if self.user else ""


def request_language(request: Request) -> str:
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def render(view: View, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` with ``context``, in the view's language; stores a ``?lang=`` choice."""
    user = view.user
    html = _ENV.get_template(template).render(
        t=view.t,
        lang=view.lang,
        dir="rtl" if view.lang in RTL else "ltr",
        user=user,
        csrf=view.csrf,
        nav=visible_pages(user.roles) if user and user.stage == "ready" else [],
        path=view.request.url.path,
        query=view.request.url.query,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
    _remember_language(view, response)
    return response


def redirect(view: View, url: str) -> RedirectResponse:
    """303 to ``url`` (after a POST: the browser GETs it, so a reload never repeats the action)."""
    response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
    _remember_language(view, response)
    return response


def _remember_language(view: View, response) -> None:
    if view.request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, view.lang, max_age=365 * 86400, samesite="strict", secure=is_https(view.request)
        )


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"

"""The identities page: an audited look-up by UIN or RID with a stated purpose (admins, auditors).

The look-up is a POST (CSRF-checked) answered with the result itself, never a redirect: a GET would
put the purpose and the person's UIN in server and proxy logs and browser history. The ID store
audits each read (``identity.read``, actor = the console user) in the read's own transaction.
The store lives in the processing backend; a server process started without one says so.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from shared.sync.models import PRINTABLE_PATTERN
from shared.uin_credential import CredentialError
from sync_server.api.deps import StateDep
from sync_server.console.guard import PostedForm, page
from sync_server.console.web import View, render
from sync_server.letters.issue import issue_letter
from sync_server.letters.names import NoResidentName
from sync_server.letters.words import LANGUAGES as LETTER_LANGUAGES
from sync_server.ports import MAX_PURPOSE_CHARS, IdentityInactive, IdentityNotFound, IdentityReader
from sync_server.services.clock import utcnow
from sync_server.services.roles import ADMIN

router = APIRouter(prefix="/console", include_in_schema=False)
Identities = Annotated[View, page("identities")]
# UINs and RIDs are digits in production; the API's plain-id alphabet keeps test or imported ids.
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PRINTABLE = re.compile(PRINTABLE_PATTERN)
MIN_PURPOSE_CHARS = 3


@router.get("/identities")
def identity_form(view: Identities, state: StateDep) -> Response:
    return _page(view, state, by="uin", key="", purpose="")


@router.post("/identities")
def identity_lookup(view: Identities, form: PostedForm, state: StateDep) -> Response:
    by = form.get("by") if form.get("by") in ("uin", "rid") else "uin"
    key = str(form.get("key") or "").strip()
    purpose = str(form.get("purpose") or "").strip()
    if not _KEY.match(key):
        return _page(
            view, state, by=by, key=key[:64], purpose=purpose, error="identities.bad_key", status=422
        )
    if not MIN_PURPOSE_CHARS <= len(purpose) <= MAX_PURPOSE_CHARS or not _PRINTABLE.match(purpose):
        return _page(
            view,
            state,
            by=by,
            key=key,
            purpose=purpose[:MAX_PURPOSE_CHARS],
            error="identities.bad_purpose",
            status=422,
        )
    store = _store(state)
    if store is None:
        return _page(view, state, by=by, key=key, purpose=purpose, status=503)
    read = store.get_by_uin if by == "uin" else store.get_by_rid
    try:
        found = read(key, actor=view.user.username, purpose=purpose)
    except IdentityNotFound:
        return _page(view, state, by=by, key=key, purpose=purpose, error="identities.not_found", status=404)
    except ValueError:
        return _page(view, state, by=by, key=key, purpose=purpose, error="identities.bad_purpose", status=422)
    return _page(view, state, by=by, key=key, purpose=purpose, found=found)


@router.post("/identities/{uin}/status")
def identity_status(view: Identities, form: PostedForm, state: StateDep, uin: str) -> Response:
    """An admin activates, deactivates or revokes a UIN with a reason (audited); auditors only read."""
    store = _store(state)
    if ADMIN not in view.user.roles or store is None or not _KEY.match(uin):
        return _page(
            view, state, by="uin", key=uin[:64], purpose="", error="identities.status_refused", status=403
        )
    try:
        store.set_status(
            uin,
            status=str(form.get("status") or ""),
            reason=str(form.get("reason") or ""),
            actor=view.user.username,
        )
    except IdentityNotFound:
        return _page(view, state, by="uin", key=uin, purpose="", error="identities.not_found", status=404)
    except ValueError:
        return _page(view, state, by="uin", key=uin, purpose="", error="identities.status_bad", status=422)
    return _page(view, state, by="uin", key=uin, purpose="", done="identities.status_done")


@router.post("/identities/{uin}/letter")
def identity_letter(view: Identities, form: PostedForm, state: StateDep, uin: str) -> Response:
    """An admin downloads the resident's UIN letter (PDF with the signed QR); an audited read."""
    store = _store(state)
    purpose = str(form.get("purpose") or "").strip()
    language = str(form.get("language") or "")
    if ADMIN not in view.user.roles or store is None or not _KEY.match(uin):
        return _page(
            view, state, by="uin", key=uin[:64], purpose="", error="identities.letter_refused", status=403
        )
    if language not in LETTER_LANGUAGES or not MIN_PURPOSE_CHARS <= len(purpose) <= MAX_PURPOSE_CHARS:
        return _page(
            view,
            state,
            by="uin",
            key=uin,
            purpose=purpose[:MAX_PURPOSE_CHARS],
            error="identities.bad_purpose",
            status=422,
        )
    try:
        letter = issue_letter(
            engine=state.engine,
            store=store,
            signing_key=state.keys.signing_key,
            uin=uin,
            language=language,
            purpose=purpose,
            actor=view.user.username,
            issued_on=utcnow().date(),
            deliver=lambda _pdf: None,  # handed over in the response below, after the audit entry commits
        )
    except IdentityNotFound:
        return _page(
            view, state, by="uin", key=uin, purpose=purpose, error="identities.not_found", status=404
        )
    except (IdentityInactive, NoResidentName, CredentialError, ValueError):
        return _page(
            view, state, by="uin", key=uin, purpose=purpose, error="identities.letter_impossible", status=422
        )
    return Response(
        letter.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="uin-letter-{letter.uin}-{language}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def _store(state) -> IdentityReader | None:
    backend = state.backend
    return None if backend is None else backend.id_store


def _page(
    view: View,
    state,
    *,
    by: str,
    key: str,
    purpose: str,
    error: str | None = None,
    status: int = 200,
    found=None,
    done: str | None = None,
) -> Response:
    flashes = [("error", view.t(error))] if error else []
    flashes += [("ok", view.t(done))] if done else []
    return render(
        view,
        "identities.html",
        status=status,
        flashes=flashes,
        by=by,
        key=key,
        purpose=purpose,
        max_purpose=MAX_PURPOSE_CHARS,
        no_backend=state.backend is None,
        found=found,
        may_change_status=ADMIN in view.user.roles,
    )

"""What an applicant agreed to: the consent text a kiosk showed, and its fingerprint for the packet.

A consent field's text lives in a ``templates`` master-data row (``{"id": ..., "texts": {language:
text}}``), named by the UI field's ``template``. The packet's meta records the template id, the
languages shown and :func:`consent_digest` of those texts, so an auditor holding the template can
prove which words the applicant agreed to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

MAX_TEMPLATE_TEXT = 20_000  # characters per language: a page of legal text, not a document


def template_texts(row: Mapping[str, Any] | None) -> dict[str, str]:
    """The non-empty ``{language: text}`` of a ``templates`` row (empty when the row is missing)."""
    texts = (row or {}).get("texts")
    if not isinstance(texts, Mapping):
        return {}
    return {k: v for k, v in texts.items() if isinstance(k, str) and isinstance(v, str) and v.strip()}


def consent_digest(texts: Mapping[str, str], languages: Sequence[str]) -> str:
    """SHA-256 (hex) of the texts in ``languages``: the UTF-8 of the JSON object ``{language: text}``
    with sorted keys and no spaces. Raises ``KeyError`` for a language without text."""
    shown = {language: texts[language] for language in languages}
    canonical = json.dumps(shown, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

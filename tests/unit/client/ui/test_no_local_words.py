"""Widgets hold no word tables of their own: every text the kiosk shows lives in client/ui/strings."""

from __future__ import annotations

import ast
from pathlib import Path

import client.ui
from client.ui.strings import LANGUAGES

UI = Path(client.ui.__file__).parent
TABLES = UI / "strings"


def _word_tables(path: Path) -> list[int]:
    """Lines of dict literals keyed by two or more language codes ({"eng": ..., "fra": ...})."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict):
            codes = {k.value for k in node.keys if isinstance(k, ast.Constant) and k.value in LANGUAGES}
            if len(codes) >= 2:
                found.append(node.lineno)
    return found


def test_no_widget_module_holds_a_local_word_table():
    modules = [p for p in UI.rglob("*.py") if TABLES not in p.parents]
    assert any(p.parent.name == "screens" for p in modules)
    offenders = {str(p.relative_to(UI)): lines for p in modules if (lines := _word_tables(p))}
    assert offenders == {}


def test_the_check_sees_a_word_table(tmp_path):
    sample = tmp_path / "screen.py"
    sample.write_text('_WORDS = {"title": {"eng": "Preview", "ara": "معاينة"}}\n', encoding="utf-8")
    assert _word_tables(sample) == [1]

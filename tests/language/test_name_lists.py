"""Names listed in a sentence (KPIs, waves, features) follow the locale's list pattern, never a
Latin comma glued into Arabic or a comma before 'und' in German."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from valueproof.language.formatting import Formatter

REPORT = Path(__file__).resolve().parents[2] / "valueproof" / "report"


@pytest.mark.parametrize("locale, expected", [
    ("en", "Handle time, CSAT, and Reopen rate"),
    ("de", "Handle time, CSAT und Reopen rate"),
    ("pl", "Handle time, CSAT i Reopen rate"),
    ("ar", "Handle time وCSAT وReopen rate"),
])
def test_names_follow_the_locale(locale, expected):
    assert Formatter(locale).names(["Handle time", "CSAT", "Reopen rate"]) == expected


def test_one_name_and_none():
    fmt = Formatter("ar")
    assert fmt.names(["CSAT"]) == "CSAT" and fmt.names([]) == ""
    assert "," not in Formatter("ar").names(["A", "B"])


def _comma_joins(path: Path) -> list[int]:
    """Lines where a report module joins texts with a bare ', '."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "join" and isinstance(node.func.value, ast.Constant)
                and node.func.value.value in (", ", "، ")):
            lines.append(node.lineno)
    return lines


def test_report_modules_list_names_through_the_formatter():
    """The PDF's and HTML's sentences list names with `fmt.names` (Babel's list pattern)."""
    found = {str(p.relative_to(REPORT)): _comma_joins(p) for p in REPORT.glob("*.py")}
    assert not {name: lines for name, lines in found.items() if lines}

"""Right-to-left reports: Arabic chart text shaped and in display order (WeasyPrint draws SVG
text one character at a time, left to right), the chart geometry kept left to right."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from valueproof.report import charts, svg as chart_svg

FONTS = Path(__file__).resolve().parents[2] / "report_templates" / "fonts"
ARABIC_FORMS = re.compile("[\ufe70-\ufefc]")  # Arabic presentation forms B: joined letters
ARABIC_LETTERS = re.compile("[\u0600-\u06ff]")


def _svg_texts(uri: str) -> list[tuple[str, str]]:
    svg = base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")
    assert re.search(r'<svg [^>]*direction="ltr"', svg)  # chart geometry left to right
    return re.findall(r"<text ([^>]*)>([^<]*)</text>", svg)


def _chart(periods, labels, y_label, rollout):
    return charts.trend_chart(
        FONTS, charts.ChartStyle("#123456", "#999999"), periods, [False, False, True, True],
        [(1, 0.5, 1.5), (1.1, 0.6, 1.6), (2, 1.5, 2.5), (2.1, 1.6, 2.6)],
        [(1, 0.5, 1.5), (1.0, 0.6, 1.6), (1.1, 0.5, 1.5), (1.0, 0.6, 1.6)],
        labels, 1.0, y_label, rollout)


def test_arabic_chart_text_is_shaped_and_in_display_order():
    uri = _chart(["أسبوع 1", "أسبوع 2", "أسبوع 3", "أسبوع 4"],
                 {"treatment": "الوكلاء التجريبيون", "control": "الوكلاء العاديون"},
                 "الوقت (دقيقة)", "الإطلاق")
    texts = dict((text, attributes) for attributes, text in _svg_texts(uri))
    arabic = [t for t in texts if ARABIC_FORMS.search(t)]
    assert len(arabic) >= 7  # 4 ticks, 2 line labels, the axis title, the rollout label
    for text in arabic:
        assert not ARABIC_LETTERS.search(text), text  # every letter in its joined form
        assert 'unicode-bidi="bidi-override"' in texts[text]
        assert 'direction="ltr"' in texts[text]
    # 'week 1' reads right to left: the number is drawn first (leftmost), the word after it;
    # the word's letters in reverse: its last letter first, ع isolated (و does not join to the
    # next letter), then و final, ب medial, س initial, أ isolated
    assert "1 \ufec9\ufeee\ufe92\ufeb3\ufe83" in texts
    # brackets mirrored: '(minute)' at the left end of the title, drawn as '(' … ')'
    title = next(t for t in arabic if "(" in t)
    assert title.index("(") < title.index(")")
    assert title.startswith("(")


def test_latin_chart_text_is_left_as_it_is():
    uri = _chart(["W1", "W2", "W3", "W4"], {"treatment": "Pilot (north)", "control": "Others"},
                 "Minutes", "Rollout")
    texts = [text for _, text in _svg_texts(uri)]
    assert "Pilot (north)" in texts and "W1" in texts
    assert not any("bidi-override" in attributes for attributes, _ in _svg_texts(uri))


def test_a_signed_number_in_arabic_chart_text_keeps_its_sign_before_it():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="1">−120 ألف</text>'
           '<text x="1" y="2">+8.6 نقاط</text></svg>')
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", chart_svg.flatten(svg))
    # read right to left: the number first, its sign on its left, then the word
    assert texts[0].endswith("−120") and texts[1].endswith("+8.6")


def test_an_arabic_report_isolates_the_analysts_names_and_every_number(runner, tmp_path):
    """A Latin name inside a right-to-left page keeps its own order and final full stop
    (first-strong isolate); numbers are left-to-right isolates; the score reads '80/100'."""
    from tests.conftest import EXAMPLES, invoke
    from valueproof.language.formatting import FSI, LRI, PDI

    html_path = tmp_path / "r.html"
    result = invoke(runner, "report", EXAMPLES / "sales_rollout", "-o", tmp_path / "r.pdf",
                    "--html", html_path, "--locale", "ar")
    assert result.exit_code == 0, result.output
    html = html_path.read_text(encoding="utf-8")
    assert f">{FSI}Hurtownia Bałtyk Sp. z o.o.{PDI}</h1>" in html
    assert re.search(f"{LRI}[+−]?[0-9][0-9.,]*%{PDI}", html)  # a percentage, isolated
    english = tmp_path / "en.html"
    invoke(runner, "report", EXAMPLES / "sales_rollout", "-o", tmp_path / "en.pdf",
           "--html", english, "--locale", "en")
    assert not re.search(f"[{FSI}{LRI}{PDI}]", english.read_text(encoding="utf-8"))

"""The report's faster forms of the same page: print.css (the grid as table cells, for the PDF
only) lays every line exactly where style.css's flex grid puts it, and charts drawn with text
measured once per process are the SVG matplotlib itself writes."""

from __future__ import annotations

import base64
import io
import re

import pytest

from tests.conftest import EXAMPLES, invoke
from valueproof.commands.pipeline import load_definition, run_stages
from valueproof.report.render import logo_sources, print_html, render_html


def _text_positions(document) -> list[tuple[int, str, float, float, float]]:
    """Every piece of text in the laid-out document: page, text, x, y and width (CSS px)."""
    from weasyprint.formatting_structure import boxes

    found = []
    for number, page in enumerate(document.pages):
        for box in page._page_box.descendants():
            if isinstance(box, boxes.TextBox):
                found.append((number, box.text, round(box.position_x, 3),
                              round(box.position_y, 3), round(box.width, 3)))
    return found


@pytest.fixture(scope="module")
def support_html():
    experiment = load_definition(EXAMPLES / "support_copilot" / "experiment.yaml", (), None)
    results = run_stages(experiment)
    html, base = render_html(experiment, results, logos=logo_sources(experiment)[0])
    return html, base


def test_print_css_lays_out_the_grid_exactly_as_the_flex_grid(support_html):
    import weasyprint

    html, base = support_html
    # every kind of grid is on these pages: ROI beside the verdicts, the details of each KPI,
    # the health score beside its table, NPS beside its chart
    for kind in ('class="col roi-col"', '<div class="details">', 'class="col health-score"',
                 'class="grid nps"'):
        assert kind in html
    flex = weasyprint.HTML(string=html, base_url=base.as_uri() + "/").render()
    table = weasyprint.HTML(string=print_html(html), base_url=base.as_uri() + "/").render()
    assert len(table.pages) == len(flex.pages) == 13
    assert _text_positions(table) == _text_positions(flex)


def test_print_css_only_in_the_pdf(write_experiment, tmp_path, runner):
    html = '<head><link rel="stylesheet" href="style.css"></head>'
    assert print_html(html) == ('<head><link rel="stylesheet" href="style.css">\n'
                                '<link rel="stylesheet" href="print.css"></head>')
    path = write_experiment()
    result = invoke(runner, "report", path, "-o", tmp_path / "qbr.pdf", "--html",
                    tmp_path / "qbr.html")
    assert result.exit_code == 0, result.output
    copy = (tmp_path / "qbr.html").read_text(encoding="utf-8")
    assert "print.css" not in copy and "table-layout: fixed" not in copy
    assert ".grid { display: flex;" in copy  # the browser's grid stays flex (it wraps on a phone)
    assert (tmp_path / "qbr.pdf").read_bytes().startswith(b"%PDF")


def _stock_svg(fig) -> str:
    """The figure as matplotlib's own SVG canvas writes it, flattened as the report does."""
    from valueproof.report import svg

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return svg.flatten(re.sub(r"<metadata>.*?</metadata>", "", buffer.getvalue(), flags=re.S))


def test_charts_measured_once_are_the_svg_matplotlib_writes():
    from matplotlib.figure import Figure

    from valueproof.report import svg

    def chart(title: str):
        fig = Figure(figsize=(4, 2))
        ax = fig.add_axes((0.15, 0.2, 0.6, 0.6))
        ax.plot([0, 1, 2], [3, 1, 2])
        ax.set_title(title, loc="left")
        ax.annotate("end label\nin two lines", (2, 2), xytext=(6, 0),
                    textcoords="offset points", fontweight="bold")
        ax.set_xticks([0, 1, 2], ["Jan", "Feb", "Mär"])
        return fig

    for title in ("First chart", "First chart", "Ünïcode and a longer title"):  # cache warm
        uri = svg.data_uri(chart(title))
        drawn = base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")
        assert drawn == _stock_svg(chart(title))
        assert title in drawn
    # a measurement does not depend on what was measured before it
    assert svg.text_width("Feb", "bold", 8.5) > svg.text_width("Feb", "normal", 8.5) > 0

"""`valueproof portfolio … --deck`: the portfolio review as slides, on a real batch (the support
example copied to four accounts, one broken account) and on pooled accounts made in the test.
Every number on the slides is checked against the portfolio's JSON."""

from __future__ import annotations

import json
import math
import re
import shutil
import sys

import pytest
from click.testing import CliRunner

from tests.commands import test_portfolio_cli
from tests.commands.test_portfolio_cli import SEEDS, _account
from tests.conftest import invoke
from tests.report.test_deck import _texts  # a slide's texts, its tables' cells too
from valueproof.cli import main

pptx = pytest.importorskip("pptx")
batch = test_portfolio_cli.batch_dir  # its fixture: the same real batch, as `batch`
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
NUMBER = re.compile(r"[−+-]?\d[\d,]*(?:\.\d+)?")


@pytest.fixture(scope="module")
def deck_and_json(batch, tmp_path_factory):
    out = tmp_path_factory.mktemp("deck")
    deck, data = out / "p.pptx", out / "p.json"
    result = invoke(CliRunner(), "portfolio", batch, "--deck", deck, "--json", data)
    assert result.exit_code == 0, result.output
    assert f"written to {data} and {deck}" in result.output
    return pptx.Presentation(str(deck)), json.loads(data.read_text()), deck


def _chart(slide):
    [frame] = [shape for shape in slide.shapes if shape.has_chart]
    return frame.chart


def _bars(chart) -> tuple[list[str], list[float], list[tuple[float, float]] | None]:
    """A bar chart's categories, values and (from its custom error bars) ranges."""
    series = chart.plots[0].series[0]
    categories, values = list(chart.plots[0].categories), list(series.values)
    bars = series._element.find(C + "errBars")
    if bars is None:
        return categories, values, None
    assert bars.find(C + "errValType").get("val") == "cust"

    def cached(tag: str) -> list[float]:
        points = bars.find(C + tag).iter(C + "pt")
        return [float(p.find(C + "v").text) for p in points]

    ranges = [(v - minus, v + plus) for v, plus, minus in zip(values, cached("plus"),
                                                                cached("minus"))]
    return categories, values, ranges


def _numbers(text: str) -> list[float]:
    return [float(n.replace("−", "-").replace(",", "")) for n in NUMBER.findall(text)]


def _shown(kpi: dict, value: float) -> float:
    """A pooled number on the slides' scale: the KPI's units (a rate in percentage points) or
    the relative change in %."""
    if kpi["scale"] == "relative":
        return 100 * math.expm1(value)
    return 100 * value if kpi["unit"] == "%" else value


def _near(shown: float, exact: float) -> bool:
    """`shown` is `exact` as rounded for a slide (two significant digits at least)."""
    return math.isclose(shown, exact, rel_tol=0.05, abs_tol=1e-12)


def test_every_kpi_slide_charts_the_accounts_and_the_pooled_numbers_of_the_json(deck_and_json):
    deck, data, _ = deck_and_json
    slides = list(deck.slides)
    assert len(slides) == 2 + len(data["kpis"]) + 2  # cover, measurable, KPIs, ROI, health
    for slide, kpi in zip(slides[2:], data["kpis"]):
        pooled = kpi["pooled"]
        categories, values, ranges = _bars(_chart(slide))
        assert categories[-2:] == ["Average", "New account"]
        accounts = {a["account"]: a for a in kpi["accounts"]}
        assert sorted(categories[:-2]) == sorted(SEEDS) == sorted(accounts)
        assert values[:-2] == sorted(values[:-2])  # in order of effect, as the PDF's plot
        for name, value, (low, high) in zip(categories, values, ranges):
            if name in accounts:
                expected = [_shown(kpi, accounts[name][k]) for k in ("effect", "low", "high")]
            elif name == "Average":
                expected = [_shown(kpi, pooled[k]) for k in ("estimate", "hksj_low", "hksj_high")]
            else:
                expected = [_shown(kpi, pooled[k]) for k in ("estimate", "pi_low", "pi_high")]
            assert [value, low, high] == pytest.approx(expected, rel=1e-9, abs=1e-12)
        # the figures and sentences: every number is one of the JSON's, rounded
        text = " ".join(_texts(slide))
        assert kpi["label"] in text and "Accounts with a measurable design: 4 of 5." in text
        exact = [_shown(kpi, pooled[k]) for k in ("estimate", "hksj_low", "hksj_high", "pi_low",
                                                   "pi_high", "tau")]
        exact += [100 * pooled["i2"], 4, 5, 8, 2 + data["kpis"].index(kpi) + 1]  # and "n / 8"
        for number in _numbers(text.replace("I²", "I")):
            assert any(_near(number, e) for e in exact), (kpi["id"], number, text)


def test_the_measurable_roi_and_health_slides_hold_the_json_numbers(deck_and_json):
    deck, data, _ = deck_and_json
    slides = list(deck.slides)
    table = next(s for s in slides[1].shapes if s.has_table).table
    rows = [[cell.text for cell in row.cells] for row in table.rows][1:]
    for row, kpi in zip(rows, data["kpis"]):
        assert row[0] == kpi["label"]
        assert row[1] == f"{kpi['measurable']} of {kpi['total']}"
        assert row[5] == "the batch could not analyse it (1)"
    notes = slides[1].notes_slide.notes_text_frame.text
    assert "the batch could not analyse it: broken" in notes
    [roi] = data["roi"]
    categories, values, ranges = _bars(_chart(slides[-2]))
    assert ranges is None and categories == ["Total benefit", "Total cost", "Net value"]
    assert values == pytest.approx([roi["benefit"], -roi["cost"], roi["net"]])
    text = " ".join(_texts(slides[-2]))
    assert "Pooled ROI: " in text
    for number in _numbers(text):
        assert any(_near(number, e) for e in (100 * roi["roi"], 100 * roi["roi_low"],
                                              100 * roi["roi_high"], roi["net"], roi["net_low"],
                                              roi["net_high"], roi["benefit"], roi["cost"],
                                              roi["accounts"], len(slides) - 1,
                                              len(slides))), number
    categories, values, _ = _bars(_chart(slides[-1]))
    assert categories == ["Green", "Amber", "Red", "No health score"]
    assert values == [data["health"][s] for s in ("green", "amber", "red", "none")]


def test_every_slide_has_notes_and_says_it_is_internal(deck_and_json):
    deck, _, _ = deck_and_json
    for slide in deck.slides:
        assert slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip()
        assert "Internal — names customers" in " ".join(_texts(slide))
    cover = deck.slides[0]
    assert "Never send this review" in cover.notes_slide.notes_text_frame.text
    assert deck.core_properties.title == "Portfolio review"


def test_the_deck_is_the_same_bytes_with_or_without_the_pdf(
        deck_and_json, batch, tmp_path):
    _, _, first = deck_and_json
    second = tmp_path / "again.pptx"
    result = invoke(CliRunner(), "portfolio", batch, "--deck", second, "-o",
                    tmp_path / "p.pdf")
    assert result.exit_code == 0, result.output
    assert second.read_bytes() == first.read_bytes()
    german = [tmp_path / "de1.pptx", tmp_path / "de2.pptx"]
    for path in german:
        assert invoke(CliRunner(), "portfolio", batch, "--deck", path,
                      "--locale", "de").exit_code == 0
    assert german[0].read_bytes() == german[1].read_bytes() != first.read_bytes()
    slide = pptx.Presentation(str(german[0])).slides[1]
    assert "4 von 5" in " ".join(_texts(slide))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_deck_as_pdf_has_one_page_per_slide(
        deck_and_json, batch, tmp_path):
    from pypdf import PdfReader

    deck, _, _ = deck_and_json
    out = tmp_path / "slides.pdf"
    result = invoke(CliRunner(), "portfolio", batch, "--deck", out)
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert len(reader.pages) == len(deck.slides)
    assert "Gamma Energy" in reader.pages[2].extract_text()


@pytest.mark.parametrize("deck, message", [
    ("p.key", "give a .pptx file (the editable deck) or a .pdf"),
    ("missing/p.pptx", "folder 'missing"),
    ("p.pdf", "is also given as -o"),
])
def test_a_bad_deck_path_is_one_message_and_no_output(
        batch, tmp_path, monkeypatch, deck, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["portfolio", str(batch), "--deck", deck, "-o",
                                       "p.pdf", "--json", "p.json"])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output and not list(tmp_path.iterdir())


def test_without_python_pptx_the_extra_is_named_and_nothing_written(
        batch, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pptx", None)  # import pptx raises ImportError
    result = CliRunner().invoke(main, ["portfolio", str(batch), "--deck",
                                       str(tmp_path / "p.pptx"), "--json",
                                       str(tmp_path / "p.json")])
    assert result.exit_code == 2 and "pip install 'valueproof[deck]'" in result.output
    assert not list(tmp_path.iterdir())


def test_many_accounts_on_the_relative_scale_with_hostile_names():
    from valueproof.report.deck.portfolio import render_portfolio_deck
    from valueproof.report.portfolio.forest import MOST_ROWS
    from valueproof.report.portfolio.model import build_portfolio
    from valueproof.report.portfolio.render import portfolio_pages

    # the hostile names with the largest weights: drawn in the chart
    names = ["Bell\x07 & \x1b[31mRed", "<b>Plain</b>"] + [f"Account {i}" for i in range(33)]
    # two units: the KPI is pooled as relative changes
    accounts = [_account(name, -2.0 - i / 20, 0.2 + i / 100, unit="min" if i % 2 else "s")
                for i, name in enumerate(names)]
    portfolio = build_portfolio(accounts)
    [kpi] = portfolio.to_dict()["kpis"]
    assert kpi["scale"] == "relative"
    first = render_portfolio_deck(portfolio, *portfolio_pages(portfolio, "en", drawn=False))
    assert first == render_portfolio_deck(portfolio, *portfolio_pages(portfolio, "en"))
    import io

    deck = pptx.Presentation(io.BytesIO(first))
    slide = deck.slides[2]
    categories, values, ranges = _bars(_chart(slide))
    assert len(categories) == MOST_ROWS + 2  # the largest weights, as the PDF's plot
    by_name = {a["account"].replace("\x07", " ").replace("\x1b", " "): a for a in kpi["accounts"]}
    for name, value, (low, high) in zip(categories[:-2], values, ranges):
        account = by_name[name]
        assert [value, low, high] == pytest.approx(
            [100 * math.expm1(account[k]) for k in ("effect", "low", "high")])
    assert "The plot shows the 30 accounts with the largest weights of 35" in (
        slide.notes_slide.notes_text_frame.text)
    import zipfile

    package = zipfile.ZipFile(io.BytesIO(first))
    xml = b"".join(package.read(name) for name in package.namelist() if name.endswith(".xml"))
    assert b"\x07" not in xml and b"\x1b" not in xml and b"Bell  &amp;  [31mRed" in xml
    assert b"&lt;b&gt;Plain&lt;/b&gt;" in xml

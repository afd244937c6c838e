"""The slide deck (`report --deck`): its story and numbers against the results JSON, native
charts with their ranges, speaker notes, languages (Arabic right to left), the brand's template,
identical bytes from run to run, and the output rules it shares with the PDF."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

pptx = pytest.importorskip("pptx", reason="python-pptx is the deck's extra: pip install '.[deck]'")

from tests.conftest import EXAMPLES, invoke  # noqa: E402
from valueproof.language.formatting import Formatter, unisolated  # noqa: E402

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
SUPPORT = EXAMPLES / "support_copilot" / "experiment.yaml"


@pytest.fixture(scope="module")
def support():
    from valueproof.commands.pipeline import pipeline

    return pipeline(SUPPORT)


def _deck(support, locale: str) -> bytes:
    """The deck in `locale`, from the report's context as `valueproof report` builds it."""
    from valueproof.report.context import report_context
    from valueproof.report.deck.render import render_deck

    experiment, results = support
    return render_deck(experiment, results, report_context(experiment, results, locale))


@pytest.fixture(scope="module")
def decks(support):
    return {locale: _deck(support, locale) for locale in ("en", "pl", "ar")}


@pytest.fixture(scope="module")
def results_json(support):
    return json.loads(json.dumps(support[1].to_dict()))


def _open(data: bytes):
    return pptx.Presentation(io.BytesIO(data))


def _texts(slide) -> list[str]:
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out.append(shape.text_frame.text)
        if shape.has_table:
            out += [cell.text for row in shape.table.rows for cell in row.cells]
    return out


def _number(text: str) -> float:
    """'−2.47 min' -> -2.47; '433%' -> 433; '€184,000' -> 184000 (English formatting)."""
    match = re.search(r"[−+-]?\d[\d,]*(?:\.\d+)?", unisolated(text).replace("\u2060", ""))
    return float(match.group().replace("−", "-").replace(",", ""))


def test_deck_tells_the_story_in_8_to_12_slides_with_notes_on_every_one(decks):
    for locale, data in decks.items():
        deck = _open(data)
        assert 8 <= len(deck.slides) <= 12, locale
        for number, slide in enumerate(deck.slides, 1):
            notes = slide.notes_slide.notes_text_frame.text
            assert len(notes) > 40, (locale, number)
        assert deck.slide_width * 9 == deck.slide_height * 16  # 16:9
    titles = [slide.shapes.title.text for slide in _open(decks["en"]).slides]
    assert titles[0].startswith("Quarterly Business Review — Acme Corp")
    assert titles[1].startswith("Average handle time down 21%")  # the headline, as page 2
    assert titles[2] == "Goals agreed at onboarding: 1 of 4 achieved."
    assert "Decisions we need from you" in titles and "What did not work, and the plan" in titles
    assert titles[-1] == "How these results were measured"
    notes = [s.notes_slide.notes_text_frame.text for s in _open(decks["en"]).slides]
    assert "rounded as in the report" in notes[0]
    assert any("It is not the same as no change" in n for n in notes)  # what inconclusive means
    assert any("Before the rollout no difference between the groups' trends" in n for n in notes)


def test_every_number_on_the_slides_equals_the_results_json(decks, results_json):
    deck = _open(decks["en"])
    slides = list(deck.slides)
    roi = results_json["roi"]
    headline = slides[1]
    texts = " | ".join(_texts(headline))
    assert f"{round(roi['roi'] * 100)}%" in texts
    low, high = round(roi["roi_low"] * 100), round(roi["roi_high"] * 100)
    assert f"likely range {low}% to {high}%" in texts
    kpis = {k["label"]: k for k in results_json["kpis"]}
    checked = 0
    for slide in slides:
        title = slide.shapes.title.text
        label = title.split(":")[0]
        if label in kpis and any(shape.has_chart for shape in slide.shapes):
            kpi = kpis[label]
            scale = 100 if kpi["unit"] == "%" else 1
            figures = [t for t in _texts(slide) if t.startswith(("−", "+", "-"))]
            effect = _number(figures[0])
            assert abs(effect - kpi["effect"] * scale) < 0.006 * scale, title
            chart = next(s.chart for s in slide.shapes if s.has_chart)
            treated = list(chart.plots[0].series[0].values)
            expected = [p["treatment"] * scale for p in kpi["trend"]]
            assert treated == pytest.approx(expected)
            checked += 1
        if title == "Results by KPI":
            table = next(s.table for s in slide.shapes if s.has_table)
            for row in list(table.rows)[1:]:
                kpi = kpis[row.cells[0].text]
                scale = 100 if kpi["unit"] == "%" else 1
                assert abs(_number(row.cells[1].text) - kpi["effect"] * scale) < 0.06 * scale
                low, high = row.cells[2].text.split("…")
                assert abs(_number(low) - kpi["ci_low"] * scale) < 0.06 * scale
                assert abs(_number(high) - kpi["ci_high"] * scale) < 0.06 * scale
            checked += 1
        if title.startswith("Return on investment"):
            chart = next(s.chart for s in slide.shapes if s.has_chart)
            bars = list(chart.plots[0].series[0].values)
            benefits = [round(b["total"]) for b in roi["benefits"]]
            assert bars[:len(benefits)] == benefits
            assert bars[-1] == round(roi["net"])
            checked += 1
    assert checked >= 3


def test_charts_are_native_editable_charts_with_ranges_as_error_bars(decks):
    deck = _open(decks["en"])
    frames = [shape for slide in deck.slides for shape in slide.shapes if shape.has_chart]
    pictures = [shape for slide in deck.slides for shape in slide.shapes
                if shape.shape_type == pptx.enum.shapes.MSO_SHAPE_TYPE.PICTURE]
    assert len(frames) >= 3 and not pictures
    for frame in frames:
        part = frame.chart.part
        assert part.partname.startswith("/ppt/charts/")
        assert part.chart_workbook.xlsx_part is not None  # the data travels with the chart
    line = pptx.enum.chart.XL_CHART_TYPE.LINE_MARKERS
    trend = next(f.chart for f in frames if f.chart.chart_type == line)
    bars = trend._chartSpace.findall(f".//{C}errBars")
    assert len(bars) == 2  # both groups' likely ranges
    for bar in bars:
        assert bar.find(f"{C}errValType").get("val") == "cust"
        assert bar.find(f"{C}plus/{C}numRef/{C}f").text.startswith("Sheet1!")


def test_deck_is_byte_identical_and_its_workbooks_carry_the_report_date(support, decks):
    again = _deck(support, "en")
    assert again == decks["en"]
    package = zipfile.ZipFile(io.BytesIO(again))
    assert {info.date_time for info in package.infolist()} == {(2026, 10, 8, 0, 0, 0)}
    core = package.read("docProps/core.xml").decode()
    assert "2026-10-08T00:00:00Z" in core
    workbooks = [name for name in package.namelist() if name.endswith(".xlsx")]
    assert workbooks
    for name in workbooks:
        inner = zipfile.ZipFile(io.BytesIO(package.read(name)))
        assert {info.date_time for info in inner.infolist()} == {(2026, 10, 8, 0, 0, 0)}
        core = inner.read("docProps/core.xml").decode()
        created = re.findall(r"<dcterms:created[^>]*>([^<]*)<", core)
        assert created == ["2026-10-08T00:00:00Z"]


def test_polish_and_arabic_decks_speak_their_language(decks):
    polish = _open(decks["pl"])
    titles = " | ".join(slide.shapes.title.text for slide in polish.slides)
    assert "Zwrot z inwestycji" in titles and "Return on investment" not in titles
    assert "433%" in titles or "433 %" in titles
    arabic = _open(decks["ar"])
    title = arabic.slides[1].shapes.title.text_frame
    paragraph = title.paragraphs[0]._p
    assert paragraph.pPr.get("rtl") == "1" and paragraph.pPr.get("algn") == "r"
    assert paragraph.find(f"{A}r/{A}rPr/{A}cs") is not None  # complex-script font set
    tables = [s for slide in arabic.slides for s in slide.shapes if s.has_table]
    assert tables and all(t._element.graphic.graphicData.tbl.tblPr.get("rtl") == "1"
                          for t in tables)
    fmt = Formatter("ar")
    assert fmt.percent(4.33, sig=3) in " ".join(_texts(arabic.slides[1]))  # the PDF's formatter


def _template(path: Path, potx: bool) -> None:
    """A template whose layouts are in an unusual order, with one sample slide."""
    deck = pptx.Presentation()
    layouts = deck.slide_layouts
    layouts._sldLayoutIdLst.insert(0, layouts._sldLayoutIdLst[-1])  # Blank moves to the front
    deck.slides.add_slide(deck.slide_layouts.get_by_name("Title Only")).shapes.title.text = "Sample"
    buffer = io.BytesIO()
    deck.save(buffer)
    data = buffer.getvalue()
    if potx:
        source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                content = source.read(info.filename)
                if info.filename == "[Content_Types].xml":
                    content = content.replace(b"presentation.main+xml", b"template.main+xml")
                target.writestr(info, content)
        data = out.getvalue()
    path.write_bytes(data)


@pytest.mark.parametrize("suffix", ["potx", "pptx"])
def test_brand_template_layouts_by_name_and_no_sample_slides(tmp_path, runner, suffix):
    import shutil

    folder = tmp_path / "acme"
    shutil.copytree(EXAMPLES / "support_copilot", folder)
    brand = folder / "brand" / "brand.yaml"
    brand.write_text(brand.read_text() + f"\ntemplate: deck.{suffix}\n")
    _template(folder / "brand" / f"deck.{suffix}", potx=suffix == "potx")
    result = invoke(runner, "report", folder / "experiment.yaml", "-o", tmp_path / "q.pdf",
                    "--deck", tmp_path / "q.pptx")
    assert result.exit_code == 0, result.output
    deck = _open((tmp_path / "q.pptx").read_bytes())
    assert deck.slides[0].slide_layout.name == "Title Slide"
    assert {s.slide_layout.name for s in list(deck.slides)[1:]} == {"Title Only"}
    assert all(s.shapes.title.text != "Sample" for s in deck.slides)
    # the template's theme colours, not the brand's: its first accent colour in tables, charts
    goals = list(deck.slides)[2].shapes._spTree.xml
    assert 'schemeClr val="accent1"' in goals and "1B5E9E" not in goals
    # the deck may not be written over its own template (a .potx is no deck's name at all)
    result = invoke(runner, "report", folder / "experiment.yaml", "-o", tmp_path / "r.pdf",
                    "--deck", folder / "brand" / f"deck.{suffix}")
    assert result.exit_code == 2
    assert ("brand template" if suffix == "pptx" else "give a .pptx file") in result.output
    assert not (tmp_path / "r.pdf").exists()


def test_bad_deck_options_fail_cleanly_before_any_output(tmp_path, runner, monkeypatch):
    result = invoke(runner, "report", SUPPORT, "-o", tmp_path / "q.pdf", "--deck",
                    tmp_path / "q.key")
    assert result.exit_code == 2 and ".pptx" in result.output
    monkeypatch.setitem(__import__("sys").modules, "pptx", None)  # python-pptx not installed
    result = invoke(runner, "report", SUPPORT, "-o", tmp_path / "q.pdf", "--deck",
                    tmp_path / "q.pptx")
    assert result.exit_code == 2 and "pip install 'valueproof[deck]'" in result.output
    result = invoke(runner, "batch", SUPPORT, "-o", tmp_path / "out", "--deck", "pptx")
    assert result.exit_code == 2 and "pip install 'valueproof[deck]'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_deck_pdf_without_libreoffice_says_what_to_install(tmp_path, runner, monkeypatch):
    monkeypatch.setenv("VALUEPROOF_SOFFICE", str(tmp_path / "no-soffice"))
    result = invoke(runner, "report", SUPPORT, "-o", tmp_path / "q.pdf", "--deck",
                    tmp_path / "slides.pdf")
    assert result.exit_code == 2
    assert "LibreOffice" in result.output and "libreoffice-impress" in result.output
    assert list(tmp_path.iterdir()) == []  # all or nothing: not even the report


def test_batch_writes_each_accounts_deck(tmp_path, runner):
    result = invoke(runner, "batch", EXAMPLES / "sales_rollout", "-o", tmp_path, "--deck",
                    "pptx", "-j", "1", "-q")
    assert result.exit_code == 0, result.output
    deck = _open((tmp_path / "hurtownia-baltyk-sp-z-o-o-2026-q3.pptx").read_bytes())
    assert 8 <= len(deck.slides) <= 12
    assert (tmp_path / "hurtownia-baltyk-sp-z-o-o-2026-q3.pdf").is_file()
    again = invoke(runner, "batch", EXAMPLES / "sales_rollout", "-o", tmp_path, "--deck",
                   "pptx", "-j", "1", "-q")
    assert again.exit_code == 0
    state = json.loads((tmp_path / ".valueproof-batch.json").read_text())
    assert len(state) == 1


def test_deck_renders_in_libreoffice_as_16_9_pages(decks, tmp_path):
    import shutil
    import subprocess

    from valueproof.report.deck.pdf import convert, soffice

    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-impress")
    from pypdf import PdfReader

    for locale in ("en", "ar"):
        pdf = tmp_path / f"{locale}.pdf"
        pdf.write_bytes(convert(decks[locale]))
        pages = PdfReader(pdf).pages
        assert len(pages) == len(_open(decks[locale]).slides)
        box = pages[0].mediabox
        assert abs(float(box.width) / float(box.height) - 16 / 9) < 0.01
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "2",
                        str(tmp_path / "en.pdf"), str(tmp_path / "slide")], check=True)
        pngs = sorted(p.name for p in tmp_path.glob("slide-*.png"))
        assert pngs == ["slide-01.png", "slide-02.png"]


@pytest.mark.parametrize("template, message", [
    ("deck.key", "is not a PowerPoint template; give a .pptx or .potx file"),
    ("../../outside.pptx", "lies outside the experiment's folder"),
    ("missing.pptx", "file 'missing.pptx' not found"),
])
def test_a_bad_template_is_one_clear_message(tmp_path, runner, template, message):
    import shutil

    folder = tmp_path / "acme"
    shutil.copytree(EXAMPLES / "support_copilot", folder)
    (tmp_path / "outside.pptx").write_bytes(b"PK")
    brand = folder / "brand" / "brand.yaml"
    brand.write_text(brand.read_text() + f"\ntemplate: {template}\n")
    result = invoke(runner, "report", folder / "experiment.yaml", "-o", tmp_path / "q.pdf",
                    "--deck", tmp_path / "q.pptx")
    assert result.exit_code == 2 and message in result.output, result.output
    assert "template" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "q.pdf").exists() and not (tmp_path / "q.pptx").exists()


@pytest.mark.parametrize("locale", ["de", "es", "fr", "sk", "tr"])
def test_every_language_of_the_report_has_its_deck(support, locale):
    deck = _open(_deck(support, locale))
    assert 8 <= len(deck.slides) <= 12
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert not any(t.startswith(("Return on investment", "Goals for next quarter")) for t in titles)
    notes = [slide.notes_slide.notes_text_frame.text for slide in deck.slides]
    assert all(notes) and "Say the sentence on the slide" not in " ".join(notes)
    if locale == "fr":  # the colon the deck adds is spaced as French writes it
        assert any("\u00a0: " in t for t in titles) and not re.search(r"\w: ", " ".join(titles))


def test_a_long_portfolio_of_kpis_folds_into_one_table_and_never_runs_past_12(support):
    from valueproof.language.formatting import Formatter
    from valueproof.language.words import Words
    from valueproof.report.context import report_context
    from valueproof.report.deck.pptx_writer import DeckWriter
    from valueproof.report.deck.slides import deck_slides
    from valueproof.report.deck.template import open_template

    experiment, results = support
    shared = report_context(experiment, results, "en")
    catalogue, context = shared.catalogue, dict(shared.values)
    context["kpis"] = context["kpis"] * 5  # twenty KPIs
    colours = {"primary": "#1B5E9E", "neutral": "#8A939B", "positive": "#1E7F4F",
               "negative": "#B3261E"}
    slides = deck_slides(Words(catalogue, Formatter("en")), context, results, colours)
    assert len(slides) <= 12
    table = next(s.table for s in slides if s.title == "Results by KPI")
    assert len(table.rows) == 20  # every KPI, none dropped
    deck = open_template(None)
    writer = DeckWriter(deck, colours, False, built_in=True, footer="Confidential")
    for number, slide in enumerate(slides, 1):
        writer.add(slide, number, len(slides))
    shown = next(s.table for slide in deck.slides for s in slide.shapes if s.has_table
                 and slide.shapes.title.text == "Results by KPI")
    assert len(shown.rows) == 21

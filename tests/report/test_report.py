"""The QBR report: content, languages, safety, reproducibility."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import EXAMPLES, invoke
from valueproof.config import load_experiment
from valueproof.errors import ReportError
from valueproof.report.render import PathGuard, render_html, templates_dir


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


@pytest.fixture(scope="module")
def support_pdf(tmp_path_factory):
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("support")
    result = invoke(CliRunner(), "report", EXAMPLES / "support_copilot" / "experiment.yaml",
                    "-o", out / "qbr.pdf", "--html", out / "qbr.html", "--json", out / "r.json")
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def sales_pdf(tmp_path_factory):
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("sales")
    result = invoke(CliRunner(), "report", EXAMPLES / "sales_rollout", "-o", out / "qbr.pdf")
    assert result.exit_code == 0, result.output
    return out / "qbr.pdf"


def test_pdf_has_every_kpi_roi_and_status(support_pdf):
    pdf = support_pdf / "qbr.pdf"
    text = _flat(_text(pdf))
    assert "Acme Corp" in text and "Support Copilot pilot" in text
    for label in ("Average handle time", "First-contact resolution",
                  "Customer satisfaction (CSAT)", "Reopen rate"):
        assert label in text
    # ROI as a percentage with the plain ratio, never as a multiple (results: 4.33)
    assert "433%" in text and "€5.33 back for every €1 spent" in text and "×" not in text
    # the ROI's range with its level, as in the results JSON
    roi = json.loads((support_pdf / "r.json").read_text())["roi"]
    assert (f"likely range {round(roi['roi_low'] * 100)}% to {round(roi['roi_high'] * 100)}% "
            f"with {round(roi['level'] * 100)}% confidence") in text
    # money that adds up: benefit 226,000 - cost 42,000 = net 184,000 (rounded alike)
    assert "Projected benefit €226,000, cost €42,000, net €184,000 over 12 months" in text
    assert "Measured Jul 1, 2026 – Sep 30, 2026" in text and "projection" in text
    for status in ("Achieved", "At risk", "Not achieved"):
        assert status in text
    assert "Got worse" in text  # the bad KPI is in the summary, not buried
    assert "What did not work, and the plan" in text
    # 8-12 pages, and two of adoption and health (the example has adoption data)
    assert 8 <= len(PdfReader(pdf).pages) <= 12 + 2


def test_pdf_metadata(support_pdf):
    reader = PdfReader(support_pdf / "qbr.pdf")
    meta = reader.metadata
    assert "Acme Corp" in meta.title and meta.author == "Jana Novak"
    assert reader.trailer["/Root"].get("/Lang") == "en"


def test_html_is_self_contained_and_escaped(support_pdf):
    html = (support_pdf / "qbr.html").read_text()
    assert "file://" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "<style>" in html and "@font-face" in html


def test_polish_report_uses_polish_words_and_numbers(sales_pdf):
    text = _flat(_text(sales_pdf))
    assert "Kwartalny przegląd biznesowy" in text
    assert "Podsumowanie dla zarządu" in text and "Osiągnięty" in text
    assert "444%" in text and "5,44 zł" in text  # ROI as a percentage; decimal comma
    assert "2 340" in text  # thousands separated by a (non-breaking) space
    assert "zł" in text


def test_two_renders_are_byte_identical(sales_pdf, tmp_path, runner):
    again = tmp_path / "again.pdf"
    assert invoke(runner, "report", EXAMPLES / "sales_rollout", "-o", again).exit_code == 0
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(
        sales_pdf.read_bytes()).digest()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1/", "https://example.com/x.png",
                                 "file:///tmp/../etc/passwd"])
def test_fetcher_refuses_anything_outside(url, tmp_path):
    guard = PathGuard(tmp_path)
    with pytest.raises(ReportError):
        guard.allowed_path(url)


def test_fetcher_refuses_parent_paths_and_allows_inside(tmp_path):
    inside = tmp_path / "exp"
    inside.mkdir()
    (inside / "logo.svg").write_text("<svg/>")
    guard = PathGuard(inside)
    assert guard.allowed_path((inside / "logo.svg").as_uri()) == (inside / "logo.svg").resolve()
    with pytest.raises(ReportError):
        guard.allowed_path((inside / ".." / "secret.txt").as_uri())


def test_weasyprint_fetcher_blocks_network_and_outside_files(tmp_path):
    import weasyprint

    from valueproof.report.render import safe_fetcher

    html = ('<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
            '<link rel="stylesheet" href="../outside.css">')
    (tmp_path / "inside").mkdir()
    fetched = []
    fetcher = safe_fetcher(tmp_path / "inside")
    original = fetcher.fetch

    def spy(url, headers=None):
        fetched.append(url)
        return original(url, headers)

    fetcher.fetch = spy
    weasyprint.HTML(string=html, base_url=(tmp_path / "inside").as_uri() + "/",
                    url_fetcher=fetcher).write_pdf()
    # every URL went through our fetcher, and the guard refuses each one
    assert any(u.startswith("file:///etc/passwd") for u in fetched)
    assert any(u.startswith("http://127.0.0.1") for u in fetched)
    for url in fetched:
        with pytest.raises(ReportError):
            fetcher.guard.allowed_path(url)


def _copy_example(tmp_path: Path, changes: dict) -> Path:
    target = tmp_path / "exp"
    shutil.copytree(EXAMPLES / "support_copilot", target)
    path = target / "experiment.yaml"
    definition = yaml.safe_load(path.read_text())
    definition.update(changes)
    path.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False))
    return path


def test_hostile_strings_print_literally(tmp_path):
    hostile = '<script>alert("x")</script> & Sons "Ltd"'
    path = _copy_example(tmp_path, {"customer": {"name": hostile, "logo": "brand/acme.svg"}})
    experiment = load_experiment(path)
    from valueproof.commands.pipeline import run_stages

    results = run_stages(experiment)
    html, _ = render_html(experiment, results)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sons" in html
    # the running header is HTML text too: no customer text inside the stylesheet
    assert '<div class="running header-start">&lt;script&gt;alert(&#34;x&#34;)' in html
    assert "alert" not in html[html.index("<style>"):html.index("</style>")]


def test_logo_outside_the_folder_is_an_error(tmp_path, runner):
    (tmp_path / "evil.svg").write_text("<svg/>")
    path = _copy_example(tmp_path, {"customer": {"name": "X", "logo": "../evil.svg"}})
    out = tmp_path / "qbr.pdf"
    result = invoke(runner, "report", path, "-o", out)
    assert result.exit_code == 2 and "outside the experiment's folder" in result.output
    assert not out.exists()


def test_failed_render_keeps_the_previous_pdf(tmp_path, runner):
    path = _copy_example(tmp_path, {"rollout": "2030-01-01"})
    out = tmp_path / "qbr.pdf"
    out.write_bytes(b"%PDF previous quarter")
    result = invoke(runner, "report", path, "-o", out)
    assert result.exit_code == 2
    assert out.read_bytes() == b"%PDF previous quarter"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_missing_output_folder_and_bad_locale(tmp_path, runner):
    example = EXAMPLES / "support_copilot"
    result = invoke(runner, "report", example, "-o", tmp_path / "nope" / "qbr.pdf")
    assert result.exit_code == 2 and "does not exist" in result.output
    result = invoke(runner, "report", example, "-o", tmp_path / "q.pdf", "--locale", "xx")
    assert result.exit_code == 2 and "not a known locale" in result.output
    # a language without a complete catalogue is an error naming the complete ones (not a
    # report in English with a Czech "a"); a region variant uses its language's catalogue
    result = invoke(runner, "report", example, "-o", tmp_path / "q.pdf", "--locale", "cs")
    assert result.exit_code == 2 and "complete languages: en, " in result.output
    assert "pl" in result.output.split("complete languages:")[1]
    assert not (tmp_path / "q.pdf").exists()
    result = invoke(runner, "report", EXAMPLES / "sales_rollout", "-o", tmp_path / "q.pdf",
                    "--locale", "pl_PL")
    assert result.exit_code == 0 and (tmp_path / "q.pdf").is_file()


def test_right_to_left_is_a_locale_away(support_pdf):
    experiment = load_experiment(EXAMPLES / "support_copilot")
    import valueproof

    results = valueproof.analyze(EXAMPLES / "support_copilot")
    html, _ = render_html(experiment, results, locale="ar")
    assert '<html lang="ar" dir="rtl">' in html


def _font_chars(*names: str) -> set[int]:
    from fontTools.ttLib import TTFont

    chars = set()
    for name in names:
        chars |= set(TTFont(templates_dir() / "fonts" / name).getBestCmap())
    return chars


def test_fonts_cover_every_shipped_string():
    from babel.messages.pofile import read_po

    # every face of the report's font stack (Arabic text, and the joined letter forms the
    # charts draw, come from Noto Sans Arabic)
    covered = _font_chars("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSansArabic-Regular.ttf",
                          "NotoSansArabic-Bold.ttf", "NotoSansSymbols2-Subset.ttf",
                          "NotoSansMath-Subset.ttf")
    text = (templates_dir() / "qbr.html").read_text()
    for po in (templates_dir() / "locales").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as handle:
            text += "".join("".join(m.string) if isinstance(m.string, tuple) else m.string
                            for m in read_po(handle) if m.string)
    for example in EXAMPLES.glob("*/experiment.yaml"):
        text += example.read_text()
    text += "−→✓✗▲▼●×·…±–"  # what the formatting and the badges add
    missing = {c for c in text if ord(c) >= 32 and ord(c) not in covered}
    assert not missing, missing
    arabic = _font_chars("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf")
    assert all(code in arabic for code in range(0x0621, 0x064B))  # the Arabic letters
    assert all(code in arabic for code in range(0xFE80, 0xFEFC))  # their joined forms (charts)


def test_periods_cut_by_the_compared_time_are_marked(write_experiment, runner, tmp_path):
    """A week only partly inside the compared time is lightly shaded and the caption says why;
    with windows on whole weeks nothing is."""
    caption = "Lightly shaded periods lie only partly inside the compared time"
    shown = {}
    for name, pre_start in (("whole", "2026-02-02"), ("cut", "2026-02-04")):  # Mon / Wed
        path = write_experiment({"pre": {"start": pre_start, "end": "2026-03-01"},
                                 "post": {"start": "2026-03-02", "end": "2026-03-29"}})
        html = tmp_path / f"{name}.html"
        result = invoke(runner, "report", path, "-o", tmp_path / f"{name}.pdf", "--html", html)
        assert result.exit_code == 0, result.output
        shown[name] = html.read_text(encoding="utf-8")
    assert caption not in shown["whole"]
    assert caption in shown["cut"]
    assert shown["cut"].count('opacity="0.08"') > shown["whole"].count('opacity="0.08"') == 0

"""Every shipped language, end to end: both examples render through the CLI, the text holds no
English sentence of ours, numbers and dates are the locale's, and the HTML says its language and
direction."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from babel.messages.pofile import read_po

from tests.conftest import EXAMPLES, ROOT, invoke
from valueproof.language.formatting import Formatter, unisolated
from valueproof.language.i18n import complete_languages

LOCALES = ROOT / "report_templates" / "locales"
LANGUAGES = [language for language in complete_languages() if language != "en"]


def test_the_issue_languages_are_complete():
    assert {"ar", "de", "es", "fr", "pl", "sk", "tr"} <= set(LANGUAGES)


def _embedded_fonts(pdf) -> set[str]:
    """The fonts a PDF draws with ('Noto-Sans-Bold'; subset prefixes dropped): only the shipped
    fonts, never a system font a fallback found (the charts' Arabic once came from DejaVu)."""
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(pdf).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1])
    return names


def _visible_text(html: str) -> str:
    html = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html).replace("&amp;", "&").replace("&#39;", "'")
    return " ".join(unisolated(text).split())


def _english_fragments(language: str, analyst_text: str) -> set[str]:
    """Runs of at least three English words from our messages whose translation differs (the
    analyst's own text, which stays as written, is left out)."""
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    fragments = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            if text in strings:
                continue
            for piece in re.split(r"%\([^)]+\)s|<[^>]+>|[.:;()]", text):
                piece = " ".join(piece.split())
                words = [w for w in piece.split() if re.fullmatch(r"[A-Za-z'’-]{2,}", w)]
                if len(words) >= 3 and piece not in analyst_text:
                    fragments.add(piece)
    return fragments


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("example", ["support_copilot", "sales_rollout"])
def test_every_language_renders_both_examples(runner, tmp_path, language, example):
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder)
    analyst_text = " ".join(" ".join(p.read_text(encoding="utf-8").split())
                            for p in folder.rglob("*") if p.suffix in (".yaml", ".yml"))
    pdf, html_path, json_path = tmp_path / "r.pdf", tmp_path / "r.html", tmp_path / "r.json"
    result = invoke(runner, "report", folder, "-o", pdf, "--html", html_path, "--json",
                    json_path, "--locale", language)
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    assert _embedded_fonts(pdf) and all(
        name.startswith(("Noto-Sans", "VP-")) for name in _embedded_fonts(pdf))  # shipped only
    html = html_path.read_text(encoding="utf-8")
    direction = "rtl" if language == "ar" else "ltr"
    assert re.search(rf'<html lang="{language}" dir="{direction}"', html)
    text = _visible_text(html)
    left = sorted(f for f in _english_fragments(language, analyst_text) if f in text)
    assert not left, left
    # numbers and dates as the locale writes them
    results = json.loads(json_path.read_text())
    fmt = Formatter(language)
    assert " ".join(unisolated(fmt.fixed(results["kpis"][0]["n_obs"], 0)).split()) in text
    report_date = re.search(r"^report_date: (\S+)", (folder / "experiment.yaml").read_text(),
                            re.M).group(1)
    assert " ".join(fmt.date(report_date).split()) in text  # the cover's date, in words

"""Number formatting rules of the report (units; the report tests see them in the PDF)."""

from __future__ import annotations

import shutil

from valueproof.language.formatting import NBSP, Formatter, decimals_for_interval


def test_one_precision_per_kpi_from_its_interval():
    # the half-width shown with two significant figures decides every number of the KPI
    assert decimals_for_interval(-3.2, -2.4) == 2  # half-width 0.4
    assert decimals_for_interval(9.0, 14.0) == 1  # 2.5
    assert decimals_for_interval(-60, 10) == 0  # 35
    assert decimals_for_interval(0.01, 0.02) == 4
    assert decimals_for_interval(None, 1.0) == 2 and decimals_for_interval(1.0, 1.0) == 2
    fmt = Formatter("en")
    digits = decimals_for_interval(9.44, 11.72)
    assert [fmt.fixed(v, digits) for v in (9.44, 11.72)] == ["9.4", "11.7"]


def test_p_values_do_not_break_and_keep_the_locale():
    assert Formatter("en").p_value(0.0002) == "<" + NBSP + "0.001"
    assert Formatter("pl").p_value(0.0002) == "<" + NBSP + "0,001"
    assert Formatter("en").p_value(0.6281) == "0.628"


def test_one_letter_words_never_end_a_line_in_polish():
    tied = Formatter("pl").tie("Wzrost o 5 punktów w grupie i w porównaniu z grupą")
    assert tied == f"Wzrost o{NBSP}5 punktów w{NBSP}grupie i{NBSP}w{NBSP}porównaniu z{NBSP}grupą"
    assert Formatter("en").tie("a b c") == "a b c"  # English typography does not ask for it


def test_polish_report_ties_one_letter_words_and_keeps_one_precision_per_kpi():
    """Through the real Polish report: no one-letter word can end a line, markup and styles
    are untouched, and a KPI's estimate, interval and levels share their decimals."""
    import re

    import valueproof
    from tests.conftest import EXAMPLES
    from valueproof.config import load_experiment
    from valueproof.report.render import render_html

    results = valueproof.analyze(EXAMPLES / "sales_rollout")
    html, _ = render_html(load_experiment(EXAMPLES / "sales_rollout"), results)
    text = re.sub(r"<style.*?</style>|<svg.*?</svg>|<[^>]+>", "\x00", html, flags=re.S)
    assert " w" + NBSP in html
    assert re.search(r"(?<=[ \t\n])[wzioauWZIOAU][ \t\n]+(?=\w)", text) is None
    assert '<link rel="stylesheet" href="style.css">' in html  # markup left alone
    cycle = results.kpi("cycle_days")
    digits = decimals_for_interval(cycle.effect_units_low, cycle.effect_units_high)
    shown = Formatter("pl").fixed(cycle.effect_units, digits, signed=True)
    assert shown in html and digits == 1


def test_a_headline_ending_in_an_abbreviation_has_one_full_stop(runner, tmp_path):
    """A headline whose last word is an abbreviation (a unit written "min.") ends with one
    full stop, not two."""
    import re

    import yaml
    from pypdf import PdfReader

    from tests.conftest import EXAMPLES, invoke

    folder = tmp_path / "example"
    shutil.copytree(EXAMPLES / "support_copilot", folder)
    definition = yaml.safe_load((folder / "experiment.yaml").read_text())
    for kpi in definition["kpis"]:
        if kpi.get("unit") == "min":
            kpi["unit"] = "min."
    (folder / "experiment.yaml").write_text(yaml.safe_dump(definition, allow_unicode=True))
    out = tmp_path / "pl.pdf"
    result = invoke(runner, "report", folder, "-o", out, "--locale", "pl")
    assert result.exit_code == 0, result.output
    page = " ".join(PdfReader(out).pages[1].extract_text().split())
    assert "min." in page
    assert not re.search(r"\w\.\.(?!\.)", page), page


def test_percentages_follow_the_locale_pattern():
    # Turkish writes the sign before the number, German and French with a (no-break) space
    assert Formatter("tr").percent(0.214) == "%21"
    # the sign is joined to the % that follows it (U+2060): no line break between them
    assert Formatter("tr").percent_fixed(0.0891, 1, signed=True) == "+\u2060%8,9"
    assert Formatter("de").percent(-0.214, signed=True) == "−21" + NBSP + "%"
    assert Formatter("fr_CA").percent_fixed(0.0891, 1) == "8,9" + NBSP + "%"
    assert Formatter("en").percent(-0.214, signed=True) == "−21%"


def test_right_to_left_numbers_are_isolated_with_the_locales_digits():
    from valueproof.language.formatting import LRI, PDI, unisolated

    arabic = Formatter("ar")  # CLDR: Latin digits for ar
    assert arabic.percent(-0.214, signed=True) == LRI + "−21%" + PDI
    assert arabic.p_value(0.0001) == LRI + "<" + NBSP + "0.001" + PDI  # one isolate, not two
    assert "\u061c" not in arabic.number(-1234.5, 5)  # the isolate replaces Babel's bidi mark
    saudi = Formatter("ar_SA")  # CLDR: Arabic-Indic digits
    assert unisolated(saudi.number(-1234.5, 5)) == "−١٬٢٣٤٫٥"
    assert saudi.date("2026-09-30") == "٣٠ سبتمبر ٢٠٢٦"
    assert Formatter("pl").number(-1234.5, 5) == "−1" + NBSP + "234,5"  # left to right: as it was


def test_the_terminal_and_the_report_word_a_change_from_one_scale():
    """A rate's change is in percentage points in the report ('+6.2 percentage points') and in
    the terminal ('+6.2 pp'), from the one rule of the words kit (`kpi_scale`), with the
    decimals the PDF's detail box gives the KPI (from its interval)."""
    import dataclasses
    import math
    from gettext import NullTranslations
    from types import SimpleNamespace

    from tests.value.test_value import kpi_result
    from valueproof.cli.terminal import effect_text, effect_text_mde
    from valueproof.language.words import Words, kpi_scale

    words = Words(NullTranslations(), Formatter("en"))
    rate = dataclasses.replace(kpi_result(effect=0.062, low=0.01, high=math.inf, better="higher",
                                          relative=(0.5, 0.1, math.inf)), unit="%", mde=0.031)
    scale, level, change = kpi_scale(rate, words)
    assert scale == 100 and level.short("4.3") == "4.3%"
    assert change.after("+6.2") == f"+6.2{NBSP}percentage points"
    assert effect_text(rate) == "+6.20 pp [+1.00, …]" and effect_text_mde(rate) == f"±3.1{NBSP}pp"
    minutes = dataclasses.replace(kpi_result(effect=-2.5, low=-2.7, high=-2.2), mde=0.4)
    assert effect_text(minutes) == "−2.50 min [−2.70, −2.20]"
    assert kpi_scale(SimpleNamespace(unit=""), words)[2].short("+3") == "+3"

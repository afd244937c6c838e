"""The table of averages explains why its simple difference is not the effect beside it, and the
glossary explains 'relative effect', 'with confidence' and the date goals are judged at."""

from __future__ import annotations

import dataclasses
import html
import re
from gettext import NullTranslations

import pytest

from tests.conftest import EXAMPLES, invoke
from tests.value.test_value import kpi_result
from valueproof.language.formatting import Formatter
from valueproof.language.words import Unit, Words
from valueproof.report.means_note import difference_note, simple_difference

MEANS = {"treatment_pre": 10.0, "treatment_post": 8.0, "control_pre": 10.0, "control_post": 9.5}


def _kpi(effect: float, **changes):
    kpi = kpi_result(effect=effect, low=effect - 1, high=effect + 1)
    return dataclasses.replace(kpi, means=MEANS, **changes)


def _note(kpi, design="panel"):
    words = Words(NullTranslations(), Formatter("en"))
    results = type("R", (), {"design": design})()
    return difference_note(words, results, kpi, 1.0, 2, Unit(words, "min"))


def test_simple_difference_is_the_change_minus_the_comparison_change():
    assert simple_difference(_kpi(-1.5)) == pytest.approx(-1.5)
    assert simple_difference(_kpi(-1.5, method="pre_post")) == pytest.approx(-2.0)
    assert simple_difference(dataclasses.replace(_kpi(-1.5), means={})) is None


def test_no_note_when_the_effect_is_the_simple_difference_as_shown():
    assert _note(_kpi(-1.501)) is None  # −1.50 both ways at two decimals


def test_panel_note_names_both_numbers_and_the_reasons():
    note = _note(_kpi(-1.62)).replace("\u00a0", " ")
    assert note.startswith("The effect (−1.62 min) differs from the simple difference of these "
                           "averages (−1.50 min) because it compares each unit with itself")
    assert "(unit effects)" in note and "(period effects)" in note


def test_cross_section_and_before_after_notes_name_their_own_reasons():
    assert "(group effects)" in _note(_kpi(-1.62), design="cross_section")
    before_after = _note(_kpi(-1.62, method="pre_post"))
    assert "(−2.00" in before_after.replace("\u00a0", " ") and "period effects" not in before_after


def test_log_scale_kpis_say_the_effect_is_a_percentage():
    assert "log scale" in _note(_kpi(-0.2, transform="log"))


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, str]:
    from click.testing import CliRunner

    out, runner = tmp_path_factory.mktemp("means"), CliRunner()
    found = {}
    for locale in ("en", "de"):
        page = out / f"{locale}.html"
        result = invoke(runner, "report", EXAMPLES / "support_copilot", "-o",
                        out / f"{locale}.pdf", "--html", page, "--locale", locale)
        assert result.exit_code == 0, result.output
        found[locale] = html.unescape(page.read_text()).replace("\u00a0", " ")
    return found


def _notes(page: str) -> list[str]:
    return re.findall(r'class="small means-note">([^<]*)<', page)


def test_every_kpi_page_explains_its_table(pages):
    notes = _notes(pages["en"])
    assert len(notes) == 4  # the four KPIs' effects all differ from their simple differences
    assert notes[0].startswith("The effect (−2.")
    assert all("(unit effects)" in note for note in notes)
    assert all("weicht von der einfachen Differenz dieser Durchschnittswerte" in note
               for note in _notes(pages["de"]))


def test_glossary_explains_relative_effect_confidence_and_the_judging_date(pages):
    glossary = pages["en"][pages["en"].index('class="glossary"'):]
    assert '<th scope="row">Relative effect</th><td>The effect as a share of the level' in glossary
    assert '<th scope="row">With confidence</th><td>Shown under an achieved goal' in glossary
    assert "Goals are judged on Sep 30, 2026, the date this scorecard is judged at" in glossary
    assert "judged at the report date" not in glossary
    german = pages["de"][pages["de"].index('class="glossary"'):]
    assert "Die Ziele werden zum 30.09.2026 beurteilt" in german or \
        "Die Ziele werden zum 30. Sept. 2026 beurteilt" in german
    assert "Statistisch gesichert" in german

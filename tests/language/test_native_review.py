"""Wording a native reviewer flagged, fixed and kept fixed: Slovak '1 dosiahnutý (spolu 4)',
German 'Quartalsreview' and 'Kundengesundheit', Polish headers '(szans)', and the Polish
example's English subtitle."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import EXAMPLES
from valueproof.language.formatting import Formatter
from valueproof.language.i18n import locales_dir, translations
from valueproof.language.words import Words

GOALS = ("Goals agreed at onboarding: %(achieved)s of %(total)s achieved.",) * 2


def _words(language: str) -> Words:
    return Words(translations(locales_dir(), language), Formatter(language))


@pytest.mark.parametrize("achieved, expected", [
    (1, "Ciele dohodnuté pri zavádzaní: dosiahnutý 1 z celkového počtu 4."),
    (3, "Ciele dohodnuté pri zavádzaní: dosiahnuté 3 z celkového počtu 4."),
    (0, "Ciele dohodnuté pri zavádzaní: dosiahnutých 0 z celkového počtu 4."),
])
def test_slovak_goals_sentence_reads_naturally(achieved, expected):
    assert _words("sk").plural(*GOALS, achieved, achieved=achieved, total=4) == expected


@pytest.mark.parametrize("message, expected", [
    ("Quarterly Business Review", "Quarterly Business Review"),
    ("Account health", "Health Score"), ("Health score", "Health Score"),
    ("Adoption and health", "Nutzung und Health Score"),
])
def test_german_uses_the_terms_german_cs_teams_use(message, expected):
    assert _words("de")(message) == expected


def test_no_flagged_german_word_is_left():
    text = (locales_dir() / "de" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    msgstrs = "\n".join(line for line in text.splitlines() if line.startswith(("msgstr", '"')))
    assert "Quartalsreview" not in msgstrs and "Kundengesundheit" not in msgstrs


def test_polish_example_speaks_polish_on_its_cover():
    definition = yaml.safe_load((EXAMPLES / "sales_rollout" / "experiment.yaml").read_text())
    assert definition["locale"] == "pl"
    assert definition["name"] == "Wdrożenie narzędzia sprzedażowego"

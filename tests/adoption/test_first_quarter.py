"""Health, NPS and the other adoption figures are never compared with a quarter that ended
before the product started: the JSON has no previous values (and says why), the report says
"first quarter with the product" in every language, and an earlier onboarding keeps the
comparison."""

from __future__ import annotations

import datetime as dt
import html
import re
from gettext import NullTranslations
from types import SimpleNamespace

import pytest

from tests.conftest import EXAMPLES
from tests.adoption.test_adoption import adoption_experiment, analyze_json  # noqa: F401  (a fixture)
from valueproof.adoption import product_start

LANGUAGES = ("en", "ar", "de", "es", "fr", "pl", "sk", "tr")
FIRST = "first_quarter_with_product"


def test_onboarded_within_the_quarter_compares_with_nothing(adoption_experiment, runner,  # noqa: F811
                                                            tmp_path):
    """Onboarded on Mar 1, 2026 (rollout Mar 2): 2025-Q4 ended before the product started, so
    nothing of 2026-Q1 is compared with it, though the files have rows dated in 2025-Q4."""
    results = analyze_json(runner, adoption_experiment({"onboarded_on": "2026-03-01"}), tmp_path)
    adoption, nps, health = results["adoption"], results["nps"], results["health"]
    assert adoption["product_start"] == "2026-03-01"
    assert adoption["previous_period"] is None
    assert adoption["previous_reason"] == nps["previous_reason"] == health["previous_reason"] \
        == FIRST
    assert nps["previous"] is None
    assert (nps["change"], nps["change_ci_low"], nps["change_ci_high"]) == (None, None, None)
    assert [m["month"] for m in nps["by_month"]] == ["2026-02-01"]  # not Nov 2025's answers
    assert (health["previous_score"], health["previous_status"], health["change"]) == (
        None, None, None)
    assert adoption["weekly_active_mean_previous"] is None
    assert adoption["weekly_active_change"] is None
    assert {w["quarter"] for w in adoption["weekly_active"]} == {"2026-Q1"}
    training = adoption["training"]
    assert training["previous_share"] is None and training["change"] is None
    assert training["trend"][0]["date"] == "2026-01-31"  # month ends from the quarter's start
    assert adoption["support"]["previous"] is None
    # the quarter's own figures do not change
    compared = analyze_json(runner, adoption_experiment(), tmp_path)
    assert (nps["score"], nps["ci_low"]) == (compared["nps"]["score"], compared["nps"]["ci_low"])
    assert health["score"] == pytest.approx(compared["health"]["score"])
    assert compared["health"]["previous_score"] is not None  # onboarded Oct 1, 2025
    assert compared["nps"]["previous_reason"] is None and compared["nps"]["change"] is not None


def test_onboarded_during_the_previous_quarter_keeps_the_comparison(adoption_experiment,  # noqa: F811
                                                                    runner, tmp_path):
    """Onboarded on Dec 15, 2025: 2025-Q4 had the product for two weeks, so it is compared."""
    results = analyze_json(runner, adoption_experiment({"onboarded_on": "2025-12-15"}), tmp_path)
    assert results["adoption"]["previous_period"]["quarter"] == "2025-Q4"
    assert results["nps"]["change"] == pytest.approx(55)
    assert results["health"]["previous_reason"] is None


def test_the_product_starts_at_the_earliest_date_the_definition_gives():
    def definition(onboarded):
        return SimpleNamespace(adoption=SimpleNamespace(onboarded_on=onboarded))

    assert product_start(definition(None), "2026-07-01") == dt.date(2026, 7, 1)  # the rollout
    assert product_start(definition(dt.date(2026, 4, 1)), "2026-07-01") == dt.date(2026, 4, 1)
    assert product_start(definition(dt.date(2026, 8, 1)), "2026-07-01") == dt.date(2026, 7, 1)
    assert product_start(definition(dt.date(2026, 4, 1)), "14") == dt.date(2026, 4, 1)
    assert product_start(definition(None), "14") is None  # integer periods: no date
    assert product_start(SimpleNamespace(adoption=None), "2026-07-01") == dt.date(2026, 7, 1)


def test_every_language_says_first_quarter_with_the_product():
    """The support example: onboarded Jul 1, 2026, reported for 2026-Q3."""
    import valueproof
    from valueproof.config import load_experiment
    from valueproof.language.formatting import Formatter, unisolated
    from valueproof.language.i18n import translations
    from valueproof.report.render import render_html, templates_dir

    path = EXAMPLES / "support_copilot" / "experiment.yaml"
    results, experiment = valueproof.analyze(path), load_experiment(path)
    assert results.health.previous_reason == FIRST and results.nps.previous is None

    def flat(text: str) -> str:
        return " ".join(html.unescape(unisolated(text)).split())

    for language in LANGUAGES:
        catalogue = (NullTranslations() if language == "en"
                     else translations(templates_dir() / "locales", language))
        text = flat(render_html(experiment, results, language, logos={})[0])
        short = catalogue.gettext("first quarter with the product")
        assert short != "first quarter with the product" or language == "en"
        assert flat(short) in text, language  # page 2, beside the health score
        sentence = catalogue.gettext("First quarter with the product (since %(date)s): there "
                                     "is no earlier quarter to compare with.")
        head = flat(sentence.split("%(date)s")[0])
        assert text.count(head) >= 2, language  # the health score and the NPS
        # the quarter before the product is named nowhere ("up 47 since Q2 2026")
        before = re.escape(flat(Formatter(language).quarter("2026-Q2")))
        assert not re.search(rf"(?<!\w){before}", text), language  # not inside "III kw."
    english = flat(render_html(experiment, results, "en", logos={})[0])
    assert "since Q2 2026" not in english and "Q2 2026" not in english
    assert ("Q3 2026 is the first quarter with the product (since Jul 1, 2026), so nothing is "
            "compared with an earlier quarter.") in english

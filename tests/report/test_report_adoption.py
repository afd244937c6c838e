"""What users see of adoption and health: the report's section (its numbers are the JSON's),
page 2's health and licences in use beside the ROI with the CSM's wins, roadmap and asks beside
next quarter's goals, the plan naming low use, and a definition without the keys unchanged."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

from tests.conftest import EXAMPLES, invoke
from valueproof.report.health import shown_parts, whole
from valueproof.language.formatting import Formatter

EN = Formatter("en")


def _flat(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2011", "-")
    return re.sub(r"\s+", " ", text).strip()


def _report(folder: Path, *extra) -> tuple[list[str], dict]:
    result = invoke(CliRunner(), "report", folder / "experiment.yaml", "-o", folder / "qbr.pdf",
                    "--json", folder / "r.json", *extra)
    assert result.exit_code == 0, result.output
    pages = [_flat(page.extract_text()) for page in PdfReader(folder / "qbr.pdf").pages]
    return pages, json.loads((folder / "r.json").read_text())


def _page(pages: list[str], heading: str) -> str:
    return next(p for p in pages if re.search(rf"(^| ){re.escape(heading)} ", p))


@pytest.fixture(scope="module")
def support(tmp_path_factory):
    folder = tmp_path_factory.mktemp("support") / "example"
    shutil.copytree(EXAMPLES / "support_copilot", folder)
    return _report(folder)


@pytest.fixture(scope="module")
def low_use(tmp_path_factory):
    """The support example with 8 of its 32 licences in use and no NPS data."""
    folder = tmp_path_factory.mktemp("low") / "example"
    shutil.copytree(EXAMPLES / "support_copilot", folder)
    usage = pd.read_csv(folder / "data" / "copilot_usage.csv")
    keep = sorted(usage["user_id"].unique())[:8]
    usage[usage["user_id"].isin(keep)].to_csv(folder / "data" / "copilot_usage.csv", index=False)
    path = folder / "experiment.yaml"
    definition = yaml.safe_load(path.read_text())
    del definition["adoption"]["nps"]
    definition["analysis"]["permutations"] = 2000
    path.write_text(yaml.safe_dump(definition, sort_keys=False, allow_unicode=True))
    return folder, _report(folder)


def test_section_numbers_are_the_jsons(support):
    pages, results = support
    adoption, nps, health = results["adoption"], results["nps"], results["health"]
    section = _page(pages, "Adoption and health")
    # licences, active users and utilisation as the JSON has them (28 of 32: 88%)
    assert adoption["licences"] == 32 and adoption["active_users"] == 28
    utilisation = EN.percent(adoption["utilisation"])
    assert utilisation == "88%"
    assert (f"{adoption['active_users']} of {adoption['licences']} licences in use "
            f"({utilisation})") in section
    # the four figures: licences, active users, licences in use, stickiness
    figures = (f"{adoption['licences']} ?Licences {adoption['active_users']} ?Active users "
               rf"\(last 28 days\) {utilisation} ?Licences in use "
               f"{EN.percent(adoption['stickiness'])} ?Stickiness")
    assert re.search(figures, section), figures
    # each feature's share of the active users
    for feature in adoption["features"]:
        assert f"{feature['label']} {feature['users']} {EN.percent(feature['share'])}" in section
    # the health score, its status and its trend
    score = whole(health["score"])
    assert health["status"] == "green" and score == 80
    assert f"Account health {score}/100 ● Green" in section
    assert f"Health score {score}" in section
    # onboarded on Jul 1, 2026: Q3 is the first quarter with the product, so no "up 47 since
    # Q2" against a quarter before it
    assert health["previous_score"] is None
    assert health["previous_reason"] == "first_quarter_with_product"
    assert ("First quarter with the product (since Jul 1, 2026): there is no earlier quarter to "
            "compare with.") in section
    assert "since the end of Q2" not in section and "compared with Q2" not in section


def test_contributions_add_up_to_the_score_shown(support):
    pages, results = support
    health = results["health"]
    section = _page(pages, "Adoption and health")
    used = [c for c in health["components"] if c["available"]]
    shown = shown_parts([c["contribution"] for c in used], health["score"])
    assert sum(shown) == whole(health["score"])
    weights = shown_parts([100 * c["weight_used"] for c in used], 100)
    labels = {"usage": "Usage", "training": "Training", "support": "Support", "nps": "NPS"}
    for component, weight, contribution in zip(used, weights, shown):
        assert abs(contribution - component["contribution"]) < 1
        row = (f"{labels[component['id']]} .*? {whole(component['score'])} {weight}% "
               f"{contribution} ")
        assert re.search(row, section), row


def test_support_nps_training_and_first_days(support):
    pages, results = support
    text = " ".join(pages)
    nps, support_data = results["nps"], results["adoption"]["support"]
    # NPS +33 from 46 answers, its likely range and its change since the previous quarter
    assert nps["n"] == 46 and whole(nps["score"]) == 33
    assert (f"+{whole(nps['score'])} likely range +{whole(nps['ci_low'])} to "
            f"+{whole(nps['ci_high'])}") in text
    assert f"{nps['n']} answers in Q3 2026" in text
    assert nps["previous"] is None and nps["change"] is None  # the first quarter with it
    assert "points since Q2 2026" not in text
    assert "Only 46 answers" not in text  # no caution from 30 answers up
    # tickets: opened, per week, median and 90th percentile hours, backlog; by priority
    current = support_data["current"]
    assert (f"{current['opened']} tickets in Q3 2026 ({EN.number(current['per_week'])} a "
            f"week). Half were resolved within {EN.number(current['median_hours'])} hours and 9 "
            f"in 10 within {EN.number(current['p90_hours'])} hours. {current['backlog']} still "
            "open") in text
    for line in support_data["by_priority"]:
        assert f"priority {line['priority']} {line['opened']} " in text
    training = results["adoption"]["training"]
    assert (f"{EN.percent(training['share'])} of the {training['base']} licensed users "
            f"completed the training ({training['completed']})") in text
    first = results["adoption"]["first_90_days"]
    assert f"Time to first value: {first['time_to_first_value']} days" in text


def test_page_two_has_health_licences_and_wins(support):
    pages, results = support
    summary = pages[1]
    assert summary.startswith("Executive summary") and "Page 2 of" in summary
    assert "433%" in summary  # the ROI, and beside it:
    assert f"{whole(results['health']['score'])}/100 ● Green" in summary
    assert "28 of 32 licences in use (88%)" in summary
    assert "Wins this quarter" in summary
    for win in results["highlights"]:
        assert win in summary
    # page 2 stays one page: the next steps end on it, and page 3 is the first KPI's
    assert "Bring the reopen rate back to the pre-pilot level" in summary
    assert pages[2].startswith("OUTCOME 1 / 4")
    # the section sits after the ROI and before the plan
    order = [next(i for i, p in enumerate(pages) if re.search(rf"(^| ){h} ", p))
             for h in ("Return on investment", "Adoption and health",
                       "What did not work, and the plan")]
    assert order == sorted(order)
    assert f"Account health · page {order[1] + 1}" in summary


def test_roadmap_and_asks_beside_next_quarters_goals(support):
    pages, results = support
    plan = _page(pages, "Goals for next quarter")
    assert "Coming next from us" in plan and "What we ask of you" in plan
    for item in results["roadmap"]:  # a quarter as the locale names it ('2026-Q4' -> 'Q4 2026')
        when = EN.quarter(item["when"]) if "-Q" in item["when"] else item["when"]
        assert " ".join(f"{item['item']} {when}".split()) in plan
    for ask in results["asks"]:
        assert ask in plan
    # the example's usage (88%) and training (75%) are not low: the plan keeps its actions
    assert "Low use" not in plan and "Low training" not in plan


def test_plan_names_low_use_and_proposes_to_drive_adoption(low_use):
    folder, (pages, results) = low_use
    assert results["adoption"]["active_users"] == 8
    assert results["adoption"]["utilisation"] == 0.25
    plan = {p["kpi"]: p for p in results["improvement_plan"]}
    # improved but short of its goal, and inconclusive: low use is the reason, adoption the fix
    for kpi in ("fcr", "csat"):
        assert [r["kind"] for r in plan[kpi]["reasons"]] == ["low_adoption"]
        assert plan[kpi]["default_action"] == "drive_adoption"
    # a KPI that got worse is not explained by low use
    assert plan["reopen_rate"]["reasons"] == []
    page = _page(pages, "What did not work, and the plan")
    reason = "Low use: only 25% of the licences are in use (below 60%)."
    assert page.count(reason) == 2
    assert page.count("Drive adoption first: find out with the team leads") == 2
    assert "Gather more evidence" not in page
    # the terminal says the same
    result = invoke(CliRunner(), "analyze", folder / "experiment.yaml")
    assert result.exit_code == 0, result.output
    assert _flat(result.output).count(reason) == 2


def test_left_out_component_is_named_and_the_rest_still_adds_up(low_use):
    _, (pages, results) = low_use
    health = results["health"]
    assert health["missing"] == ["nps"] and results["nps"] is None
    section = _page(pages, "Adoption and health")
    assert ("Left out for lack of data: NPS (no NPS data). The other weights were scaled up to "
            "add up to 100%.") in section
    used = [c for c in health["components"] if c["available"]]
    shown = shown_parts([c["contribution"] for c in used], health["score"])
    assert sum(shown) == whole(health["score"])
    assert f"Health score {whole(health['score'])}" in section
    assert "Net Promoter Score" not in " ".join(pages)
    status = {"green": "Green", "amber": "Amber", "red": "Red"}[health["status"]]
    assert f"{whole(health['score'])}/100 ● " in pages[1] or status in pages[1]
    assert "8 of 32 licences in use (25%)" in pages[1]


def test_analyze_prints_the_adoption_numbers(tmp_path):
    result = invoke(CliRunner(), "analyze", EXAMPLES / "support_copilot" / "experiment.yaml")
    assert result.exit_code == 0, result.output
    out = _flat(result.output)
    assert "Adoption and health:" in out
    assert "active users (28 days): 28 of 32 licences (87.5%)" in out
    assert "NPS: +33 [+9, +52] from 46 answers" in out  # Rocks' adjusted interval
    assert "health score: 80 (green) = usage 35 + training 15 + support 17 + nps 13" in out
    assert "first quarter with the product (since 2026-07-01)" in out  # no Q2 to compare with


def test_polish_report_has_the_section_in_polish(support, tmp_path):
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLES / "support_copilot", folder)
    pages, _ = _report(folder, "--locale", "pl")
    assert "Kondycja konta" in pages[1] and "80/100 ● Zielony" in pages[1]
    assert "28 z 32 licencji w użyciu (88%)" in pages[1]
    section = _page(pages, "Wykorzystanie i kondycja konta")
    assert "Wskaźnik kondycji 80" in section
    assert len(pages) == len(support[0])  # the same pages in both languages


def test_definition_without_the_keys_has_no_adoption_section(runner, write_experiment,
                                                             tmp_path):
    path = write_experiment({"next_quarter": ["Widen the pilot"]})
    result = invoke(runner, "report", path, "-o", tmp_path / "qbr.pdf", "--json",
                    tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    text = _flat(" ".join(p.extract_text() for p in PdfReader(tmp_path / "qbr.pdf").pages))
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["adoption"] is None and data["health"] is None
    assert "Goals for next quarter" in text  # the plan page is there ...
    for absent in ("Adoption and health", "Account health", "Wins this quarter",
                   "Coming next from us", "What we ask of you", "licences in use"):
        assert absent not in text  # ... and nothing of adoption


@pytest.mark.parametrize("parts, total, shown", [
    ([35.0, 15.0, 16.9014, 13.2609], 80.1623, [35, 15, 17, 13]),
    ([100 / 3, 100 / 3, 100 / 3], 100.0, [34, 33, 33]),
    ([12.5, 12.5, 12.5, 12.5], 50.0, [13, 13, 12, 12]),
    ([0.4, 0.4, 0.4], 1.2, [1, 0, 0]),
])
def test_shown_parts_add_up_to_the_rounded_total(parts, total, shown):
    assert shown_parts(parts, total) == shown
    assert sum(shown) == whole(total)

"""Pages 1-2 carry the story: the headline sentence with magnitudes, the scorecard once with
progress in words, the next steps with owners; plain language on the main pages; the
improvement plan one entry per KPI, worded for its verdict, the same in terminal and PDF."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from tests.conftest import EXAMPLES, invoke


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def _render(out: Path, example: str) -> tuple[list[str], dict]:
    result = invoke(CliRunner(), "report", EXAMPLES / example / "experiment.yaml",
                    "-o", out / "qbr.pdf", "--json", out / "r.json")
    assert result.exit_code == 0, result.output
    pages = [_flat(page.extract_text()) for page in PdfReader(out / "qbr.pdf").pages]
    return pages, json.loads((out / "r.json").read_text())


@pytest.fixture(scope="module")
def support(tmp_path_factory):
    return _render(tmp_path_factory.mktemp("support"), "support_copilot")


@pytest.fixture(scope="module")
def sales(tmp_path_factory):
    return _render(tmp_path_factory.mktemp("sales"), "sales_rollout")


@pytest.fixture(scope="module")
def waves(tmp_path_factory):
    return _render(tmp_path_factory.mktemp("waves"), "team_waves")


def _plan_page(pages: list[str], title: str) -> str:
    return next(p for p in pages if re.search(rf"(^| ){re.escape(title)} ", p)
                and ("Action" in p or "Działanie" in p))


def test_headline_sentence_has_magnitudes_in_the_customers_terms(support):
    pages, results = support
    kpis = {k["id"]: k for k in results["kpis"]}
    handle, fcr, reopen = kpis["handle_time"], kpis["fcr"], kpis["reopen_rate"]
    # the numbers the sentence rounds (two significant figures)
    assert round(-handle["relative_effect"] * 100) == 21 and round(-handle["effect"], 1) == 2.5
    assert round(fcr["effect"] * 100, 1) == 6.2 and round(reopen["effect"] * 100, 1) == 6.0
    # KPI names in sentence case inside the sentence; '6.0', not '6' (the detail box's +6.0)
    assert ("Average handle time down 21% (2.5 min) and first-contact resolution up 6.2 "
            "percentage points; reopen rate up 6.0 percentage points is the priority for next "
            "quarter.") in pages[1]
    # the KPI badges carry their magnitudes and where the units with the product started (at
    # the change's decimals), the one that got worse included
    assert ("Improved Average handle time −21% (−2.5 min) from a starting level of 11.8 min"
            in pages[1])
    assert ("Got worse Reopen rate +6.0 percentage points from a starting level of 7.3%"
            in pages[1])


def test_page_two_holds_the_scorecard_once_and_the_next_steps_with_owners(support):
    pages, results = support
    summary = pages[1]
    # every goal, with the date it was agreed on, progress in words and its status
    assert summary.count("Mar 10, 2026") == len(results["criteria"]) == 4  # agreed on
    assert "Cut average handle time by 15% −21% of the −15% target Mar 10, 2026 Sep 30, 2026 ✓ Achieved" in summary
    # targets with their units, one precision in each cell (the measured value's or the
    # target's as agreed, whichever has more decimals: never '+91%' beside '−1.0%')
    assert ("+6.2 percentage points of the +8.0 percentage points target; at the current trend "
            "+5.8 percentage points") in summary
    assert "4.08 points against a target of 4.30 points" in summary
    assert "+91% against a target of −1%" in summary
    # the goals are not repeated on a page of their own (page 3 is the first KPI)
    assert pages[2].startswith("OUTCOME 1 / 4 Average handle time")
    assert not any("The goals we agreed" in p for p in pages)
    # next steps: the most urgent first, with their owners and dates; the steps without them
    # end the page among the decisions asked of the customer, after the asks
    steps = summary[summary.index("Next steps"):summary.index("Decisions we need from you")]
    assert ("Reopen rate: Review reopened tickets with the pilot team and tune the assistant's "
            "suggested closing replies Helpdeskly CSM Nov 15, 2026") in steps
    assert "Roll the assistant out to the second support site Acme support lead Dec 31, 2026" in steps
    assert "to agree" not in steps
    decisions = summary[summary.index("Decisions we need from you"):]
    assert ("Name an owner for the rollout at the second support site Book the training for "
            "the pilot agents who have not completed it") in decisions
    assert ("First-contact resolution and customer satisfaction (CSAT): Together: agree how to "
            "close the gap to the target: wider use, training, or a later date. (owner and date "
            "to agree)") in decisions
    assert ("Bring the reopen rate back to the pre-pilot level (owner and date to agree)"
            in decisions)
    # the cover explains how to read the report, so it is not half empty
    assert "How to read this report" in pages[0] and "Likely range" in pages[0]


@pytest.mark.parametrize("example", ["support", "sales", "waves"])
def test_no_statistics_jargon_on_pages_one_and_two(example, request):
    pages, _ = request.getfixturevalue(example)
    first = " ".join(pages[:2])
    for jargon in ("95% CI", "CI ", "p =", "p <", " pp", "p.p."):
        assert jargon not in first, jargon
    # the KPI pages say "likely range"; p-values only in each KPI's detail box
    kpi_pages = [p for p in pages if re.search(r"(OUTCOME|WYNIK) \d", p)]
    assert kpi_pages
    for page in kpi_pages:
        assert "95% CI" not in page
        details = page.index("Details for analysts" if example != "sales"
                             else "Szczegóły dla analityków")
        assert not re.search(r"\bp (=|<) ", page[:details]), page[:details]
        assert re.search(r"\bp (=|<) ", page[details:])


def test_inconclusive_reads_as_too_small_to_detect_everywhere(support):
    pages, results = support
    csat = next(k for k in results["kpis"] if k["id"] == "csat")
    assert csat["verdict"] == "inconclusive" and round(csat["mde"], 2) == 0.12
    wording = "too small to detect with this data: we could detect changes larger than ±0.12 points"
    assert wording in pages[1]  # the badge on page 2
    assert wording in next(p for p in pages if p.startswith("OUTCOME 3 / 4 Customer "
                                                            "satisfaction (CSAT) ● Inconclusive"))
    assert wording in _plan_page(pages, "What did not work, and the plan")
    text = " ".join(pages)
    assert "no change large enough" not in text and "not the same as no change" in text


def test_plan_has_one_entry_per_kpi_with_its_goals_and_no_repeated_action(support):
    pages, _ = support
    plan = _plan_page(pages, "What did not work, and the plan")
    plan = plan[:plan.index("Goals for next quarter")]
    action = "Review reopened tickets with the pilot team"
    assert plan.count(action) == 1  # the KPI's and its goal's action, once
    order = [plan.index(label) for label in ("Reopen rate Got worse", "Keep reopen rate from rising",
                                             "First-contact resolution Improved",
                                             "Raise first-contact resolution by 8 points",
                                             "Customer satisfaction (CSAT) Inconclusive",
                                             "Lift CSAT to 4.3")]
    assert order == sorted(order)  # each goal under its KPI; worse first, inconclusive last
    for label in ("Reopen rate", "First-contact resolution", "Customer satisfaction (CSAT)"):
        assert plan.count(label) == 1  # one entry per KPI
    # an improved KPI short of its goal is not told to agree a recovery plan
    assert "recovery plan" not in " ".join(pages)
    assert ("Improved (+6.2 percentage points), but short of its goal") in plan
    assert "Together: agree how to close the gap to the target" in plan
    assert "with the customer" not in " ".join(pages)  # the customer reads it
    # missing owners and dates read "to agree"
    assert plan.count("to agree") >= 4


def test_polish_plan_fits_the_verdicts(sales):
    pages, results = sales
    assert [k["verdict"] for k in results["kpis"]] == ["improved"] * 3
    # the sentence's first KPI keeps its capital, the next ones are in sentence case
    assert "Skuteczność ofert: wzrost o 6,1 punktu procentowego, cykl sprzedaży: spadek" in pages[1]
    plan = _plan_page(pages, "Co nie zadziałało i plan działań")
    # two improved KPIs short of their goals: no "fix", the gap to the target; the third's goal
    # is reached by the estimate, not yet confirmed: gather more evidence
    assert plan.count("Poprawa (") == 3 and plan.count("ale poniżej celu") == 2
    assert plan.count("Wspólnie: uzgodnić, jak zmniejszyć odległość od celu") == 2
    assert "z klientem" not in " ".join(pages)
    assert "cel osiągnięty według oszacowania, ale jeszcze niepotwierdzony" in plan
    assert "Wspólnie: mierzyć dłużej lub dodać jednostki, by potwierdzić cel." in plan
    assert "do uzgodnienia" in plan
    assert "Następne kroki" in pages[1] and "Cele uzgodnione na starcie" in pages[1]


def test_waves_summary_names_the_priority(waves):
    pages, _ = waves
    assert re.search(r"Average handle time down 23% \(2\.8 min\) and first-contact resolution up "
                     r"6\.5 percentage points; escalation rate up [\d.]+ percentage points is the "
                     r"priority for next quarter\.", pages[1]), pages[1][:400]
    assert "Escalation rate: Add the billing and outage playbooks" in pages[1]


def test_kpi_detail_box_keeps_unrelated_numbers_apart(support):
    pages, _ = support
    page = next(p for p in pages if p.startswith("OUTCOME 1 / 4"))
    details = page[page.index("Details for analysts"):]
    assert "32 / 48" not in page
    assert "Units 32 48" in details and "Observations 23,309" in details
    appendix = " ".join(pages[[i for i, p in enumerate(pages) if "How these results" in p][0]:])
    assert "Glossary" in appendix and "Percentage point" in appendix and "Likely range" in appendix


def test_terminal_plan_says_what_the_pdf_plan_says(support, runner):
    pages, _ = support
    plan = _plan_page(pages, "What did not work, and the plan")
    result = invoke(runner, "analyze", EXAMPLES / "support_copilot")
    assert result.exit_code == 0, result.output
    output = _flat(result.output)
    section = output[output.index("Improvement plan:") + len("Improvement plan:"):]
    items = [i.strip() for i in section.split("•") if i.strip()]
    assert len(items) == 3
    checked = 0
    for item in items:
        head, *actions = item.split("→")
        label, why = head.split(" goal: ")[0].split(" — ", 1)
        assert f"{label} {why.strip()}" in plan, (label, why)
        for goal in re.findall(r"goal: (.+?) \(", head):
            assert goal in plan
        for action in actions:
            do, rest = action.rsplit(" — owner: ", 1)
            owner, by = re.match(r"(.+); by: (.+)", rest.strip()).groups()
            assert f"{do.strip()} {owner} {by}" in plan, (do, owner, by)
            checked += 1
    assert checked == 3 and "to agree; by: to agree" in output

"""The report, `analyze` and `validate` of a rollout in waves: the waves block, the effect by time
since rollout, the wave x period tables, and integer periods."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

from tests.conftest import EXAMPLES, invoke
from valueproof.report.charts import _event_ticks

EXAMPLE = EXAMPLES / "team_waves"


def _pages(pdf: Path) -> list[str]:
    return [_flat(page.extract_text()) for page in PdfReader(pdf).pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def _number(value: float, decimals: int) -> str:
    """As the report prints a signed table value (U+2212 for minus)."""
    return f"{value:+.{decimals}f}".replace("-", "−")


@pytest.fixture(scope="module")
def waves_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("waves")
    result = invoke(CliRunner(), "report", EXAMPLE / "experiment.yaml", "-o", out / "qbr.pdf",
                    "--html", out / "qbr.html", "--json", out / "results.json")
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    return out, _pages(out / "qbr.pdf"), results


def test_example_is_a_rollout_in_three_waves_with_a_never_treated_team(waves_report):
    _, _, results = waves_report
    assert results["design"] == "staggered" and results["comparison"] == "never_treated"
    assert [w["units"] for w in results["waves"]] == [8, 9, 7]
    assert [w["first_rollout"] for w in results["waves"]] == ["2026-02-16", "2026-03-23",
                                                               "2026-04-27"]
    verdicts = {k["id"]: k["verdict"] for k in results["kpis"]}
    assert verdicts["handle_time"] == "improved"
    assert verdicts["escalation_rate"] == "worsened"  # the honest bad news stays in the report
    assert all(k["n_units"]["control"] == 15 for k in results["kpis"])
    assert all(size < 1_000_000 for size in
               (p.stat().st_size for p in (EXAMPLE / "data").iterdir()))


def test_cover_and_summary_name_the_waves_not_one_rollout_date(waves_report):
    _, pages, _ = waves_report
    text = " ".join(pages)
    assert "rollouts in 3 waves from Feb 16, 2026 to Apr 27, 2026" in pages[0]
    assert "The product reached 24 units in 3 waves, from Feb 16, 2026 to Apr 27, 2026" in pages[1]
    assert "compared with the 15 units that never got it (billing-desk agents)" in pages[1]
    assert "after the rollout on" not in text and "before and" not in pages[0]
    assert "Escalation rate" in pages[1] and "Got worse" in pages[1]


def test_kpi_pages_show_the_effect_by_weeks_since_rollout(waves_report):
    _, pages, results = waves_report
    kpi_pages = [p for p in pages if p.startswith("OUTCOME")]
    assert len(kpi_pages) == len(results["kpis"]) == 3
    for page in kpi_pages:
        assert "Weeks since rollout" in page and "Rollout" in page
        assert "Average across waves" in page
        assert "(a simultaneous band)" in page  # analysis.bootstrap: 999
        assert ("The average effect across waves is each wave's average effect over the weeks "
                "since its own rollout, averaged over the 3 waves weighted by their number of "
                "units (agent): 8, 9, and 7.") in page
        assert "on average across the 3 waves" in page
        assert "Before their rollouts the waves" in page
        assert "Average per period; the shaded bands" not in page  # no trend chart
    assert all(k["aggregations"]["band"] == "simultaneous" for k in results["kpis"])


def test_appendix_lists_the_waves_and_the_comparison_group(waves_report):
    _, pages, _ = waves_report
    appendix = " ".join(pages[[i for i, p in enumerate(pages)
                               if "How these results were measured" in p][0]:])
    block = appendix[appendix.index("Rollout waves"):]
    assert re.search(r"Wave 1 Feb 16, 2026 8 19 Wave 2 Mar 23, 2026 9 14 Wave 3 Apr 27, 2026 7 9 "
                     r"Comparison: billing-desk agents never treated 15", block), block[:400]
    assert "Callaway and Sant'Anna" in appendix
    assert "Other ways to average the effects" in appendix
    assert "Event studies" not in appendix  # the KPI pages already show the effect by time


def test_appendix_wave_by_week_table_equals_the_json(waves_report):
    _, pages, results = waves_report
    start = [i for i, p in enumerate(pages) if "Effect by wave and week" in p][0]
    appendix = " ".join(pages[start:])
    kpi = next(k for k in results["kpis"] if k["id"] == "handle_time")
    assert 0.1 <= kpi["se"] < 1  # so its table has two decimals
    table = appendix[appendix.index("Average handle time (min)"):
                     appendix.index("First-contact resolution (percentage points)")]
    post = [row for row in kpi["group_time"] if row["post"]]
    assert len(post) == 19 + 14 + 9  # each wave's weeks with the product
    by_week = {}
    for row in post:
        by_week.setdefault(row["event_time"], []).append(row)
    for event_time, rows in by_week.items():
        wave_order = [w["start"] for w in results["waves"]]
        rows.sort(key=lambda r: wave_order.index(r["cohort"]))
        cells = " ".join(f"{_number(r['att'], 2)} {_number(r['ci_low'], 2)} … "
                         f"{_number(r['ci_high'], 2)}" for r in rows)
        assert f"{event_time} {cells}" in table, (event_time, cells)
    averages = " ".join(f"{_number(w['att'], 2)} {_number(w['ci_low'], 2)} … "
                        f"{_number(w['ci_high'], 2)}"
                        for w in kpi["aggregations"]["group"]["waves"])
    assert f"Average since rollout {averages}" in table
    pre = [row for row in kpi["group_time"] if not row["post"]]
    assert pre and "Only the weeks after each rollout are shown" in appendix


def test_html_has_the_same_waves_block(waves_report):
    out, _, _ = waves_report
    html = (out / "qbr.html").read_text()
    assert html.count('class="data compact group-time') == 3
    assert "Rollout waves" in html and "Weeks since rollout" in html


def test_validate_shows_the_waves_and_warns_about_a_tiny_wave(tmp_path):
    runner = CliRunner()
    result = invoke(runner, "validate", EXAMPLE / "experiment.yaml")
    assert result.exit_code == 0, result.output
    out = _flat(result.output)
    assert "rollout in 3 wave(s)" in out and "Rollout waves" in out
    for start, units in (("2026-02-16", 8), ("2026-03-23", 9), ("2026-04-27", 7)):
        assert re.search(rf"{start} +│ {start} +│ +{units} │", result.output), start
    assert re.search(r"comparison │ never treated +│ – +│ +15 │", result.output)
    assert "too small to say anything on its own" not in out

    copy = tmp_path / "tiny"
    shutil.copytree(EXAMPLE, copy)
    waves = pd.read_csv(copy / "data" / "waves.csv", dtype=str, keep_default_na=False)
    west = waves.index[waves["rollout"] == "2026-04-27"]
    waves.loc[west[2:], "rollout"] = ""  # the last wave keeps two agents
    waves.to_csv(copy / "data" / "waves.csv", index=False)
    result = invoke(runner, "validate", copy / "experiment.yaml")
    assert result.exit_code == 0, result.output
    out = _flat(result.output)
    assert ("wave 3 (from 2026-04-27) has only 2 unit(s): too small to say anything on its own"
            in out)
    assert re.search(r"comparison │ never treated +│ – +│ +20 │", result.output)


def _yearly(path: Path) -> Path:
    """A small county panel in integer years with two waves (2004, 2006) and never-treated
    units (`first_treat` 0, R's convention), a true effect of +1.0 after the rollout."""
    rng = np.random.default_rng(3)
    rows = []
    for unit in range(30):
        wave = 2004 if unit < 6 else 2006 if unit < 12 else 0
        level = rng.normal(5, 1)
        for year in range(2001, 2009):
            treated = wave and year >= wave
            rows.append({"county": f"C{unit:02d}", "year": year, "first_treat": wave,
                         "jobs": round(level + 0.1 * (year - 2001) + rng.normal(0, 0.3)
                                       + (1.0 if treated else 0.0), 3)})
    pd.DataFrame(rows).to_csv(path / "counties.csv", index=False)
    definition = {
        "name": "County programme", "customer": {"name": "State office"},
        "data": {"path": "counties.csv", "unit": "county", "time": "year"},
        "rollout": {"column": "first_treat"},
        "kpis": [{"id": "jobs", "label": "Jobs", "column": "jobs", "better": "higher"}],
    }
    (path / "experiment.yaml").write_text(yaml.safe_dump(definition, sort_keys=False))
    return path / "experiment.yaml"


def test_integer_periods_render_with_periods_not_weeks(tmp_path):
    runner = CliRunner()
    experiment = _yearly(tmp_path)
    result = invoke(runner, "analyze", experiment)
    assert result.exit_code == 0, result.output
    assert "Rollout waves" in result.output
    assert re.search(r"1 +│ 2004 +│ 2004 +│ +6 │", result.output)
    assert re.search(r"comparison │ never treated +│ – +│ +18 │", result.output)
    result = invoke(runner, "report", experiment, "-o", tmp_path / "qbr.pdf")
    assert result.exit_code == 0, result.output
    pages = _pages(tmp_path / "qbr.pdf")
    text = " ".join(pages)
    assert "2001 – 2008; rollouts in 2 waves from 2004 to 2006" in pages[0]
    assert "Periods since rollout" in text
    assert "Wave 1 2004 6 5 Wave 2 2006 6 3 Comparison units never treated 18" in text
    assert "week" not in text.lower()  # analysis.period (week) means nothing for years


def test_event_time_ticks_are_round_and_include_zero():
    assert _event_ticks(list(range(-15, 19))) == [-15, -10, -5, 0, 5, 10, 15]
    assert _event_ticks([-3, -2, -1, 0, 1, 2, 3]) == [-3, -2, -1, 0, 1, 2, 3]
    assert 0 in _event_ticks(list(range(-40, 3)))

"""Adoption, support, NPS and the health score: every number on small hand-made files, through
the CLI and as units; the NPS interval against a simulation; bad values."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import EXAMPLES, invoke
from valueproof.adoption import reporting_periods
from valueproof.adoption.health import health
from valueproof.adoption.nps import nps_interval
from valueproof.adoption.results import Period
from valueproof.adoption.support import support
from valueproof.config.adoption import Health as HealthSettings

AS_OF = dt.date(2026, 3, 31)  # quarter 2026-Q1 (90 days), previous 2025-Q4
ADOPTION = {
    "licences": 120,
    "usage": {"path": "usage.csv", "user": "user", "time": "ts", "feature": "feature"},
    "features": [{"id": "drafts", "label": "AI drafts"}, {"id": "summaries"}, {"id": "search"},
                 {"id": "ghost"}],
    "training": {"path": "training.csv", "user": "user", "completed": "completed_on"},
    "nps": {"path": "nps.csv", "score": "score", "time": "answered_on"},
    "tickets": {"path": "tickets.csv", "opened": "opened", "resolved": "resolved",
                "priority": "priority"},
    # onboarded at the start of 2025-Q4, so 2026-Q1 is compared with it (a quarter with the
    # product); the first-quarter tests below move it into 2026-Q1
    "onboarded_on": "2025-10-01",
}


def _days(start: str, count: int, step: int = 1) -> list[dt.date]:
    first = dt.date.fromisoformat(start)
    return [first + dt.timedelta(days=step * i) for i in range(count)]


def usage_frame() -> pd.DataFrame:
    """90 users active in the 28 days to 2026-03-31 (Mar 4 - Mar 31), 10 not:
    U001 every day from Mar 4 (28 days), U002 every other day (14), U003 once on Mar 4 (the
    window's first day), U004-U090 once on Mar 10; U091 on Mar 3 only (a day too early);
    U092-U100 on Feb 10; U100 also on 2025-11-12 (the previous quarter)."""
    rows = [("U001", day, "drafts") for day in _days("2026-03-04", 28)]
    rows += [("U001", dt.date(2026, 3, 5), "search")]
    rows += [("U002", day, "drafts") for day in _days("2026-03-04", 14, 2)]
    rows += [("U003", dt.date(2026, 3, 4), "drafts")]
    rows += [(f"U{i:03d}", dt.date(2026, 3, 10), "drafts") for i in range(4, 91)]
    rows += [(f"U{i:03d}", dt.date(2026, 3, 11), "summaries") for i in range(10, 55)]
    rows += [("U091", dt.date(2026, 3, 3), "drafts")]
    rows += [(f"U{i:03d}", dt.date(2026, 2, 10), "drafts") for i in range(92, 101)]
    rows += [("U100", dt.date(2025, 11, 12), "drafts")]
    frame = pd.DataFrame(rows, columns=["user", "day", "feature"])
    # times of day, so the date is taken from a timestamp; repeated actions the same day
    frame["ts"] = frame["day"].astype(str) + " 17:45:00"
    return pd.concat([frame, frame.iloc[:5]], ignore_index=True).drop(columns="day")


def training_frame() -> pd.DataFrame:
    """U001-U030 completed in 2025-12, U031-U060 in 2026-02 (60 of 120 by Mar 31, 30 by Dec
    31), U061-U066 after the as-of date, U067-U070 not yet."""
    rows = [(f"U{i:03d}", "2025-12-10") for i in range(1, 31)]
    rows += [(f"U{i:03d}", "2026-02-15") for i in range(31, 61)]
    rows += [(f"U{i:03d}", "2026-04-10") for i in range(61, 67)]
    rows += [(f"U{i:03d}", "") for i in range(67, 71)]
    return pd.DataFrame(rows, columns=["user", "completed_on"])


def nps_frame() -> pd.DataFrame:
    """2026-Q1: 50 promoters, 30 passives, 20 detractors (NPS 30); 2025-Q4: 10, 10, 20 (-25)."""
    scores = [9, 10] * 25 + [7, 8] * 15 + list(range(7)) * 2 + [0] * 6
    rows = [(score, "2026-02-20") for score in scores]
    rows += [(score, "2025-11-20") for score in [10] * 10 + [8] * 10 + [3] * 20]
    return pd.DataFrame(rows, columns=["score", "answered_on"])


def tickets_frame() -> pd.DataFrame:
    """Resolved in 2026-Q1 after 2, 4 (high), 10, 20, 30, 100 hours (normal); two low tickets
    open at Mar 31 (one resolved on Apr 5, one never); one in 2025-Q4 after 5 hours."""
    rows = [("2026-03-02 09:00", "2026-03-02 11:00", "high"),
            ("2026-03-03 09:00", "2026-03-03 13:00", "high"),
            ("2026-03-04 08:00", "2026-03-04 18:00", "normal"),
            ("2026-03-05 08:00", "2026-03-06 04:00", "normal"),
            ("2026-03-06 08:00", "2026-03-07 14:00", "normal"),
            ("2026-03-09 08:00", "2026-03-13 12:00", "normal"),
            ("2026-03-20 10:00", "2026-04-05 10:00", "low"),
            ("2026-03-30 10:00", "", "low"),
            ("2025-12-01 08:00", "2025-12-01 13:00", "normal")]
    return pd.DataFrame(rows, columns=["opened", "resolved", "priority"])


FRAMES = {"usage.csv": usage_frame, "training.csv": training_frame, "nps.csv": nps_frame,
          "tickets.csv": tickets_frame}


@pytest.fixture
def adoption_experiment(write_experiment, tmp_path):
    """The base experiment with the hand-made adoption files; `changes` to `adoption` and to
    the top level, `frames` to replace a file's rows."""

    def write(adoption: dict | None = None, frames: dict | None = None, **top):
        spec = copy.deepcopy(ADOPTION)
        for key, value in (adoption or {}).items():
            if value is None:
                spec.pop(key, None)
            else:
                spec[key] = value
        for name, make in FRAMES.items():
            frame = (frames or {}).get(name)
            (make() if frame is None else frame).to_csv(tmp_path / name, index=False)
        return write_experiment({"adoption": spec, "as_of": AS_OF.isoformat(), **top})

    return write


def analyze_json(runner, path, tmp_path) -> dict:
    out = tmp_path / "results.json"
    result = invoke(runner, "analyze", path, "--json", out)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_active_users_utilisation_stickiness_and_features(adoption_experiment, runner, tmp_path):
    data = analyze_json(runner, adoption_experiment(), tmp_path)["adoption"]
    assert data["as_of"] == "2026-03-31"
    assert data["period"] == {"quarter": "2026-Q1", "start": "2026-01-01", "end": "2026-03-31"}
    assert data["licences"] == 120 and data["licences_source"] == "count"
    # U001-U090 (U003 on the window's first day, Mar 4); U091 on Mar 3 is one day too early
    assert data["active_users"] == 90
    assert data["utilisation"] == pytest.approx(0.75)
    # user-days over Mar 4-31: 28 (U001) + 14 (U002) + 1 (U003) + 87 (U004-U090 on Mar 10)
    # + 45 (U010-U054 again on Mar 11) = 175
    assert data["daily_active_mean"] == pytest.approx(175 / 28)
    assert data["stickiness"] == pytest.approx(175 / 28 / 90)
    shares = {f["id"]: (f["label"], f["users"], f["share"]) for f in data["features"]}
    assert shares == {"drafts": ("AI drafts", 90, 1.0), "summaries": ("summaries", 45, 0.5),
                      "search": ("search", 1, pytest.approx(1 / 90)), "ghost": ("ghost", 0, 0.0)}


def test_weekly_active_users_this_quarter_and_the_last(adoption_experiment, runner, tmp_path):
    data = analyze_json(runner, adoption_experiment(), tmp_path)["adoption"]
    weeks = {w["week"]: (w["users"], w["quarter"]) for w in data["weekly_active"]}
    # 2026-Q1's weeks are those whose Thursday is in it: from Mon 2025-12-29 (Thu Jan 1) to
    # Mon Mar 23; the week of Mar 30 ends after the as-of date and is not counted.
    assert weeks["2025-12-29"] == (0, "2026-Q1") and weeks["2025-12-22"] == (0, "2025-Q4")
    assert "2026-03-30" not in weeks and weeks["2026-03-23"] == (2, "2026-Q1")
    assert weeks["2026-02-09"] == (9, "2026-Q1")  # U092-U100 on Feb 10
    assert weeks["2026-03-02"] == (4, "2026-Q1")  # U001, U002, U003 and U091 (Mar 3)
    assert weeks["2026-03-09"] == (89, "2026-Q1")  # U001, U002, U004-U090
    assert weeks["2025-11-10"] == (1, "2025-Q4")
    assert sum(q == "2026-Q1" for _, q in weeks.values()) == 13
    assert sum(q == "2025-Q4" for _, q in weeks.values()) == 13
    assert data["weekly_active_mean"] == pytest.approx((9 + 4 + 89 + 2 + 2) / 13)
    assert data["weekly_active_mean_previous"] == pytest.approx(1 / 13)
    assert data["weekly_active_change"] == pytest.approx(106 - 1)


def test_training_completion_and_its_trend(adoption_experiment, runner, tmp_path):
    training = analyze_json(runner, adoption_experiment(), tmp_path)["adoption"]["training"]
    assert (training["completed"], training["base"], training["basis"]) == (60, 120, "licences")
    assert training["share"] == 0.5 and training["previous_share"] == 0.25
    assert training["change"] == 0.25
    assert training["active_share"] == pytest.approx(60 / 90)  # U001-U060 of U001-U090
    assert [(p["date"], p["completed"]) for p in training["trend"]] == [
        ("2025-10-31", 0), ("2025-11-30", 0), ("2025-12-31", 30), ("2026-01-31", 30),
        ("2026-02-28", 60), ("2026-03-31", 60)]


def test_support_tickets_resolution_and_backlog(adoption_experiment, runner, tmp_path):
    tickets = analyze_json(runner, adoption_experiment(), tmp_path)["adoption"]["support"]
    now = tickets["current"]
    assert now["opened"] == 8 and now["per_week"] == pytest.approx(8 / (90 / 7))
    assert now["resolved"] == 6
    # hours 2, 4, 10, 20, 30, 100: median between 10 and 20; p90 at rank 4.5 of 0..5
    assert now["median_hours"] == pytest.approx(15)
    assert now["p90_hours"] == pytest.approx(30 + 0.5 * 70)
    assert now["backlog"] == 2  # Mar 20 (resolved Apr 5) and Mar 30 (open)
    # due: opened at least 72 h before the quarter's end (not Mar 30); within 72 h: 5 of 7
    assert (now["due"], now["within_target"]) == (7, pytest.approx(5 / 7))
    by = {line["priority"]: line for line in tickets["by_priority"]}
    assert list(by) == ["high", "normal", "low"]
    assert (by["high"]["median_hours"], by["high"]["p90_hours"]) == (3, pytest.approx(3.8))
    assert (by["normal"]["median_hours"], by["normal"]["p90_hours"]) == (25, pytest.approx(79))
    assert (by["low"]["opened"], by["low"]["median_hours"], by["low"]["backlog"]) == (2, None, 2)
    before = tickets["previous"]
    assert (before["opened"], before["median_hours"], before["backlog"]) == (1, 5, 0)


def test_nps_score_interval_and_change(adoption_experiment, runner, tmp_path):
    nps = analyze_json(runner, adoption_experiment(), tmp_path)["nps"]
    assert (nps["promoters"], nps["passives"], nps["detractors"], nps["n"]) == (50, 30, 20, 100)
    assert nps["score"] == pytest.approx(30)  # the raw score; the interval is Rocks' adjusted
    # Wald: 3/4 added to the promoters and to the detractors, n + 3
    p, d = 50.75 / 103, 20.75 / 103
    se = 100 * np.sqrt((p + d - (p - d) ** 2) / 103)
    assert nps["se"] == pytest.approx(se)
    assert (nps["ci_low"], nps["ci_high"]) == (pytest.approx(100 * (p - d) - 1.959964 * se),
                                               pytest.approx(100 * (p - d) + 1.959964 * se))
    assert nps["caution"] is False
    assert (nps["previous"]["score"], nps["previous"]["n"]) == (pytest.approx(-25), 40)
    assert nps["change"] == pytest.approx(55)  # the raw scores' difference
    p0, d0 = 10.75 / 43, 20.75 / 43  # the previous quarter's 10, 10, 20, adjusted alike
    centre = 100 * ((p - d) - (p0 - d0))
    spread = 1.959964 * 100 * np.sqrt(((p + d - (p - d) ** 2) / 103)
                                      + (p0 + d0 - (p0 - d0) ** 2) / 43)
    assert nps["change_ci_low"] == pytest.approx(centre - spread)
    assert nps["change_ci_high"] == pytest.approx(centre + spread)
    assert [m["month"] for m in nps["by_month"]] == ["2025-11-01", "2026-02-01"]


def test_health_score_components_and_trend(adoption_experiment, runner, tmp_path):
    results = analyze_json(runner, adoption_experiment(), tmp_path)
    score = results["health"]
    parts = {c["id"]: c for c in score["components"]}
    assert parts["usage"]["score"] == pytest.approx(75)
    assert parts["training"]["score"] == pytest.approx(50)
    assert parts["support"]["score"] == pytest.approx(500 / 7)
    assert parts["nps"]["score"] == pytest.approx(65)  # (30 + 100) / 2
    expected = 0.4 * 75 + 0.2 * 50 + 0.2 * 500 / 7 + 0.2 * 65
    assert score["score"] == pytest.approx(expected)
    assert sum(c["contribution"] for c in score["components"]) == pytest.approx(expected)
    assert score["status"] == "amber" and score["missing"] == [] and not score["renormalised"]
    # end of 2025-Q4: nobody active (usage 0), training 25%, 1 of 1 ticket in time, NPS -25
    previous = 0.4 * 0 + 0.2 * 25 + 0.2 * 100 + 0.2 * 37.5
    assert score["previous_score"] == pytest.approx(previous)
    assert score["change"] == pytest.approx(expected - previous)
    assert any("'ghost' never occurs" in w for w in results["warnings"])


def test_health_leaves_out_a_component_without_data(adoption_experiment, runner, tmp_path):
    path = adoption_experiment({"tickets": None},
                               health={"components": {"usage": 0.4, "training": 0.2,
                                                      "support": 0.2, "nps": 0.2},
                                       "thresholds": {"green": 65, "amber": 40}})
    results = analyze_json(runner, path, tmp_path)
    score = results["health"]
    assert score["missing"] == ["support"] and score["renormalised"]
    parts = {c["id"]: c for c in score["components"]}
    assert parts["support"]["available"] is False and parts["support"]["contribution"] is None
    assert parts["usage"]["weight_used"] == pytest.approx(0.5)
    assert parts["nps"]["weight_used"] == pytest.approx(0.25)
    assert score["score"] == pytest.approx(0.5 * 75 + 0.25 * 50 + 0.25 * 65)
    assert score["status"] == "green"  # 66.25 with green from 65
    assert any("support left out" in w and "renormalised" in w for w in results["warnings"])
    assert results["adoption"]["support"] is None


def test_first_90_days_time_to_first_value(adoption_experiment, runner, tmp_path):
    path = adoption_experiment({"onboarded_on": "2026-03-01"})
    first = analyze_json(runner, path, tmp_path)["adoption"]["first_90_days"]
    assert first["days_since"] == 30 and first["within_90_days"]
    curve = {p["day"]: p["users"] for p in first["curve"]}
    assert (curve[0], curve[2], curve[3], curve[9], curve[30]) == (0, 1, 4, 91, 91)
    assert len(first["curve"]) == 31
    # half of 120 licences: 60, reached on Mar 10 (day 9)
    assert (first["time_to_first_value"], first["reached_on"]) == (9, "2026-03-10")


def test_highlights_roadmap_and_asks_pass_through(adoption_experiment, runner, tmp_path):
    path = adoption_experiment(highlights=["Went live in two weeks"],
                               roadmap=[{"item": "SSO", "when": "2027-Q1"}, "Mobile app"],
                               asks=["An executive sponsor"])
    results = analyze_json(runner, path, tmp_path)
    assert results["highlights"] == ["Went live in two weeks"]
    assert results["roadmap"] == [{"item": "SSO", "when": "2027-Q1"},
                                  {"item": "Mobile app", "when": None}]
    assert results["asks"] == ["An executive sponsor"]


def test_without_adoption_the_results_are_as_before(write_experiment, runner, tmp_path):
    results = analyze_json(runner, write_experiment(), tmp_path)
    assert (results["adoption"], results["nps"], results["health"]) == (None, None, None)
    assert results["highlights"] == results["roadmap"] == results["asks"] == []


def test_example_kpis_do_not_depend_on_its_adoption_data(runner, tmp_path):
    with_adoption = analyze_json(runner, EXAMPLES / "support_copilot", tmp_path)
    copy_dir = tmp_path / "bare"
    shutil.copytree(EXAMPLES / "support_copilot", copy_dir)
    path = copy_dir / "experiment.yaml"
    definition = yaml.safe_load(path.read_text())
    for key in ("adoption", "health", "highlights", "roadmap", "asks"):
        definition.pop(key)
    path.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False))
    bare = analyze_json(runner, path, tmp_path)
    for key in ("kpis", "criteria", "roi", "improvement_plan"):
        assert with_adoption[key] == bare[key]
    assert bare["adoption"] is None
    # the example's adoption numbers, from the true values in its generator's docstring
    adoption = with_adoption["adoption"]
    assert adoption["active_users"] == 28 and adoption["utilisation"] == 0.875
    assert adoption["training"]["share"] == 0.75
    assert with_adoption["health"]["missing"] == []


# -- units ----------------------------------------------------------------------------------


def test_nps_of_50_30_20_answers_is_30():
    score, se, low, high = nps_interval(50, 30, 20)
    p, d = 50.75 / 103, 20.75 / 103  # Rocks' adjusted Wald
    assert score == pytest.approx(30)
    assert se == pytest.approx(100 * np.sqrt((p + d - (p - d) ** 2) / 103))
    assert (low, high) == (pytest.approx(100 * (p - d) - 1.959964 * se),
                           pytest.approx(100 * (p - d) + 1.959964 * se))
    assert nps_interval(0, 0, 0) == (None, None, None, None)
    # all promoters: a score of 100 with a real spread below it, capped at 100
    score, _, low, high = nps_interval(5, 0, 0)
    assert score == 100 and high == 100 and 10 < low < 30


@pytest.mark.parametrize(("shares", "n"), [((0.5, 0.3, 0.2), 200), ((0.3, 0.4, 0.3), 80)])
def test_nps_interval_covers_the_truth_95_percent_of_the_time(shares, n):
    rng = np.random.default_rng(20240601)
    truth = 100 * (shares[0] - shares[2])
    draws = rng.multinomial(n, shares, size=4000)
    covered = 0
    for promoters, passives, detractors in draws:
        _, _, low, high = nps_interval(int(promoters), int(passives), int(detractors))
        covered += low <= truth <= high
    assert 0.93 <= covered / len(draws) <= 0.97


def test_health_renormalises_the_weights_of_the_components_with_data():
    settings = HealthSettings(components={"usage": 0.4, "training": 0.2, "support": 0.2,
                                          "nps": 0.2})
    measures = {"usage": 0.75, "training": None, "support": 0.5, "nps": 20.0}
    result = health(settings, measures, {"training": "no training data"}, {})
    # usage 75, support 50, nps 60 with weights 0.4, 0.2, 0.2 out of 0.8
    assert result.score == pytest.approx(0.5 * 75 + 0.25 * 50 + 0.25 * 60)
    assert result.missing == ["training"] and result.renormalised
    assert result.previous_score is None and result.change is None
    assert health(settings, dict.fromkeys(measures), {}, {}) is None
    capped = health(HealthSettings(components={"usage": 1}), {"usage": 1.3}, {}, {})
    assert capped.score == 100 and capped.status == "green"
    assert [c.id for c in capped.components] == ["usage"]  # unweighted ones are not shown
    red = health(HealthSettings(components={"nps": 1}), {"nps": -20.0}, {}, {})
    assert (red.score, red.status) == (40, "red")


def test_reporting_periods():
    current, previous = reporting_periods(None, dt.date(2026, 2, 14))
    assert (current.quarter, current.start, current.end) == ("2026-Q1", dt.date(2026, 1, 1),
                                                             dt.date(2026, 2, 14))
    assert (previous.quarter, previous.start, previous.end) == (
        "2025-Q4", dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    current, _ = reporting_periods("2026-Q3", dt.date(2026, 10, 8))
    assert (current.start, current.end) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))


def test_support_statistics_in_sql():
    con = duckdb.connect()
    con.execute("CREATE TABLE tickets (o TIMESTAMP, r TIMESTAMP, p VARCHAR)")
    con.execute("INSERT INTO tickets VALUES ('2026-01-05 00:00', '2026-01-05 01:00', 'P2'), "
                "('2026-01-06 00:00', '2026-01-06 03:00', NULL), "
                "('2026-01-07 00:00', NULL, 'P1')")
    quarter = Period("2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 1, 14))
    result = support(con, quarter, Period("2025-Q4", dt.date(2025, 10, 1),
                                          dt.date(2025, 12, 31)), True)
    assert (result.current.opened, result.current.median_hours, result.current.backlog) == (3, 2, 1)
    assert result.current.per_week == pytest.approx(3 / 2)
    assert [line.priority for line in result.by_priority] == ["P1", "P2", "(none)"]
    assert result.previous.opened == 0 and result.previous.median_hours is None


# -- bad input --------------------------------------------------------------------------------


def _fails(runner, path, *needles):
    result = invoke(runner, "analyze", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output
    return result.output


def test_nps_answer_outside_0_to_10_is_an_error(adoption_experiment, runner):
    answers = nps_frame()
    answers.loc[3, "score"] = 11
    _fails(runner, adoption_experiment(frames={"nps.csv": answers}),
           "nps.csv", "'score' (from adoption.nps.score)", "1 answer(s)", "0 to 10", "e.g. 11")


def test_ticket_resolved_before_opened_is_an_error(adoption_experiment, runner):
    tickets = tickets_frame()
    tickets.loc[0, "resolved"] = "2026-03-01 08:00"
    _fails(runner, adoption_experiment(frames={"tickets.csv": tickets}),
           "tickets.csv", "1 ticket(s) were resolved before they were opened",
           "2026-03-02 09:00", "swapped")


def test_unknown_column_names_the_key_and_suggests_one(adoption_experiment, runner):
    path = adoption_experiment({"nps": {"path": "nps.csv", "score": "scor",
                                        "time": "answered_on"}})
    _fails(runner, path, "nps.csv", "column 'scor' (from adoption.nps.score) not found",
           "did you mean 'score'?")


def test_unparseable_dates_name_the_adoption_key(adoption_experiment, runner):
    answers = nps_frame()
    answers["answered_on"] = "20/02/2026"
    output = _fails(runner, adoption_experiment(frames={"nps.csv": answers}),
                    "'answered_on' (from adoption.nps.time)")
    assert "adoption.nps.date_format: '%d/%m/%Y'" in output and "data.date_format" not in output


def test_adoption_file_outside_the_folder_is_refused(adoption_experiment, runner, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}_elsewhere"
    outside.mkdir()
    nps_frame().to_csv(outside / "nps.csv", index=False)
    path = adoption_experiment({"nps": {"path": str(outside / "nps.csv"), "score": "score",
                                        "time": "answered_on"}})
    _fails(runner, path, "adoption.nps.path", "outside the experiment's folder")


def test_missing_adoption_file(adoption_experiment, runner):
    path = adoption_experiment({"training": {"path": "nope.csv", "user": "user",
                                             "completed": "completed_on"}})
    _fails(runner, path, "nope.csv", "not found", "adoption.training.path")


@pytest.mark.parametrize(("changes", "needle"), [
    ({"licences": "many"}, "adoption.licences: expected the seats bought"),
    ({"licences": {"colum": "seats"}}, "unknown key 'colum'; did you mean 'column'?"),
    ({"usage": None}, "adoption.features: 'features' needs 'usage'"),
    ({"nps": {"path": "nps.csv", "score": "score"}}, "adoption.nps.time: required key"),
])
def test_definition_mistakes(adoption_experiment, runner, changes, needle):
    _fails(runner, adoption_experiment(changes), needle)


def test_health_without_adoption_is_an_error(write_experiment, runner):
    path = write_experiment({"health": {"thresholds": {"green": 60, "amber": 70}}})
    _fails(runner, path, "health.thresholds", "'amber' (70) must be below 'green' (60)")
    path = write_experiment({"health": {"components": {"usage": 1}}})
    _fails(runner, path, "'health' scores the adoption data")


def test_integer_periods_need_an_as_of_date(write_experiment, runner, tmp_path):
    from tests.conftest import panel_frame

    frame = panel_frame(rows_per_week=1)
    frame["day"] = frame.groupby("unit").cumcount() + 1
    nps_frame().to_csv(tmp_path / "nps.csv", index=False)
    path = write_experiment({"rollout": 5, "pre": None, "adoption": {
        "nps": {"path": "nps.csv", "score": "score", "time": "answered_on"}}}, frame=frame)
    _fails(runner, path, "set as_of: YYYY-MM-DD")


# -- other sources, validate -------------------------------------------------------------------


def test_licence_list_and_seat_column(adoption_experiment, runner, tmp_path):
    listed = pd.DataFrame({"user": [f"U{i:03d}" for i in range(1, 81)]})
    listed.to_parquet(tmp_path / "seats.parquet")
    path = adoption_experiment({"licences": {"path": "seats.parquet", "user": "user"}})
    results = analyze_json(runner, path, tmp_path)
    assert results["adoption"]["licences"] == 80 and results["adoption"]["utilisation"] == 90 / 80
    assert results["adoption"]["training"]["completed"] == 60  # listed users who completed it
    checked = invoke(runner, "validate", path)
    assert checked.exit_code == 0, checked.output
    assert "20 user(s) in the usage data are not on the licence list" in checked.output
    assert "adoption.licences" in checked.output and "seats.parquet" in checked.output

    usage = usage_frame()
    usage["seats"] = np.where(usage["ts"] < "2026-03-20", 100, 150)
    path = adoption_experiment({"licences": {"column": "seats"}}, frames={"usage.csv": usage})
    adoption = analyze_json(runner, path, tmp_path)["adoption"]
    assert adoption["licences"] == 150 and adoption["licences_source"] == "column"
    assert adoption["utilisation"] == pytest.approx(90 / 150)


def test_more_active_users_than_seats_is_a_warning(adoption_experiment, runner):
    checked = invoke(runner, "validate", adoption_experiment({"licences": 60}))
    assert checked.exit_code == 0, checked.output
    assert "90 users were active in the 28 days to 2026-03-31 but 60 seats" in checked.output


def test_validate_summarises_the_adoption_data(adoption_experiment, runner):
    result = invoke(runner, "validate", adoption_experiment())
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Adoption data" in text
    assert "adoption.usage │ usage.csv │ 192 │ 192 │ 2025-11-12 │ 2026-03-31 │ 100" in text
    assert "adoption.nps │ nps.csv │ 140 │ 140" in text
    assert "active users (28 days): 90 of 120 licences (75.0%)" in text
    assert "training completed: 50.0% (60 of 120 licences)" in text
    assert "median 15.0 h, 90th percentile 65.0 h, 2 open at 2026-03-31" in text
    assert "NPS: +30 [+14, +44] from 100 answers" in text  # Rocks' adjusted interval
    assert "health score: 67 (amber)" in text
    assert "'ghost' never occurs" in text


def test_nps_caution_under_30_answers(adoption_experiment, runner, tmp_path):
    few = pd.DataFrame({"score": [10, 9, 3], "answered_on": ["2026-03-01"] * 3})
    results = analyze_json(runner, adoption_experiment(frames={"nps.csv": few}), tmp_path)
    assert results["nps"]["n"] == 3 and results["nps"]["caution"] is True
    assert results["nps"]["previous"]["n"] == 0 and results["nps"]["change"] is None
    assert any("NPS rests on 3 answer(s)" in w for w in results["warnings"])


def test_rows_without_user_are_left_out_and_said(adoption_experiment, runner):
    usage = usage_frame()
    usage.loc[len(usage)] = {"user": "", "ts": "2026-03-31 10:00:00", "feature": "drafts"}
    result = invoke(runner, "validate", adoption_experiment(frames={"usage.csv": usage}))
    assert result.exit_code == 0, result.output
    assert "1 row(s) have no user or no date and are not used" in " ".join(result.output.split())


def test_a_usage_time_that_is_not_a_date_is_an_error(adoption_experiment, runner):
    usage = usage_frame()
    usage.loc[7, "ts"] = "yesterday"
    _fails(runner, adoption_experiment(frames={"usage.csv": usage}),
           "usage.csv", "column 'ts' (from adoption.usage.time) has 1 value(s) that are not "
           "dates (e.g. 'yesterday')", "adoption.usage.date_format")


def test_adoption_files_in_other_formats_and_dialects(adoption_experiment, runner, tmp_path):
    training_frame().to_excel(tmp_path / "training.xlsx", index=False)
    answers = nps_frame()
    answers["answered_on"] = pd.to_datetime(answers["answered_on"]).dt.strftime("%d.%m.%Y")
    text = "Ankieta NPS – zespół wsparcia\n" + answers.to_csv(index=False, sep=";")
    (tmp_path / "nps_pl.csv").write_bytes(text.encode("cp1250"))
    path = adoption_experiment({
        "training": {"path": "training.xlsx", "user": "user", "completed": "completed_on"},
        "nps": {"path": "nps_pl.csv", "score": "score", "time": "answered_on",
                "encoding": "cp1250", "delimiter": ";", "header_row": 2,
                "date_format": "%d.%m.%Y"}})
    results = analyze_json(runner, path, tmp_path)
    assert results["adoption"]["training"]["completed"] == 60
    assert (results["nps"]["score"], results["nps"]["n"]) == (pytest.approx(30), 100)

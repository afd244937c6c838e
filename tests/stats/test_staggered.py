"""Rollouts in waves (Callaway & Sant'Anna): the published example, agreement with `csdid`, the
same answer as a common rollout where the two estimands coincide, and the CLI with bad input."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import invoke

DATA = Path(__file__).resolve().parents[1] / "fixtures"


def write_waves(folder: Path, frame: pd.DataFrame, **definition) -> Path:
    """Write `frame` as data.csv and a definition of a rollout in waves (integer periods in
    column `year`, units in `unit`, rollout in `first_treat`; `definition` overrides keys)."""
    base = {
        "name": "Waves test",
        "data": {"path": "data.csv", "unit": "unit", "time": "year"},
        "rollout": {"column": "first_treat"},
        "kpis": [{"id": "y", "label": "Outcome", "column": "y", "better": "higher"}],
    }
    base.update(definition)
    frame.to_csv(folder / "data.csv", index=False)
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(base, sort_keys=False))
    return path


def analyze(runner, path: Path) -> dict:
    out = path.parent / "results.json"
    result = invoke(runner, "analyze", path, "--json", out)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def only_kpi(results: dict) -> dict:
    (kpi,) = results["kpis"]
    return kpi


# --- 1. The published example --------------------------------------------------------------

# R `did` documentation (att_gt / aggte on mpdta: est_method "reg", no covariates, never-treated,
# varying base), and its analytic SEs as csdid prints them with bstrap=False.
MPDTA_ATT_GT = {
    (2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373, (2004, 2007): -0.1008,
    (2006, 2004): 0.0065, (2006, 2005): -0.0028, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
    (2007, 2004): 0.0305, (2007, 2005): -0.0027, (2007, 2006): -0.0311, (2007, 2007): -0.0261,
}
MPDTA_DYNAMIC = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373,
                 3: -0.1008}


@pytest.mark.parametrize("never", ["NA", ""])
def test_never_treated_written_as_na_or_empty_far_down_a_csv(runner, tmp_path, never):
    """mpdta with 'NA' (or nothing) instead of 0 for the never treated, first met on line 117:
    the rollout column is read as text, and the headline is the published -0.031."""
    frame = pd.read_csv(DATA / "mpdta.csv")
    frame["first.treat"] = frame["first.treat"].map(lambda g: never if g == 0 else str(g))
    frame.to_csv(tmp_path / "mpdta.csv", index=False)
    path = write_waves(tmp_path, frame,
                       data={"path": "mpdta.csv", "unit": "countyreal", "time": "year"},
                       rollout={"column": "first.treat"},
                       kpis=[{"id": "lemp", "column": "lemp", "better": "higher"}])
    kpi = only_kpi(analyze(runner, path))
    assert kpi["n_units"] == {"treatment": 191, "control": 309}
    assert round(kpi["effect"], 4) == -0.0310


def test_mpdta_reproduces_the_numbers_the_did_documentation_prints(runner, tmp_path):
    shutil.copy(DATA / "mpdta.csv", tmp_path / "mpdta.csv")
    path = write_waves(tmp_path, pd.read_csv(DATA / "mpdta.csv"),
                       data={"path": "mpdta.csv", "unit": "countyreal", "time": "year"},
                       rollout={"column": "first.treat"},
                       kpis=[{"id": "lemp", "column": "lemp", "better": "higher"}])
    results = analyze(runner, path)
    kpi = only_kpi(results)
    aggs = kpi["aggregations"]
    assert results["design"] == "staggered"
    assert results["comparison"] == "never_treated" and results["base_period"] == "varying"
    assert results["waves"] == [{"start": "2004", "first_rollout": "2004", "units": 20},
                                {"start": "2006", "first_rollout": "2006", "units": 40},
                                {"start": "2007", "first_rollout": "2007", "units": 131}]
    assert kpi["n_units"] == {"treatment": 191, "control": 309} and kpi["n_obs"] == 2500

    cells = {(int(c["cohort"]), int(c["period"])): c for c in kpi["group_time"]}
    assert set(cells) == set(MPDTA_ATT_GT)
    for key, att in MPDTA_ATT_GT.items():
        assert round(cells[key]["att"], 4) == att, key
        assert cells[key]["event_time"] == key[1] - key[0]
        assert cells[key]["post"] == (key[1] >= key[0])
    assert cells[(2004, 2004)]["units"] == 20 and cells[(2004, 2004)]["comparison_units"] == 309
    assert round(cells[(2004, 2004)]["se"], 4) == 0.0233

    # the headline is the group aggregation
    assert round(kpi["effect"], 4) == -0.0310
    assert kpi["effect"] == aggs["group"]["att"]
    # the headline's interval uses R's SE with each side's n - 1 correction (the smallest
    # side, 20 units of the 2004 wave, scales a variance by at most 20 / 19)
    assert aggs["group"]["se_did"] < kpi["se"] <= aggs["group"]["se_did"] * np.sqrt(20 / 19)
    assert (aggs["group"]["se"], aggs["group"]["ci_low"]) == (kpi["se"], kpi["ci_low"])
    assert [(w["cohort"], round(w["att"], 4)) for w in aggs["group"]["waves"]] == [
        ("2004", -0.0797), ("2006", -0.0229), ("2007", -0.0261)]
    assert round(aggs["group"]["se_did"], 4) == 0.0124
    assert round(aggs["simple"]["att"], 4) == -0.0400 and round(aggs["simple"]["se"], 4) == 0.0120
    assert {d["event_time"]: round(d["att"], 4) for d in aggs["dynamic"]} == MPDTA_DYNAMIC
    assert [d["post"] for d in aggs["dynamic"]] == [False] * 3 + [True] * 4
    assert round(aggs["dynamic_overall"]["att"], 4) == -0.0772
    assert round(aggs["dynamic_overall"]["se"], 4) == 0.0200
    assert round(aggs["calendar_overall"]["att"], 4) == -0.0417
    assert round(aggs["calendar_overall"]["se"], 4) == 0.0160
    assert [c["period"] for c in aggs["calendar"]] == ["2004", "2005", "2006", "2007"]
    # the effect-by-time chart is the dynamic aggregation, event time as text
    assert [(p["period"], round(p["coefficient"], 4)) for p in kpi["event_study"]] == [
        (str(e), att) for e, att in MPDTA_DYNAMIC.items()]


# --- 2. Agreement with csdid on simulated panels ----------------------------------------------

def staggered_panel(seed: int, n_units: int, n_periods: int, waves: list[int],
                    never_share: float = 0.3, rows: tuple[int, int] = (1, 1),
                    first: int = 2001) -> pd.DataFrame:
    """Observation rows of a balanced staggered panel: unit and period effects, AR(1) errors
    (rho 0.6), effects that differ by wave, by time since rollout and by unit. `waves` are
    rollout periods (0: never); `rows` the range of rows per unit-period (each a noisy copy)."""
    rng = np.random.default_rng(seed)
    n_never = round(never_share * n_units)
    cohort = np.concatenate([np.zeros(n_never, int),
                             np.array(waves)[np.arange(n_units - n_never) % len(waves)]])
    cohort = rng.permutation(cohort)
    periods = first + np.arange(n_periods)
    unit_level = rng.normal(10, 2, n_units)
    period_level = np.cumsum(rng.normal(0.2, 0.5, n_periods))
    unit_gain = rng.normal(0, 0.3, n_units)
    noise = np.zeros((n_units, n_periods))
    noise[:, 0] = rng.normal(0, 1, n_units)
    for t in range(1, n_periods):
        noise[:, t] = 0.6 * noise[:, t - 1] + rng.normal(0, 0.8, n_units)
    out = []
    for i in range(n_units):
        for t, year in enumerate(periods):
            treated = cohort[i] and year >= cohort[i]
            wave_effect = 0.5 + 0.4 * waves.index(cohort[i]) if cohort[i] else 0.0
            effect = wave_effect * (1 + 0.3 * (year - cohort[i])) + unit_gain[i] if treated \
                else 0.0
            mean = unit_level[i] + period_level[t] + noise[i, t] + effect
            for _ in range(rng.integers(rows[0], rows[1] + 1)):
                out.append({"unit": i + 1, "year": int(year), "first_treat": int(cohort[i]),
                            "y": round(mean + (rng.normal(0, 0.5) if rows[1] > 1 else 0), 6)})
    return pd.DataFrame(out)


# (seed, units, periods, waves, rows per cell, KPI aggregate, KPI weight)
DESIGNS = {
    "60 units, 6 periods, 2 waves": (11, 60, 6, [2003, 2005], (1, 1), "mean", "observations"),
    "120 units, 8 periods, 3 waves, 1-3 rows per cell, weight units":
        (12, 120, 8, [2003, 2004, 2007], (1, 3), "mean", "units"),
    "200 units, 10 periods, 3 waves, sum KPI": (13, 200, 10, [2004, 2006, 2009], (1, 2), "sum",
                                                "units"),
}


def cell_values(frame: pd.DataFrame, aggregate: str) -> pd.DataFrame:
    """One row per unit-period as valueproof's cells see it (mean or sum of the rows)."""
    return (frame.groupby(["unit", "year", "first_treat"], as_index=False)["y"].agg(aggregate))


def csdid_numbers(cells: pd.DataFrame, control_group: str, base_period: str) -> dict:
    """ATT(g,t) and the four aggregations with analytic SEs from csdid (outcome regression)."""
    csdid = pytest.importorskip("csdid.att_gt")
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = csdid.ATTgt(yname="y", tname="year", idname="unit", gname="first_treat",
                          data=cells, control_group=control_group).fit(
            est_method="reg", base_period=base_period, bstrap=False)
        out = {"att_gt": {(int(g), int(t)): (float(a), float(s)) for g, t, a, s in zip(
            fit.results["group"], fit.results["year"], fit.results["att"], fit.results["se"])}}
        for kind in ("simple", "group", "dynamic", "calendar"):
            agg = fit.aggte(typec=kind, bstrap=False).atte
            out[kind] = (float(agg["overall_att"]), float(agg["overall_se"]))
            if kind != "simple":
                out[kind + "_by"] = {int(e): (float(a), float(s)) for e, a, s in zip(
                    agg["egt"], agg["att_egt"], np.ravel(agg["se_egt"]))}
    return out


def assert_close(ours: tuple[float, float], theirs: tuple[float, float], what) -> None:
    assert ours[0] == pytest.approx(theirs[0], abs=1e-8), what
    assert ours[1] == pytest.approx(theirs[1], rel=0.01), what


@pytest.mark.parametrize("base_period", ["varying", "universal"])
@pytest.mark.parametrize("comparison", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("design", list(DESIGNS))
def test_rollout_in_waves_agrees_with_csdid(design, comparison, base_period, runner, tmp_path):
    pytest.importorskip("csdid")
    seed, n_units, n_periods, waves, rows, aggregate, weight = DESIGNS[design]
    frame = staggered_panel(seed, n_units, n_periods, waves, rows=rows)
    theirs = csdid_numbers(cell_values(frame, aggregate), comparison.replace("_", ""),
                           base_period)
    path = write_waves(tmp_path, frame, analysis={"comparison": comparison,
                                                  "base_period": base_period},
                       kpis=[{"id": "y", "column": "y", "better": "higher",
                              "aggregate": aggregate, "weight": weight}])
    results = analyze(runner, path)
    kpi = only_kpi(results)
    aggs = kpi["aggregations"]
    assert results["comparison"] == comparison and results["base_period"] == base_period
    assert [w["units"] for w in results["waves"]] == [
        int(np.sum(frame.groupby("unit")["first_treat"].first() == g)) for g in waves]

    ours = {(int(c["cohort"]), int(c["period"])): (c["att"], c["se"]) for c in kpi["group_time"]}
    # with a universal base csdid also lists the reference cell (t = g - 1, ATT 0, no SE)
    reference = {(g, t) for g, t in theirs["att_gt"] if base_period == "universal" and t == g - 1}
    assert all(theirs["att_gt"][key][0] == 0 for key in reference)
    assert set(ours) == set(theirs["att_gt"]) - reference
    for key, numbers in ours.items():
        assert_close(numbers, theirs["att_gt"][key], ("ATT(g,t)", key))

    assert_close((kpi["effect"], aggs["group"]["se_did"]), theirs["group"], "headline")
    assert kpi["se"] > aggs["group"]["se_did"]  # with each side's n - 1 correction
    for name in ("simple", "group", "dynamic_overall", "calendar_overall"):
        assert_close((aggs[name]["att"], aggs[name]["se_did" if name == "group" else "se"]),
                     theirs[name.replace("_overall", "")], name)
    assert {int(w["cohort"]) for w in aggs["group"]["waves"]} == set(theirs["group_by"])
    for w in aggs["group"]["waves"]:
        assert_close((w["att"], w["se"]), theirs["group_by"][int(w["cohort"])], ("wave", w))
    dynamic = {d["event_time"]: (d["att"], d["se"]) for d in aggs["dynamic"]}
    assert set(dynamic) == set(theirs["dynamic_by"]) - ({-1} if base_period == "universal"
                                                        else set())
    for e, numbers in dynamic.items():
        assert_close(numbers, theirs["dynamic_by"][e], ("event time", e))
    calendar = {int(c["period"]): (c["att"], c["se"]) for c in aggs["calendar"]}
    assert set(calendar) == set(theirs["calendar_by"])
    for t, numbers in calendar.items():
        assert_close(numbers, theirs["calendar_by"][t], ("calendar", t))


def test_estimator_module_agrees_with_csdid_on_matrices():
    """Unit test of `stats.staggered` on a units x periods matrix, not-yet-treated, universal."""
    pytest.importorskip("csdid")
    from valueproof.stats import staggered

    frame = staggered_panel(21, 90, 7, [2003, 2004, 2006])
    theirs = csdid_numbers(frame, "notyettreated", "universal")
    Y = frame.pivot(index="unit", columns="year", values="y").to_numpy()
    first = frame.groupby("unit")["first_treat"].first().to_numpy()
    cohort = np.where(first == 0, staggered.NEVER, first - 2001)
    gt = staggered.group_time(Y, np.ones_like(Y), cohort, "not_yet_treated", "universal")
    aggs = staggered.aggregate(gt)
    for g, t, att, se in zip(gt.cohort, gt.period, gt.att, gt.se):
        assert_close((att, se), theirs["att_gt"][(g + 2001, t + 2001)], (g, t))
    assert len(gt.att) == len(theirs["att_gt"]) - 3  # csdid's reference cells, one per wave
    assert_close((aggs.group.estimate, aggs.group.se), theirs["group"], "group")
    assert_close((aggs.simple.estimate, aggs.simple.se), theirs["simple"], "simple")
    for e, agg in aggs.dynamic.items():
        assert_close((agg.estimate, agg.se), theirs["dynamic_by"][e], e)


# --- 3. One rollout date: the same answer as a common rollout ---------------------------------

def one_date_panel(seed: int, n_periods: int, rollout: int, effect: float,
                   n_units: int = 40) -> pd.DataFrame:
    """Half the units get the product at `rollout` (periods 1..n_periods); 1-4 rows per
    unit-period, so that per-observation weights differ between cells."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_units):
        treated = i % 2 == 0
        level, shock = rng.normal(10, 2), 0.0
        for year in range(1, n_periods + 1):
            shock = 0.5 * shock + rng.normal(0, 1)
            for _ in range(rng.integers(1, 5)):
                out.append({"unit": f"U{i:02d}", "year": year, "group": "T" if treated else "C",
                            "first_treat": rollout if treated else 0,
                            "y": round(level + 0.3 * year + shock + rng.normal(0, 1)
                                       + (effect if treated and year >= rollout else 0), 6)})
    return pd.DataFrame(out)


def both_modes(runner, tmp_path: Path, frame: pd.DataFrame, rollout: int) -> tuple[dict, dict]:
    (tmp_path / "common").mkdir()
    (tmp_path / "waves").mkdir()
    common = write_waves(tmp_path / "common", frame, rollout=rollout,
                         groups={"column": "group", "treatment": "T", "control": "C"})
    waves = write_waves(tmp_path / "waves", frame)
    return only_kpi(analyze(runner, common)), only_kpi(analyze(runner, waves))


def test_one_rollout_date_and_two_periods_give_the_common_rollout_effect(runner, tmp_path):
    frame = one_date_panel(31, n_periods=2, rollout=2, effect=1.5)
    assert frame.groupby(["unit", "year"]).size().nunique() > 1  # unequal cells
    common, waves = both_modes(runner, tmp_path, frame, rollout=2)
    assert waves["effect"] == pytest.approx(common["effect"], abs=1e-10)
    (cell,) = waves["group_time"]
    assert cell["att"] == pytest.approx(common["effect"], abs=1e-10)
    assert waves["aggregations"]["simple"]["att"] == pytest.approx(common["effect"], abs=1e-10)
    assert waves["n_units"] == common["n_units"] == {"treatment": 20, "control": 20}
    assert waves["n_obs"] == common["n_obs"] == len(frame)
    # per observation, not per unit: an unweighted CS estimate would differ
    cells = frame.groupby(["unit", "year", "group"], as_index=False)["y"].mean()
    wide = cells.pivot(index=["unit", "group"], columns="year", values="y").reset_index()
    change = wide[2] - wide[1]
    unweighted = change[wide.group == "T"].mean() - change[wide.group == "C"].mean()
    assert abs(unweighted - common["effect"]) > 1e-3


def test_one_rollout_date_and_more_periods_agree_within_intervals_under_the_null(
        runner, tmp_path):
    frame = one_date_panel(32, n_periods=6, rollout=4, effect=0.0)
    common, waves = both_modes(runner, tmp_path, frame, rollout=4)
    assert waves["effect"] != pytest.approx(common["effect"], abs=1e-6)  # different estimands
    assert common["ci_low"] < waves["effect"] < common["ci_high"]
    assert waves["ci_low"] < common["effect"] < waves["ci_high"]
    assert waves["ci_low"] < 0 < waves["ci_high"] and common["ci_low"] < 0 < common["ci_high"]


# --- 4. CLI behaviour and bad input -----------------------------------------------------------

def small_waves(**changes) -> pd.DataFrame:
    """30 units, periods 2001-2005, waves 2003 and 2004, a third never treated."""
    return staggered_panel(41, 30, 5, [2003, 2004], **changes)


def rollout_file(frame: pd.DataFrame) -> str:
    """The rollout column of `frame` as a rollout file (empty: never)."""
    first = frame.groupby("unit")["first_treat"].first()
    return "unit,rollout\n" + "".join(f"{u},{g or ''}\n" for u, g in first.items())


def _differing_rollout(frame: pd.DataFrame) -> pd.DataFrame:
    unit = frame.loc[frame.first_treat == 2003, "unit"].iloc[0]
    frame.loc[(frame.unit == unit) & (frame.year == 2005), "first_treat"] = 2004
    return frame


def _first_period_wave(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.first_treat == 2003, "first_treat"] = 2001
    return frame


def _everyone_treated(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.first_treat == 0, "first_treat"] = 2005
    return frame


def _common_rollout_with_window(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(group=np.where(frame.first_treat > 0, "T", "C"))


# name: (change to the data, rollout file text from the data, definition keys, expected texts)
BAD = {
    "rollout differs within a unit": (_differing_rollout, None, {}, [
        "data.csv", "has different rollouts in column 'first_treat'", "2003", "2004",
        "the same on all its rows"]),
    "rollout file value not a period": (None, lambda f: rollout_file(f).replace(
        ",2003", ",soon", 1), {"rollout": {"file": "waves.csv"}}, [
        "waves.csv", "'soon'", "not integer periods", "leave it empty"]),
    "rollout file lists a unit twice": (None, lambda f: rollout_file(f) + "5,2001\n",
                                        {"rollout": {"file": "waves.csv"}}, [
        "waves.csv", "unit '5' is given more than one rollout", "give each unit one"]),
    "wave in the first period": (_first_period_wave, None, {}, [
        "data.csv", "in the first", "(2001)", "no period before the rollout", "window.start"]),
    "nobody never treated": (_everyone_treated, None, {}, [
        "data.csv", "no never-treated unit", "analysis.comparison: not_yet_treated"]),
    "pre with waves": (None, None, {"pre": {"start": 2001, "end": 2002}}, [
        "experiment.yaml", "pre:", "goes with one rollout date", "'window: {start, end}'"]),
    "groups with waves": (None, None, {"groups": {"column": "first_treat", "treatment": 2003}}, [
        "experiment.yaml", "groups:", "the rollout dates say who got the product",
        "only treatment_label and control_label"]),
    "window with a common rollout": (_common_rollout_with_window, None, {
        "rollout": 2003, "groups": {"column": "group", "treatment": "T", "control": "C"},
        "window": {"start": 2001, "end": 2005}}, [
        "experiment.yaml", "window:", "goes with a rollout in waves", "use 'pre' and 'post'"]),
    "too few bootstrap draws": (None, None, {"analysis": {"bootstrap": 10}}, [
        "experiment.yaml", "analysis.bootstrap", "too few", "at least 999"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_rollout_in_waves_gives_one_clear_message(case, runner, tmp_path):
    mutate, file_text, changes, expected = BAD[case]
    frame = small_waves()
    if file_text is not None:
        (tmp_path / "waves.csv").write_text(file_text(frame))
        frame = frame.drop(columns="first_treat")
    if mutate is not None:
        frame = mutate(frame)
    path = write_waves(tmp_path, frame, **changes)
    out = tmp_path / "results.json"
    result = invoke(runner, "analyze", path, "--json", out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ") and result.output.count("Error") == 1
    for text in expected:
        assert text in result.output, (text, result.output)
    assert not out.exists()


def test_without_never_treated_units_not_yet_treated_compares_the_waves(runner, tmp_path):
    frame = _everyone_treated(small_waves())
    path = write_waves(tmp_path, frame, analysis={"comparison": "not_yet_treated"})
    results = analyze(runner, path)
    kpi = only_kpi(results)
    assert results["comparison"] == "not_yet_treated"
    assert [(w["start"], w["units"]) for w in results["waves"]] == [
        ("2003", 11), ("2004", 10), ("2005", 9)]
    assert kpi["n_units"] == {"treatment": 30, "control": 0}
    # only the not-yet-treated compare: the last wave has no comparison after its rollout
    post = [c for c in kpi["group_time"] if c["post"]]
    assert {(c["cohort"], c["period"]) for c in post} == {
        ("2003", "2003"), ("2003", "2004"), ("2004", "2004")}
    assert all(c["comparison_units"] > 0 for c in kpi["group_time"])
    assert np.isfinite(kpi["effect"]) and kpi["se"] > 0


def test_without_never_treated_units_agree_with_csdid(runner, tmp_path):
    """R and csdid make the last wave the comparison and drop the periods from its rollout on;
    so do we: the same ATT(g,t), aggregations and event times."""
    pytest.importorskip("csdid")
    frame = _everyone_treated(small_waves())
    theirs = csdid_numbers(frame, "notyettreated", "varying")
    kpi = only_kpi(analyze(runner, write_waves(tmp_path, frame,
                                                analysis={"comparison": "not_yet_treated"})))
    aggs = kpi["aggregations"]
    ours = {(int(c["cohort"]), int(c["period"])): (c["att"], c["se"]) for c in kpi["group_time"]}
    assert set(theirs["att_gt"]) == set(ours)
    for key, numbers in theirs["att_gt"].items():
        assert_close(ours[key], numbers, key)
    for name in ("simple", "group", "dynamic_overall", "calendar_overall"):
        assert_close((aggs[name]["att"], aggs[name]["se_did" if name == "group" else "se"]),
                     theirs[name.replace("_overall", "")], name)
    assert {d["event_time"] for d in aggs["dynamic"]} == set(theirs["dynamic_by"])
    for d in aggs["dynamic"]:
        assert_close((d["att"], d["se"]), theirs["dynamic_by"][d["event_time"]], d)


def weekly_frame(seed: int = 5) -> tuple[pd.DataFrame, dict[str, dt.date | None]]:
    """Daily rows (30% of days missing) of 30 units over 10 weeks from Monday 2026-01-05; 8
    units get the product on Monday 2026-02-02, 8 on Wednesday 2026-02-18, the rest never.
    The effect is -2 minutes from the rollout day on."""
    rng = np.random.default_rng(seed)
    start, rows, plan = dt.date(2026, 1, 5), [], {}
    for i in range(30):
        unit = f"A{i:02d}"
        plan[unit] = dt.date(2026, 2, 2) if i < 8 else dt.date(2026, 2, 18) if i < 16 else None
        level = rng.normal(20, 3)
        for d in range(70):
            day = start + dt.timedelta(days=d)
            if rng.random() < 0.3:
                continue
            treated = plan[unit] is not None and day >= plan[unit]
            rows.append({"unit": unit, "day": day.isoformat(),
                         "minutes": round(level + rng.normal(0, 2) - (2.0 if treated else 0), 3)})
    return pd.DataFrame(rows), plan


def test_rollout_file_with_dates_in_weekly_periods_reports_units_it_does_not_list(
        runner, tmp_path):
    frame, plan = weekly_frame()
    listed = [u for u in plan if u not in ("A28", "A29")]  # two never-treated units left out
    (tmp_path / "waves.csv").write_text(
        "unit,rollout\n" + "".join(f"{u},{plan[u] or ''}\n" for u in listed))
    path = write_waves(tmp_path, frame, data={"path": "data.csv", "unit": "unit", "time": "day"},
                       rollout={"file": "waves.csv"},
                       kpis=[{"id": "minutes", "column": "minutes", "better": "lower"}])
    results = analyze(runner, path)
    kpi = only_kpi(results)
    # a mid-week rollout starts its wave in the week that contains it
    assert results["waves"] == [
        {"start": "2026-02-02", "first_rollout": "2026-02-02", "units": 8},
        {"start": "2026-02-16", "first_rollout": "2026-02-18", "units": 8}]
    left_out = frame.unit.isin(["A28", "A29"]).sum()
    assert any(f"2 unit(s) ({left_out} rows) are not in the rollout file" in w
               for w in results["warnings"])
    assert kpi["n_units"] == {"treatment": 16, "control": 12}  # not counted as comparison
    assert kpi["n_obs"] == len(frame) - left_out
    cells = {(c["cohort"], c["period"]) for c in kpi["group_time"]}
    assert ("2026-02-16", "2026-02-16") in cells and ("2026-02-02", "2026-01-12") in cells
    assert all(dt.date.fromisoformat(p).weekday() == 0 for _, p in cells)
    # the mid-week rollout dilutes its first week towards zero, never beyond the -2 effect
    assert -2.0 < kpi["effect"] < -1.0 and kpi["ci_high"] < 0


def test_rollout_file_with_a_value_that_is_not_a_date(runner, tmp_path):
    frame, plan = weekly_frame()
    (tmp_path / "waves.csv").write_text(
        "unit,rollout\n" + "".join(f"{u},{plan[u] or ''}\n" for u in plan).replace(
            "2026-02-18", "18/02/2026", 1))
    path = write_waves(tmp_path, frame, data={"path": "data.csv", "unit": "unit", "time": "day"},
                       rollout={"file": "waves.csv"},
                       kpis=[{"id": "minutes", "column": "minutes", "better": "lower"}])
    out = tmp_path / "results.json"
    result = invoke(runner, "analyze", path, "--json", out)
    assert result.exit_code == 2 and "Traceback" not in result.output
    for text in ("waves.csv", "1 rollout value(s) are not dates (YYYY-MM-DD)", "'18/02/2026'"):
        assert text in result.output, (text, result.output)
    assert not out.exists()


def test_bootstrap_band_is_wider_than_pointwise_and_reproducible(runner, tmp_path):
    frame = staggered_panel(51, 80, 7, [2003, 2005])
    runs = []
    for folder in ("first", "second"):
        (tmp_path / folder).mkdir()
        runs.append(analyze(runner, write_waves(tmp_path / folder, frame,
                                                analysis={"bootstrap": 999})))
    first, second = (only_kpi(r)["aggregations"] for r in runs)
    assert first["band"] == "simultaneous"
    assert first["band_critical"] > 1.99  # above the pointwise t quantile (df 23)
    for point in first["dynamic"]:
        assert point["band_low"] < point["ci_low"] < point["att"] < point["ci_high"] \
            < point["band_high"]
    assert first["dynamic"] == second["dynamic"] and runs[0]["seed"] == runs[1]["seed"]
    # the effect-by-time chart draws the band
    chart = only_kpi(runs[0])["event_study"]
    assert [(p["ci_low"], p["ci_high"]) for p in chart] == [
        (d["band_low"], d["band_high"]) for d in first["dynamic"]]


def test_bootstrap_band_never_narrower_than_pointwise_with_few_units(runner, tmp_path):
    """16 units (5 never treated): the bootstrap's own critical value is below the t quantile
    with 4 df, so the band takes the t quantile; it never claims more than each interval."""
    frame = staggered_panel(52, 16, 4, [2003], never_share=5 / 16)
    kpi = only_kpi(analyze(runner, write_waves(tmp_path, frame, analysis={"bootstrap": 999})))
    aggregations = kpi["aggregations"]
    assert aggregations["band_critical"] >= 2.776  # t(0.975, 4)
    for point in aggregations["dynamic"]:
        assert point["band_low"] <= point["ci_low"] and point["band_high"] >= point["ci_high"]


def test_validate_accepts_a_rollout_in_waves(runner, tmp_path):
    path = write_waves(tmp_path, small_waves(), window={"start": 2001, "end": 2005},
                       groups={"treatment_label": "Pilot sites"})
    result = invoke(runner, "validate", path)
    assert result.exit_code == 0, result.output
    assert "staggered" in result.output and "Traceback" not in result.output

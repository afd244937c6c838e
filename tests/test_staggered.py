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

DATA = Path(__file__).resolve().parent / "data"


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
    assert round(kpi["effect"], 4) == -0.0310 and round(kpi["se"], 4) == 0.0124
    assert kpi["effect"] == aggs["group"]["att"]
    assert [(w["cohort"], round(w["att"], 4)) for w in aggs["group"]["waves"]] == [
        ("2004", -0.0797), ("2006", -0.0229), ("2007", -0.0261)]
    assert round(aggs["group"]["se"], 4) == 0.0124
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
    n_never = int(round(never_share * n_units))
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
            effect = (wave_effect * (1 + 0.3 * (year - cohort[i])) + unit_gain[i]) if treated else 0.0
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
    for key in ours:
        assert_close(ours[key], theirs["att_gt"][key], ("ATT(g,t)", key))

    assert_close((kpi["effect"], kpi["se"]), theirs["group"], "headline")
    for name in ("simple", "group", "dynamic_overall", "calendar_overall"):
        assert_close((aggs[name]["att"], aggs[name]["se"]),
                     theirs[name.replace("_overall", "")], name)
    assert {int(w["cohort"]) for w in aggs["group"]["waves"]} == set(theirs["group_by"])
    for w in aggs["group"]["waves"]:
        assert_close((w["att"], w["se"]), theirs["group_by"][int(w["cohort"])], ("wave", w))
    dynamic = {d["event_time"]: (d["att"], d["se"]) for d in aggs["dynamic"]}
    assert set(dynamic) == set(theirs["dynamic_by"]) - ({-1} if base_period == "universal"
                                                        else set())
    for e in dynamic:
        assert_close(dynamic[e], theirs["dynamic_by"][e], ("event time", e))
    calendar = {int(c["period"]): (c["att"], c["se"]) for c in aggs["calendar"]}
    assert set(calendar) == set(theirs["calendar_by"])
    for t in calendar:
        assert_close(calendar[t], theirs["calendar_by"][t], ("calendar", t))


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

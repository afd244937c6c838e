"""Counts and sums from event rows on the full grid, and `data.roster` for units that came and
went (issue 23, part 2).

Most tests use data built so that the truth is exact: in each group of ten units, a rotation
gives exactly k of them an event each week (k = 4, 7 for treated units after the rollout), so the
group's mean per unit-week is exactly k / 10 while each unit's own first and last event fall at
different weeks. On the full grid the effect is exactly +0.3 per unit-week; placing each unit
only from its first to its last row (the rule before) gives something else.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import invoke, write_connections
from tests.simulate_events import event_rows, write_definition
from valueproof.config import load_experiment
from valueproof.data import load_dataset
from valueproof.stats import did

ROLLOUT = dt.date(2026, 3, 2)
START = ROLLOUT - dt.timedelta(weeks=6)
WINDOWS = {"pre": {"start": START.isoformat(), "end": str(ROLLOUT - dt.timedelta(days=1))},
           "post": {"start": ROLLOUT.isoformat(), "end": str(ROLLOUT + dt.timedelta(days=41))}}
COUNT = {"id": "events", "aggregate": "count", "better": "higher"}


def rotating(groups: dict[str, int], weeks: int = 12, k_before: int = 4, k_after: int = 7,
             rollout_week=lambda group: 6 if group == "T" else None) -> pd.DataFrame:
    """Event rows: groups of ten units (name -> first unit number); unit u of a group has an
    event in week w when (u + 3w) mod 10 < k, k = k_after from its group's rollout week on."""
    rows = []
    for group, first in groups.items():
        for u in range(10):
            for w in range(weeks):
                start = rollout_week(group)
                k = k_after if start is not None and w >= start else k_before
                if (u + 3 * w) % 10 < k:
                    rows.append({"event": len(rows), "unit": f"u{first + u:03d}", "group": group,
                                 "day": str(START + dt.timedelta(weeks=w, days=u % 5)),
                                 "value": float(u + w)})
    return pd.DataFrame(rows)


def _write(folder, frame, definition: dict, name: str = "events.csv"):
    folder.mkdir(parents=True, exist_ok=True)
    if name.endswith(".csv"):
        frame.to_csv(folder / name, index=False)
    elif name.endswith(".parquet"):
        frame.to_parquet(folder / name, index=False)
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    return path


def _definition(data: dict | None = None, kpis=(COUNT,), **changes) -> dict:
    definition = {"name": "Deals", "data": {"path": "events.csv", "unit": "unit", "time": "day",
                                            **(data or {})},
                  "groups": {"column": "group", "treatment": "T", "control": "C"},
                  "rollout": ROLLOUT.isoformat(), **WINDOWS, "kpis": list(kpis)}
    definition.update(changes)
    return definition


def _effect(path, kpi: str = "events") -> float:
    experiment = load_experiment(path)
    panel = load_dataset(experiment).panel
    return did.main_estimate(did.KPIData(panel, experiment.kpi(kpi), True), "cluster").effect


def _validated(runner, path) -> str:
    """What `validate` prints, on one line (the terminal wraps it)."""
    result = invoke(runner, "validate", path)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _first_to_last(path) -> float:
    """The effect with each unit placed only from its first to its last row (the rule before)."""
    from benchmarks.calibration_counts import first_to_last

    experiment = load_experiment(path)
    panel = first_to_last(load_dataset(experiment).panel, "events")
    return did.main_estimate(did.KPIData(panel, experiment.kpis[0], True), "cluster").effect


# --- the full grid ------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["csv", "parquet", "duckdb"])
def test_event_rows_give_the_exact_effect_on_the_full_grid(tmp_path, source, runner):
    frame = rotating({"T": 0, "C": 10})
    data = {}
    if source == "parquet":
        data = {"path": "events.parquet"}
    if source == "duckdb":
        import duckdb

        tmp_path.mkdir(exist_ok=True)
        with duckdb.connect(str(tmp_path / "crm.duckdb")) as con:
            con.register("frame", frame)
            con.execute("CREATE TABLE events AS SELECT event, unit, \"group\", CAST(day AS DATE) "
                        "AS day, value FROM frame")
        data = {"path": None, "url": "duckdb:///crm.duckdb", "table": "events"}
    definition = _definition(data)
    definition["data"] = {k: v for k, v in definition["data"].items() if v is not None}
    path = _write(tmp_path, frame, definition, f"events.{source}")
    assert _effect(path) == pytest.approx(0.3, abs=1e-12)
    assert abs(_first_to_last(path) - 0.3) > 0.01  # the rule before missed it
    out = _validated(runner, path)
    # 20 units x 12 weeks; without an event: 6 of 10 each week, 3 of 10 treated after
    assert "full grid" in out and "20 unit(s), 240 unit-week cells" in out
    assert "126 have no rows and count as zero" in out


def test_a_unit_of_the_groups_file_without_rows_counts_zero_with_a_warning(tmp_path, runner):
    frame = rotating({"T": 0, "C": 10}).drop(columns="group")
    units = sorted(frame["unit"].unique())
    pd.DataFrame({"unit": units + ["u099"],
                  "group": ["T"] * 10 + ["C"] * 11}).to_csv(tmp_path / "groups.csv", index=False)
    definition = _definition(groups={"file": "groups.csv", "treatment": "T", "control": "C"})
    path = _write(tmp_path, frame, definition)
    result = invoke(runner, "analyze", path, "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    kpi = json.loads((tmp_path / "r.json").read_text())["kpis"][0]
    assert kpi["n_units"] == {"treatment": 10, "control": 11}
    assert kpi["effect"] == pytest.approx(0.3, abs=1e-12)  # a zero unit changes by zero
    warnings = json.loads((tmp_path / "r.json").read_text())["warnings"]
    assert any("'u099'" in w and "have no rows in the compared windows" in w for w in warnings)
    out = _validated(runner, path)
    assert "1 unit(s) without any row in the windows" in out


def test_means_and_rates_stay_missing_where_counts_are_zero(tmp_path):
    frame = rotating({"T": 0, "C": 10})
    mean = {"id": "value", "column": "value", "better": "higher"}
    both = _write(tmp_path / "both", frame, _definition(kpis=(COUNT, mean)))
    alone = _write(tmp_path / "alone", frame, _definition(kpis=(mean,)))
    panel = load_dataset(load_experiment(both)).panel
    empty = panel.counts["events"] == 0
    assert empty.sum() == 126
    assert np.isnan(panel.values["value"][empty]).all()
    assert (panel.values["events"][empty] == 0).all()
    assert _effect(both, "value") == pytest.approx(_effect(alone, "value"), abs=1e-12)


def test_integer_periods_and_a_rollout_in_waves_are_on_the_full_grid(tmp_path):
    frame = rotating({"T": 0, "C": 10})
    frame["week"] = (pd.to_datetime(frame["day"]) - pd.Timestamp(START)).dt.days // 7 + 1
    definition = _definition({"time": "week"}, rollout=7, pre=None, post=None)
    del definition["pre"], definition["post"]
    assert _effect(_write(tmp_path / "int", frame.drop(columns="day"), definition)) == \
        pytest.approx(0.3, abs=1e-12)

    from valueproof.stats import waves

    frame = rotating({"W1": 0, "W2": 10, "N": 20},
                     rollout_week=lambda group: {"W1": 4, "W2": 7}.get(group))
    units = [f"u{u:03d}" for u in range(30)] + ["u099"]  # u099: never treated, no rows
    starts = [str(START + dt.timedelta(weeks=4 if u < 10 else 7)) if u < 20 else ""
              for u in range(30)] + [""]
    folder = tmp_path / "waves"
    folder.mkdir()
    pd.DataFrame({"unit": units, "rollout": starts}).to_csv(folder / "waves.csv", index=False)
    path = _write(folder, frame.drop(columns="group"), {
        "name": "Waves", "data": {"path": "events.csv", "unit": "unit", "time": "day"},
        "rollout": {"file": "waves.csv"}, "kpis": [COUNT]})
    experiment = load_experiment(path)
    dataset = load_dataset(experiment)
    assert dataset.grid.units == 31 and dataset.grid.units_without_rows == 1
    fit = waves.estimate_kpi(dataset.panel, experiment.kpis[0], experiment.analysis, 0.05)
    assert fit["estimate"].effect == pytest.approx(0.3, abs=1e-12)
    assert fit["n_units"]["control"] == 11


def test_the_bias_of_sparse_event_counts_is_gone(tmp_path):
    """A few dozen seeded simulations of the audit's design (0.4 events per unit-week, +0.3):
    the estimate is within three Monte Carlo SEs of the truth, while the rule before lost about
    a fifth of the effect on the same data."""
    rng = np.random.default_rng(23)
    effects, before = [], []
    for run in range(24):
        frame = event_rows(rng, 100, 100)
        path = write_definition(tmp_path / str(run), frame, 100, 100)
        effects.append(_effect(path))
        before.append(_first_to_last(path))
    effects = np.array(effects)
    mc_se = effects.std(ddof=1) / np.sqrt(len(effects))
    assert abs(effects.mean() - 0.3) < 3 * mc_se and mc_se < 0.02
    assert np.mean(before) < 0.3 - 3 * mc_se


# --- the roster ---------------------------------------------------------------------------

def daily(units: dict[str, str], leave: dict[str, dt.date] | None = None,
          join: dict[str, dt.date] | None = None) -> pd.DataFrame:
    """One event a day for every unit (unit -> group), two on Mondays for treated units from
    the rollout (+1 per unit-week exactly); none before a unit's join date or after its leave
    date."""
    rows = []
    for unit, group in units.items():
        for day in range(84):
            when = START + dt.timedelta(days=day)
            if when > (leave or {}).get(unit, dt.date.max) or \
                    when < (join or {}).get(unit, dt.date.min):
                continue
            extra = group == "T" and when >= ROLLOUT and when.weekday() == 0
            for _ in range(1 + extra):
                rows.append({"event": len(rows), "unit": unit, "group": group, "day": str(when)})
    return pd.DataFrame(rows)


UNITS = {f"t{i}": "T" for i in range(4)} | {f"c{i}": "C" for i in range(4)}


def test_a_roster_makes_units_that_left_or_joined_absent_not_zero(tmp_path, runner):
    left = ROLLOUT + dt.timedelta(weeks=2, days=2)  # a Wednesday
    sunday = ROLLOUT + dt.timedelta(weeks=3, days=6)
    joined = START + dt.timedelta(weeks=2, days=3)  # a Thursday
    frame = daily(UNITS, leave={"c1": left, "t2": sunday}, join={"c2": joined})
    without = _write(tmp_path / "without", frame, _definition())
    assert _effect(without) != pytest.approx(1.0, abs=0.05)  # zeros after leaving
    out = _validated(runner, without)
    assert "3 unit(s) have no rows for a long stretch at the start or end" in out
    assert "full grid" in out

    folder = tmp_path / "with"
    folder.mkdir()
    pd.DataFrame({"unit": ["c1", "t2", "c2"], "start": ["", "", str(joined)],
                  "end": [str(left), str(sunday), ""]}).to_csv(folder / "roster.csv", index=False)
    path = _write(folder, frame, _definition({"roster": {"path": "roster.csv"}}))
    # absent outside their dates, and the weeks they were there only in part scaled to whole
    assert _effect(path) == pytest.approx(1.0, abs=1e-12)
    dataset = load_dataset(load_experiment(path))
    panel = dataset.panel
    c1 = panel.unit_names.index("c1")
    assert panel.period[panel.unit == c1].max() == np.datetime64(left - dt.timedelta(days=2))
    assert dataset.grid.rule == "roster" and dataset.grid.roster_units == 3
    assert not any(f.kind == "units_came_and_went" for f in dataset.findings)
    out = _validated(runner, path)
    assert "roster (data.roster gives the dates of 3 unit(s)" in out


def test_a_roster_with_integer_periods_and_several_spells(tmp_path):
    frame = daily(UNITS)
    frame["week"] = (pd.to_datetime(frame["day"]) - pd.Timestamp(START)).dt.days // 7 + 1
    frame = frame[~((frame["unit"] == "c3") & frame["week"].between(3, 4))]
    folder = tmp_path / "int"
    folder.mkdir()
    (folder / "roster.csv").write_text("UNIT,Start,End\nc3,,2\nc3,5,\n")
    definition = _definition({"time": "week", "roster": {"path": "roster.csv"}}, rollout=7)
    del definition["pre"], definition["post"]
    path = _write(folder, frame.drop(columns="day"), definition)
    assert _effect(path) == pytest.approx(1.0, abs=1e-12)
    panel = load_dataset(load_experiment(path)).panel
    c3 = panel.unit_names.index("c3")
    assert sorted(panel.period[panel.unit == c3]) == [1, 2, 5, 6, 7, 8, 9, 10, 11, 12]


def test_roster_warnings_reach_validate_results_and_every_report_language(tmp_path, runner):
    from valueproof.language.words import Words
    from valueproof.report.findings import finding_text
    from valueproof.language.formatting import Formatter
    from valueproof.language.i18n import locales_dir, translations

    frame = daily(UNITS)
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "roster.csv").write_text(f"unit,start,end\nc1,,{ROLLOUT}\nnobody,2026-01-01,\n")
    path = _write(tmp_path, frame, _definition({"roster": {"path": "roster.csv"}}))
    out = _validated(runner, path)
    assert "'nobody'" in out and "not units of this experiment" in out
    assert "fall outside their dates in data.roster" in out
    result = invoke(runner, "analyze", path, "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    kinds = {f["kind"]: f for f in json.loads((tmp_path / "r.json").read_text())["data_quality"]}
    assert {"roster_unknown_units", "rows_outside_roster"} <= set(kinds)
    findings = [kinds["roster_unknown_units"], kinds["rows_outside_roster"],
                {"kind": "units_without_rows", "params": {"units": 2}},
                {"kind": "units_came_and_went", "params": {"units": 1}}]
    english = [finding_text(Words(translations(locales_dir(), "en"), Formatter("en")), f, {})
               for f in findings]
    assert english[0].startswith("1 unit listed in the roster roster.csv")
    for locale in ("de", "es", "fr", "pl", "sk", "tr", "ar"):
        words = Words(translations(locales_dir(), locale), Formatter(locale))
        for finding, text in zip(findings, english):
            assert finding_text(words, finding, {}) != text, (locale, finding["kind"])


@pytest.mark.parametrize("content, words", [
    ("unit,begin,end\nc1,,2026-03-01\n", ["column(s) 'start' not found", "unit, start, end"]),
    ("unit,start,end\nc1,01/03/2026,\n", ["column 'start' are not dates", "'01/03/2026'",
                                          "unit 'c1'"]),
    ("unit,start,end\nc1,2026-03-01,2026-02-01\n", ["unit 'c1' ends 2026-02-01, before it starts",
                                                    "column 'end'"]),
    ("unit,start,end\n,2026-03-01,\n", ["1 line(s) have dates but no unit"]),
    (None, ["roster file not found", "data.roster.path"]),
])
def test_a_bad_roster_is_one_clear_error(tmp_path, runner, content, words):
    if content is not None:
        tmp_path.mkdir(exist_ok=True)
        (tmp_path / "roster.csv").write_text(content)
    path = _write(tmp_path, daily(UNITS), _definition({"roster": {"path": "roster.csv"}}))
    result = invoke(runner, "analyze", path, "--json", tmp_path / "r.json")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "roster.csv" in result.output
    flat = " ".join(result.output.split())
    for word in words:
        assert word in flat, flat
    assert not (tmp_path / "r.json").exists()


def test_a_roster_outside_the_folder_and_a_roster_with_two_sources_are_refused(tmp_path, runner):
    inside = tmp_path / "exp"
    (tmp_path / "roster.csv").write_text("unit,start,end\n")
    path = _write(inside, daily(UNITS), _definition({"roster": {"path": "../roster.csv"}}))
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "outside the experiment's folder" in result.output
    path = _write(inside, daily(UNITS), _definition(
        {"roster": {"path": "roster.csv", "url": "duckdb:///crm.duckdb", "table": "roster"}}))
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "data.roster" in result.output


def test_a_roster_from_a_duckdb_table(tmp_path):
    import duckdb

    left = ROLLOUT + dt.timedelta(weeks=2, days=2)
    frame = daily(UNITS, leave={"c1": left})
    tmp_path.mkdir(exist_ok=True)
    with duckdb.connect(str(tmp_path / "crm.duckdb")) as con:
        con.execute("CREATE TABLE staff (unit VARCHAR, \"start\" DATE, \"end\" TIMESTAMP)")
        con.execute("INSERT INTO staff VALUES ('c1', NULL, ?)", [dt.datetime.combine(
            left, dt.time(17, 30))])
    path = _write(tmp_path, frame, _definition(
        {"roster": {"url": "duckdb:///crm.duckdb", "table": "staff"}}))
    assert _effect(path) == pytest.approx(1.0, abs=1e-12)


# --- PostgreSQL: the cells come from the database, the grid is filled after ---------------

@pytest.fixture
def warehouse(pg_url, tmp_path, monkeypatch):
    """A database `vp_grid` with the events and a roster, readable by a role that may only
    read, named 'warehouse' in the operator's connections.yaml."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS vp_grid")
        con.execute("CREATE DATABASE vp_grid")
        con.execute("DROP ROLE IF EXISTS grid_reader")
        con.execute("CREATE ROLE grid_reader LOGIN PASSWORD 'grid-pw'")
    admin = pg_url.rsplit("/", 1)[0] + "/vp_grid"
    left = ROLLOUT + dt.timedelta(weeks=2, days=2)
    frame = daily(UNITS, leave={"c1": left})
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute('CREATE TABLE events (event integer, unit text, "group" text, day date)')
        with con.cursor().copy("COPY events FROM STDIN") as copy:
            for row in frame.itertuples(index=False):
                copy.write_row((row.event, row.unit, row.group, dt.date.fromisoformat(row.day)))
        con.execute('CREATE TABLE staff (unit text, start date, "end" date)')
        con.execute("INSERT INTO staff VALUES ('c1', NULL, %s)", [left])
        con.execute("GRANT SELECT ON events, staff TO grid_reader")
    parts = pg_url.split("@", 1)[1].split("/", 1)[0]
    write_connections(tmp_path, monkeypatch,
                      warehouse=f"postgresql://grid_reader:grid-pw@{parts}/vp_grid")
    return frame, left


def test_postgres_cells_and_roster_give_the_file_results(warehouse, tmp_path, runner):
    frame, left = warehouse
    local = tmp_path / "local"
    local.mkdir()
    (local / "roster.csv").write_text(f"unit,start,end\nc1,,{left}\n")
    from_files = _write(local, frame, _definition({"roster": {"path": "roster.csv"}}))
    definition = _definition({"path": None, "connection": "warehouse", "table": "events",
                              "roster": {"connection": "warehouse", "table": "staff"}})
    definition["data"].pop("path")
    from_db = _write(tmp_path / "db", frame, definition, name="none")
    results = []
    for path in (from_files, from_db):
        result = invoke(runner, "analyze", path, "--json", path.parent / "r.json")
        assert result.exit_code == 0, result.output
        results.append(json.loads((path.parent / "r.json").read_text())["kpis"][0])
    assert results[1]["effect"] == pytest.approx(1.0, abs=1e-12)
    for key in ("effect", "se", "n_units", "n_obs", "means"):
        assert results[0][key] == pytest.approx(results[1][key], abs=1e-9), key

"""`valueproof validate` and `valueproof init` on real files, and what they import."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import EXAMPLES, invoke, panel_frame
from valueproof.config import load_experiment
from valueproof.data import load_dataset


@pytest.mark.parametrize("example", ["support_copilot", "sales_rollout"])
def test_examples_validate(example, runner):
    result = invoke(runner, "validate", EXAMPLES / example / "experiment.yaml")
    assert result.exit_code == 0, result.output
    assert "Usable" in result.output and "treatment" in result.output


def test_init_scaffolds_an_experiment_that_validates(runner, tmp_path):
    target = tmp_path / "pilot"
    result = invoke(runner, "init", target)
    assert result.exit_code == 0, result.output
    assert (target / "experiment.yaml").read_text().count("#") > 30  # every key is commented
    checked = invoke(runner, "validate", target / "experiment.yaml")
    assert checked.exit_code == 0, checked.output
    again = invoke(runner, "init", target)
    assert again.exit_code == 2 and "not empty" in again.output


def test_default_pre_window_is_as_long_as_post(write_experiment):
    dataset = load_dataset(load_experiment(write_experiment({"pre": None})), build_panel=False)
    cells = {(c.arm, c.window): c for c in dataset.cells}
    assert cells["treatment", "pre"].units == 12
    # post runs from the rollout (Mar 2) to the last date (Mar 25, 23 days later); the default
    # pre window is as long, Feb 6 - Mar 1, moved to start on a whole week (Monday Feb 9):
    # three of the four pre weeks.
    assert str(dataset.pre.start) == "2026-02-09" and str(dataset.pre.end) == "2026-03-01"
    assert cells["treatment", "pre"].observations == 12 * 3 * 3
    assert cells["control", "post"].observations == 12 * 4 * 3
    assert dataset.design == "panel"
    assert dataset.rows_used == 24 * 7 * 3
    assert "outside the pre" in dataset.findings[0].message


def test_explicit_windows(write_experiment):
    path = write_experiment()
    dataset = load_dataset(load_experiment(path), build_panel=False)
    assert dataset.rows_used == dataset.rows_read == 24 * 8 * 3


def test_quality_findings_are_reported_not_hidden(write_experiment):
    frame = panel_frame()
    frame = pd.concat([frame, frame.iloc[30:32]], ignore_index=True)  # two duplicate rows
    switching = frame.unit == "U00"
    frame.loc[switching, "group"] = ["T", "C"] * (switching.sum() // 2)
    frame.loc[frame[frame.unit == "U05"].index[-1], "minutes"] = None  # in the post window
    frame = pd.concat([frame, frame.iloc[:3].assign(unit="X1", group="other")], ignore_index=True)
    dataset = load_dataset(load_experiment(write_experiment(frame=frame)), build_panel=False)
    kinds = {f.kind: f.message for f in dataset.findings}
    assert "2 row(s) are exact duplicates" in kinds["duplicate_rows"]
    assert "U00" in kinds["units_switching_group"]
    assert "other" in kinds["units_in_neither_group"]
    assert "minutes" in kinds["missing_values"]
    assert dataset.unit_counts["treatment"] == 11  # U00 switched groups and is not used


def test_group_file_and_parquet(write_experiment, tmp_path):
    frame = panel_frame()
    frame[["unit", "group"]].drop_duplicates().to_csv(tmp_path / "groups.csv", index=False)
    frame.drop(columns="group").to_parquet(tmp_path / "data.parquet")
    path = write_experiment({"data": {"path": "data.parquet"},
                             "groups": {"column": None, "file": "groups.csv"}}, data_name="x")
    text = path.read_text().replace("  column: null\n", "")
    path.write_text(text)
    dataset = load_dataset(load_experiment(path), build_panel=False)
    assert dataset.unit_counts == {"treatment": 12, "control": 12}


@pytest.mark.parametrize("suffix", [".xlsx", ".json"])
def test_other_file_types(suffix, write_experiment, tmp_path):
    frame = panel_frame()
    if suffix == ".xlsx":
        frame.to_excel(tmp_path / "data.xlsx", index=False)
    else:
        frame.to_json(tmp_path / "data.json", orient="records")
    path = write_experiment({"data": {"path": f"data{suffix}"}}, data_name="x")
    dataset = load_dataset(load_experiment(path), build_panel=False)
    assert dataset.rows_used == len(frame)


def test_repeated_cross_section_is_detected(write_experiment):
    frame = panel_frame(rows_per_week=1)
    frame["unit"] = [f"P{i}" for i in range(len(frame))]  # every person observed once
    dataset = load_dataset(load_experiment(write_experiment(frame=frame)), build_panel=False)
    assert dataset.design == "cross_section"


def test_integer_periods(write_experiment):
    frame = panel_frame(rows_per_week=1)
    frame["day"] = frame.groupby("unit").cumcount() + 1  # periods 1..8, rollout at 5
    path = write_experiment({"rollout": 5, "pre": None}, frame=frame)
    dataset = load_dataset(load_experiment(path))
    assert dataset.pre.start == 1 and dataset.pre.end == 4 and dataset.post.end == 8
    assert set(dataset.panel.period.tolist()) == set(range(1, 9))


@pytest.mark.parametrize("args", [["--help"], ["validate", str(EXAMPLES / "support_copilot")]])
def test_cli_start_does_not_import_heavy_libraries(args):
    code = ("import sys; from valueproof.cli import main\n"
            f"try: main({args!r})\nexcept SystemExit: pass\n"
            "heavy = [m for m in ('weasyprint', 'matplotlib', 'statsmodels') if m in sys.modules]\n"
            "print('HEAVY', heavy, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stderr, done.stderr


def test_sql_source_reads_a_duckdb_database(write_experiment, tmp_path, runner):
    import duckdb

    frame = panel_frame()
    with duckdb.connect(str(tmp_path / "crm.duckdb")) as con:
        con.register("frame", frame)
        con.execute("CREATE TABLE tickets AS SELECT * FROM frame")
    path = write_experiment({"data": {"path": None, "url": "duckdb:///crm.duckdb",
                                      "query": "SELECT * FROM tickets WHERE minutes > 0",
                                      "unit": "unit", "time": "day"}}, data_name="x")
    path.write_text(path.read_text().replace("  path: null\n", ""))
    dataset = load_dataset(load_experiment(path), build_panel=False)
    assert dataset.rows_used == len(frame)
    bad = path.read_text().replace("FROM tickets", "FROM tickts")
    path.write_text(bad)
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "does not have" in result.output, result.output
    assert "tickts" in result.output

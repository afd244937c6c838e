"""The data stage's passes over the rows: the duplicate screen (two hashes per row, counted by
sorting) and the value checks folded into the aggregation to cells (the rows are read again
only when a cell flagged a value). Counts against pandas, messages through the CLI, and which
statements ran through a connection that records them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import valueproof.data.load as load_module
from tests.conftest import invoke, panel_frame
from tests.data.test_bad_data import definition, ok
from valueproof.config.loader import load_experiment
from valueproof.data import load_dataset


def findings_of(runner, tmp_path, path) -> dict[str, dict]:
    out = tmp_path / "results.json"
    ok(runner, "analyze", path, "--json", out)
    return {item["kind"]: item for item in json.loads(out.read_text())["data_quality"]}


@pytest.mark.parametrize("copies", [(5, 5, 5, 20), (0,)])
def test_exact_duplicate_rows_are_counted_as_pandas_counts_them(runner, tmp_path, copies):
    frame = panel_frame()
    doubled = pd.concat([frame, frame.loc[list(copies)]], ignore_index=True)
    doubled.to_csv(tmp_path / "data.csv", index=False)
    expected = len(doubled) - len(doubled.drop_duplicates())
    assert expected == len(copies)
    found = findings_of(runner, tmp_path, definition(tmp_path))
    assert found["duplicate_rows"]["params"]["rows"] == expected
    out = " ".join(ok(runner, "validate", definition(tmp_path)).split())
    assert f"{expected} row(s) are exact duplicates of another row" in out


def test_rows_differing_in_one_column_are_not_duplicates(runner, tmp_path):
    # the same unit, day and group twice with other KPI values: a conflict, not a duplicate
    frame = panel_frame()
    other = frame.loc[[3]].assign(resolved=1 - frame.loc[3, "resolved"])
    pd.concat([frame, other], ignore_index=True).to_csv(tmp_path / "data.csv", index=False)
    found = findings_of(runner, tmp_path, definition(tmp_path))
    assert "duplicate_rows" not in found
    assert found["conflicting_rows"]["params"]["sets"] == 1


class Recorder:
    """A DuckDB connection that records every statement it runs."""

    def __init__(self, con, statements: list[str]):
        self._con, self._statements = con, statements

    def execute(self, sql, *args):
        self._statements.append(" ".join(str(sql).split()))
        return self._con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def statements_of_load(monkeypatch, path) -> tuple[list[str], object]:
    statements: list[str] = []
    opened = load_module.open_session
    monkeypatch.setattr(load_module, "open_session",
                        lambda timezone: Recorder(opened(timezone), statements))
    return statements, load_dataset(load_experiment(path))


SUMMED = [{"id": "minutes", "column": "minutes", "better": "lower", "aggregate": "sum"},
          {"id": "resolved", "numerator": "resolved", "better": "higher", "aggregate": "rate"}]


@pytest.mark.parametrize("case, scanned", [("clean", False), ("negative_mean", False),
                                           ("negative_sum", True)])
def test_rows_are_read_again_only_when_a_cell_flagged_a_value(monkeypatch, tmp_path, case,
                                                              scanned):
    frame = panel_frame()
    if case != "clean":
        frame.loc[[9, 40], "minutes"] = [-4.0, -1.5]
    frame.to_csv(tmp_path / "data.csv", index=False)
    path = definition(tmp_path, **({"kpis": SUMMED} if case == "negative_sum" else {}))
    statements, dataset = statements_of_load(monkeypatch, path)
    reread = [s for s in statements if "FROM obs_rows" in s and "GROUP BY" not in s]
    assert bool(reread) == scanned, reread
    negatives = [f for f in dataset.findings if f.kind == "negative_values"]
    assert [f.params["rows"] for f in negatives] == ([2] if scanned else [])


def test_an_absurd_value_is_flagged_in_the_cells_and_named_from_its_row(runner, tmp_path):
    frame = panel_frame()
    frame.loc[11, "resolved"] = 5e16
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = invoke(runner, "validate", definition(tmp_path))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "column 'resolved' has 1 value(s) that are infinite or larger than 1e+15" in text
    assert f"unit '{frame.loc[11, 'unit']}', time {frame.loc[11, 'day']}" in text

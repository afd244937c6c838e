"""A unit listed twice in the group file or the rollout file: the same line repeated is counted
once with a data-quality warning (it used to count the unit's rows twice: "625 of 600 rows
used" and different estimates); two different groups or rollout dates for one unit are an
error naming the file, the unit and both values."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader

from tests.conftest import invoke, panel_frame
from tests.stats.test_staggered import rollout_file, small_waves, write_waves

GROUPS = {"column": None, "file": "groups.csv", "treatment": "T", "control": "C"}


def _group_lines(frame) -> str:
    first = frame.groupby("unit")["group"].first()
    return "unit,group\n" + "".join(f"{unit},{group}\n" for unit, group in first.items())


def _groups_experiment(write_experiment, tmp_path, extra: str):
    frame = panel_frame()
    (tmp_path / "groups.csv").write_text(_group_lines(frame) + extra)
    return write_experiment({"groups": GROUPS}, frame=frame.drop(columns="group"))


def _estimates(result_json) -> list[tuple]:
    data = json.loads(result_json.read_text())
    return [(k["id"], k["n_obs"], k["n_units"], round(k["effect"], 9), round(k["se"], 9))
            for k in data["kpis"]]


def test_a_repeated_group_line_is_counted_once_with_a_warning(write_experiment, tmp_path,
                                                              runner):
    clean = _groups_experiment(write_experiment, tmp_path, "")
    assert invoke(runner, "analyze", clean, "--json", tmp_path / "clean.json").exit_code == 0
    path = _groups_experiment(write_experiment, tmp_path, "U00,T\nU13,C\nU00,T\n")

    checked = invoke(runner, "validate", path)
    assert checked.exit_code == 0, checked.output
    assert "576 of 576 rows used" in checked.output  # 24 units x 8 weeks x 3 rows, each once
    assert "groups.csv: 3 line(s) repeat a unit already listed with the same group" in \
        " ".join(checked.output.split())
    result = invoke(runner, "analyze", path, "--json", tmp_path / "repeated.json")
    assert result.exit_code == 0, result.output
    assert _estimates(tmp_path / "repeated.json") == _estimates(tmp_path / "clean.json")
    found = json.loads((tmp_path / "repeated.json").read_text())["data_quality"]
    assert [f["params"] for f in found if f["kind"] == "repeated_units"] == [
        {"lines": 3, "file": "groups.csv", "example": "U00"}]


def test_a_unit_in_two_groups_is_an_error_naming_both(write_experiment, tmp_path, runner):
    path = _groups_experiment(write_experiment, tmp_path, "U00,C\n")  # U00 is in T
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.count("Error") == 1
    message = " ".join(result.output.split())
    assert "groups.csv: unit 'U00' is given more than one group ('C' and 'T'); give each unit " \
           "one group, on one line" in message
    assert not (tmp_path / "q.pdf").exists()


def test_a_unit_with_a_group_and_an_empty_one_is_an_error(write_experiment, tmp_path, runner):
    path = _groups_experiment(write_experiment, tmp_path, "U05,\n")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2
    assert "unit 'U05' is given more than one group ('(empty)' and 'T')" in \
        " ".join(result.output.split())


def test_the_report_says_so_in_the_readers_language(write_experiment, tmp_path, runner):
    frame = panel_frame()
    (tmp_path / "groups.csv").write_text(_group_lines(frame) + "U00,T\nU01,T\n")
    path = write_experiment({"groups": GROUPS, "locale": "pl"}, frame=frame.drop(columns="group"))
    result = invoke(runner, "report", path, "-o", tmp_path / "q.pdf")
    assert result.exit_code == 0, result.output
    text = " ".join(" ".join(page.extract_text() for page in
                             PdfReader(tmp_path / "q.pdf").pages).split())
    assert "2 wiersze pliku groups.csv powtarzają jednostki podane już z tą samą " \
           "wartością" in text


# --- the rollout file of a rollout in waves -----------------------------------------------------

def _waves(tmp_path, extra: str, name: str = "waves.csv"):
    frame = small_waves()
    (tmp_path / name).write_text(rollout_file(frame) + extra)
    return write_waves(tmp_path, frame.drop(columns="first_treat"), rollout={"file": name})


def test_a_repeated_rollout_line_is_counted_once_with_a_warning(tmp_path, runner):
    clean = _waves(tmp_path, "", "clean.csv")
    assert invoke(runner, "analyze", clean, "--json", tmp_path / "clean.json").exit_code == 0
    text = rollout_file(small_waves()).splitlines()
    path = _waves(tmp_path, "\n".join(text[1:4]) + "\n" + text[1] + "\n")  # 4 repeated lines
    result = invoke(runner, "analyze", path, "--json", tmp_path / "repeated.json")
    assert result.exit_code == 0, result.output
    assert "waves.csv: 4 line(s) repeat a unit already listed with the same rollout" in \
        " ".join(result.output.split())
    clean_data, data = (json.loads((tmp_path / f"{n}.json").read_text())
                        for n in ("clean", "repeated"))
    for a, b in zip(clean_data["kpis"], data["kpis"]):
        assert (a["n_obs"], a["n_units"], a["effect"], a["se"]) == \
            (b["n_obs"], b["n_units"], b["effect"], b["se"])
    assert any(f["kind"] == "repeated_units" and f["params"]["lines"] == 4
               for f in data["data_quality"])


@pytest.mark.parametrize("extra, values", [("4,2004\n", "('2003' and '2004')"),
                                           ("4,\n", "('(empty)' and '2003')")])
def test_a_unit_with_two_rollouts_is_an_error_naming_both(extra, values, tmp_path, runner):
    text = rollout_file(small_waves())
    assert "\n4,2003\n" in text  # the unit given a second rollout below
    path = _waves(tmp_path, extra)
    result = invoke(runner, "analyze", path, "--json", tmp_path / "r.json")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"waves.csv: unit '4' is given more than one rollout {values}; give each unit one " \
           "rollout (its first date with the product, or empty: never), on one line" in \
           " ".join(result.output.split())
    assert not (tmp_path / "r.json").exists()

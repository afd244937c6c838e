"""Every user mistake: one clear message naming what is wrong, exit status 2, no traceback."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import invoke, panel_frame

ROI = {"currency": "EUR", "costs": [{"label": "Licence", "amount": 100, "per": "month"}],
       "benefits": [{"kpi": "minutes", "value_per_unit": 1, "volume": 10}]}


def _bad_dates(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[5, "day"] = "31/02/2026"
    return frame


def _bad_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    frame["minutes"] = frame["minutes"].astype(object)
    frame.loc[7, "minutes"] = "n/a"
    return frame


CASES = {
    "unknown key": ({"kpi": []}, None, ["unknown key 'kpi'", "did you mean 'kpis'?"]),
    "wrong type": ({"analysis": {"alpha": "small"}}, None, ["analysis.alpha", "'small'"]),
    "alpha out of range": ({"analysis": {"alpha": 1.5}}, None, ["analysis.alpha", "less than 0.5"]),
    "bad choice": ({"analysis": {"se": "robust"}}, None, ["analysis.se", "'robust'", "cluster"]),
    "missing required key": ({"rollout": None}, None, ["rollout", "required key"]),
    "missing data file": ({"data": {"path": "nowhere.csv"}}, None, ["nowhere.csv", "not found"]),
    "missing unit column": ({"data": {"unit": "agent"}}, None, ["column 'agent'", "data.unit"]),
    "missing time column": ({"data": {"time": "date"}}, None, ["column 'date'", "data.time"]),
    "missing kpi column": ({"kpis": [{"id": "x", "column": "minutez", "better": "lower"}]}, None,
                           ["column 'minutez'", "did you mean 'minutes'?"]),
    "unparseable dates": ({}, _bad_dates, ["column 'day'", "31/02/2026", "YYYY-MM-DD"]),
    "non-numeric kpi": ({}, _bad_numbers, ["column 'minutes'", "non-numeric", "'n/a'"]),
    "treatment absent": ({"groups": {"treatment": "pilot"}}, None,
                         ["groups.treatment", "'pilot'", "values present: C, T"]),
    "control absent": ({"groups": {"control": "standard"}}, None, ["groups.control", "'standard'"]),
    "windows outside data": ({"pre": {"start": "2025-01-01", "end": "2025-02-01"}}, None,
                             ["no observations in the pre window", "Fix 'pre'"]),
    "pre after post": ({"pre": {"start": "2026-03-10", "end": "2026-03-20"}}, None,
                       ["pre.end", "must end before the rollout"]),
    "window start after end": ({"post": {"start": "2026-04-10", "end": "2026-03-20"}}, None,
                               ["post", "is after 'end'"]),
    "criterion unknown kpi": ({"success_criteria": [{"kpi": "speed", "target": "-10%"}]}, None,
                              ["success_criteria[0].kpi", "'speed' is not a KPI id"]),
    "benefit unknown kpi": ({"roi": {**ROI, "benefits": [{"kpi": "nps", "value_per_unit": 1,
                                                          "volume": 5}]}}, None,
                            ["roi.benefits[0].kpi", "'nps' is not a KPI id"]),
    "negative cost": ({"roi": {**ROI, "costs": [{"label": "x", "amount": -5, "once": True}]}},
                      None, ["roi.costs[0].amount", "greater than 0"]),
    "infinite cost": ({"roi": {**ROI, "costs": [{"label": "x", "amount": float("inf"),
                                                 "once": True}]}},
                      None, ["roi.costs[0].amount", "finite"]),
    "absurd volume": ({"roi": {**ROI, "benefits": [{"kpi": "minutes", "value_per_unit": 1,
                                                    "volume": 1e308}]}},
                      None, ["roi.benefits[0].volume", "less than or equal"]),
    "zero cost": ({"roi": {**ROI, "costs": [{"label": "x", "amount": 0, "once": True}]}},
                  None, ["roi.costs[0].amount", "greater than 0"]),
    "cost neither recurring nor once": ({"roi": {**ROI, "costs": [{"label": "x", "amount": 5}]}},
                                        None, ["roi.costs[0]", "'per'", "'once: true'"]),
    "bad target": ({"success_criteria": [{"kpi": "minutes", "target": "a lot"}]}, None,
                   ["success_criteria[0].target", "'a lot' is not a target"]),
    "unknown locale": ({"locale": "xx"}, None, ["locale", "'xx' is not a known locale"]),
    "locale without a complete catalogue": ({"locale": "cs_CZ"}, None, [
        "locale", "'cs_CZ'", "no complete translation", "complete languages: en, ar, de"]),
    "logo outside folder": ({"customer": {"name": "X", "logo": "../../etc/logo.svg"}}, None,
                            ["customer.logo", "outside the experiment's folder"]),
    "date rollout, integer data": (
        {}, lambda f: f.assign(day=range(len(f))), ["column 'day' holds integer periods"]),
    "rate without numerator": ({"kpis": [{"id": "r", "aggregate": "rate", "better": "higher"}]},
                               None, ["kpis[0]", "needs a 'numerator'"]),
    "duplicate kpi ids": ({"kpis": [{"id": "m", "column": "minutes", "better": "lower"},
                                    {"id": "m", "column": "minutes", "better": "lower"}]}, None,
                          ["kpis[1].id", "used twice"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_definition_or_data_gives_one_clear_message(case, runner, write_experiment):
    changes, mutate, expected = CASES[case]
    frame = panel_frame()
    if mutate is not None:
        frame = mutate(frame)
    path = write_experiment(changes, frame=frame)
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output, (text, result.output)


def test_yaml_syntax_error_names_the_line(runner, tmp_path):
    path = tmp_path / "experiment.yaml"
    path.write_text("name: x\ndata:\n  path: a.csv\n  unit: [unclosed\ngroups: {}\n")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2
    assert "YAML syntax error" in result.output and "experiment.yaml:" in result.output


def test_missing_definition_file(runner, tmp_path):
    result = invoke(runner, "validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "no such file" in result.output


def test_empty_definition(runner, tmp_path):
    path = tmp_path / "experiment.yaml"
    path.write_text("")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "empty file" in result.output


@pytest.mark.parametrize("content, expected", [
    (b"", "the data file is empty"),
    (b"unit,group,day,minutes,resolved\n", "header but no rows"),
])
def test_empty_or_header_only_data(content, expected, runner, write_experiment, tmp_path):
    path = write_experiment()
    (tmp_path / "data.csv").write_bytes(content)
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and expected in result.output, result.output


def test_file_that_is_not_what_its_extension_says(runner, write_experiment, tmp_path):
    path = write_experiment({"data": {"path": "data.parquet"}})
    (tmp_path / "data.parquet").write_text("unit,group\nU1,T\n")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2
    assert "could not be read as PARQUET" in result.output
    assert "really is what its extension says" in result.output


@pytest.mark.parametrize("brand, expected", [
    ("primary: '#1B5E9E'\nfont: Comic\n", [":2:", "font", "unknown key", "page_size"]),
    ("primary: blue\n", [":1:", "primary", "'blue' is not a colour", "#RRGGBB"]),
])
def test_brand_file_mistakes_name_line_and_fix(brand, expected, runner, write_experiment,
                                               tmp_path):
    (tmp_path / "brand.yaml").write_text(brand)
    result = invoke(runner, "validate", write_experiment({"brand": "brand.yaml"}))
    assert result.exit_code == 2 and "Traceback" not in result.output
    for text in expected:
        assert text in result.output, (text, result.output)


def test_group_file_that_is_not_utf8_says_how_to_save_it(runner, write_experiment, tmp_path):
    (tmp_path / "groups.csv").write_bytes("unit,group\nU00,T\nU01,Zürich\n".encode("utf-16"))
    path = write_experiment({"groups": {"column": None, "file": "groups.csv", "treatment": "T",
                                        "control": "C"}})
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "groups.csv" in result.output
    assert "UTF-8" in result.output or "encoding" in result.output, result.output

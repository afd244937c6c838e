"""The experiment definition: defaults, parsing and the JSON Schema."""

import datetime as dt
import json

import pytest

from tests.conftest import invoke
from valueproof.config import load_experiment
from valueproof.errors import ConfigError


def test_defaults_follow_the_design(write_experiment):
    experiment = load_experiment(write_experiment())
    assert experiment.analysis.alpha == 0.05
    assert experiment.analysis.se == "cluster"
    assert experiment.analysis.correction == "holm"
    assert experiment.rollout == dt.date(2026, 3, 2)
    assert experiment.kpis[1].aggregate == "rate"
    assert experiment.locale == "en"


def test_relative_paths_resolve_against_the_definition_folder(write_experiment, tmp_path):
    experiment = load_experiment(write_experiment())
    assert experiment.resolve(experiment.data.path) == tmp_path.resolve() / "data.csv"


@pytest.mark.parametrize("text, value, relative", [("-15%", -0.15, True), (-2.5, -2.5, False),
                                                   ("+4 %", 0.04, True), ("−20%", -0.2, True)])
def test_targets_parse_as_relative_or_absolute(write_experiment, text, value, relative):
    path = write_experiment({"success_criteria": [{"kpi": "minutes", "target": text}]})
    target = load_experiment(path).success_criteria[0].target
    assert target.value == pytest.approx(value) and target.relative is relative


def test_group_values_accept_numbers_and_lists(write_experiment):
    path = write_experiment({"groups": {"treatment": [1, "T"], "control": 0}})
    groups = load_experiment(path).groups
    assert groups.treatment == ["1", "T"] and groups.control == ["0"]


def test_integer_periods_are_accepted(write_experiment):
    path = write_experiment({"rollout": 202610, "pre": {"start": 202601, "end": 202609}})
    experiment = load_experiment(path)
    assert experiment.rollout == 202610 and experiment.pre.end == 202609


def test_misspelt_nested_key_gets_a_suggestion_and_line(write_experiment):
    path = write_experiment({"analysis": {"alpah": 0.1}})
    with pytest.raises(ConfigError) as caught:
        load_experiment(path)
    message = caught.value.message
    assert "analysis.alpah" in message and "did you mean 'alpha'?" in message
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "alpah" in text)
    assert f"experiment.yaml:{line}:" in message


def test_schema_command_prints_json_schema(runner):
    result = invoke(runner, "schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert {"name", "data", "rollout", "kpis"} <= set(schema["required"])
    assert "success_criteria" in schema["properties"] and "roi" in schema["properties"]
    assert "groups" in schema["properties"]  # required with one rollout date, labels with waves

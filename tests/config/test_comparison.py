"""`comparison` in the definition: its keys, and the rules across sections (no control group
beside donors, one rollout date, KPI columns), each one located message with exit 2."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from tests.conftest import invoke
from tests.simulate_donors import definition, write_portfolio
from valueproof.config.comparison import Comparison, DonorSource
from valueproof.config.schema import Experiment


def test_a_full_comparison_reads():
    experiment = Experiment.model_validate(definition(
        exclude=["donor-03", 17], max_weight=0.25, min_donors=8))
    comparison = experiment.comparison
    assert comparison.exclude == ["donor-03", "17"]  # ids read by YAML as numbers become text
    assert comparison.max_weight == 0.25 and comparison.min_donors == 8
    assert comparison.donor_column("minutes") == "avg_minutes"
    assert comparison.donor_column("tickets") == "tickets"
    assert not experiment.has_control and experiment.groups.labels_only


@pytest.mark.parametrize("donors, message", [
    ({"unit": "a", "time": "w"}, "give exactly one of 'path'"),
    ({"path": "d.csv", "connection": "warehouse", "table": "t", "unit": "a", "time": "w"},
     "give exactly one of 'path'"),
    ({"connection": "warehouse", "unit": "a", "time": "w"}, "give exactly one of 'table'"),
    ({"path": "d.csv", "unit": "a"}, "time"),
])
def test_the_donor_source_takes_one_form(donors, message):
    with pytest.raises(ValidationError, match=message):
        DonorSource.model_validate(donors)


@pytest.mark.parametrize("value", [0, 1.5, -0.1])
def test_max_weight_lies_in_zero_to_one(value):
    with pytest.raises(ValidationError, match="max_weight"):
        Comparison.model_validate({"donors": {"path": "d.csv", "unit": "a", "time": "w"},
                                   "max_weight": value})


def _cli_error(runner, tmp_path, change) -> str:
    path = write_portfolio(tmp_path)
    spec = yaml.safe_load(path.read_text())
    change(spec)
    path.write_text(yaml.safe_dump(spec))
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_a_control_group_beside_donors_is_refused(runner, tmp_path):
    def control(spec):
        spec["groups"] = {"column": "team", "treatment": "T1", "control": "T2"}
    output = _cli_error(runner, tmp_path, control)
    assert "groups.control" in output and "remove groups.control" in output


def test_a_rollout_in_waves_is_refused(runner, tmp_path):
    def waves(spec):
        spec["rollout"] = {"column": "first_week"}
    output = _cli_error(runner, tmp_path, waves)
    assert "comparison" in output and "one rollout date" in output


def test_a_column_map_names_kpi_columns(runner, tmp_path):
    def mapped(spec):
        spec["comparison"]["columns"] = {"minuets": "avg_minutes"}
    output = _cli_error(runner, tmp_path, mapped)
    assert "comparison.columns.minuets" in output and "KPI columns: minutes, tickets" in output


def test_an_unknown_comparison_key_is_refused(runner, tmp_path):
    def typo(spec):
        spec["comparison"]["max_weigth"] = 0.2
    output = _cli_error(runner, tmp_path, typo)
    assert "max_weigth" in output


def test_a_poisson_kpi_is_refused(runner, tmp_path):
    def poisson(spec):
        spec["kpis"][1]["model"] = "poisson"
    output = _cli_error(runner, tmp_path, poisson)
    assert "kpis[1].model" in output or "kpis.1.model" in output

"""The donor accounts of `comparison`: read, aggregated per donor x period like the account's
rows, left out with reasons, and the errors of a bad donor file."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from tests.conftest import invoke
from tests.simulate_donors import WEEKS, portfolio, write_portfolio
from valueproof.commands.pipeline import load_definition, read_donors
from valueproof.data import load_dataset
from valueproof.errors import DataError


def _donors(path):
    experiment = load_definition(path)
    return read_donors(experiment, load_dataset(experiment))


def test_every_kpi_gets_the_donors_and_the_account_last(tmp_path):
    teams, donors = portfolio()
    donors = donors[~((donors.account == "donor-04") & (donors.week == WEEKS[3]))]
    donors.loc[donors.account == "donor-02", "first_used"] = "2026-03-16"  # inside the window
    donors.loc[donors.account == "donor-05", "first_used"] = "2026-12-01"  # after it: kept
    result = _donors(write_portfolio(tmp_path, teams=teams, donors=donors,
                                     exclude=["donor-07"]))
    minutes = result.kpis["minutes"]
    assert minutes.values.shape == (9 + 1, len(WEEKS)) and minutes.n_pre == 8
    assert minutes.periods[0] == str(WEEKS[0]) and minutes.periods[8] == str(WEEKS[8])
    assert "donor-05" in minutes.donors and "donor-02" not in minutes.donors
    # the account's row: its teams' mean per week (one row per team and week)
    by_week = teams.groupby("week").minutes.mean().to_numpy()
    np.testing.assert_allclose(minutes.values[-1], by_week, rtol=1e-12)
    # a donor's row: its own value, read through comparison.columns
    one = donors[donors.account == "donor-01"].avg_minutes.to_numpy()
    np.testing.assert_allclose(minutes.values[minutes.donors.index("donor-01")], one)
    # a sum: the teams' tickets added up per week, without the last week (the data end on its
    # Monday, so the post window cuts it)
    tickets = result.kpis["tickets"]
    assert tickets.periods == minutes.periods[:-1]
    np.testing.assert_allclose(tickets.values[-1], teams.groupby("week").tickets.sum()[:-1])
    reasons = {e["donor"]: e["reason"] for e in result.excluded}
    assert reasons == {"donor-02": "rolled out on 2026-03-16",
                       "donor-07": "listed in comparison.exclude",
                       "donor-04": f"no value in {WEEKS[3]} for minutes"}
    assert sorted(result.kept) == sorted(set(donors.account) - set(reasons))
    assert result.to_dict()["excluded"][0] == {"donor": "donor-02",
                                               "reason": "rolled out on 2026-03-16"}


def test_a_rate_is_a_ratio_of_sums_for_donors_and_account(tmp_path):
    teams, donors = portfolio()
    teams["solved"] = (teams.tickets * 0.6).round()
    donors["solved"] = (donors.tickets * 0.5).round()
    path = write_portfolio(tmp_path, teams=teams, donors=donors)
    spec = yaml.safe_load(path.read_text())
    spec["kpis"][1] = {"id": "tickets", "aggregate": "rate", "numerator": "solved",
                       "denominator": "tickets", "better": "higher"}
    path.write_text(yaml.safe_dump(spec))
    result = _donors(path)
    rate = result.kpis["tickets"].values
    week = teams.groupby("week")[["solved", "tickets"]].sum()
    np.testing.assert_allclose(rate[-1], (week.solved / week.tickets).to_numpy())
    one = donors[donors.account == "donor-01"]
    np.testing.assert_allclose(rate[0], (one.solved / one.tickets).to_numpy())


def test_an_unknown_donor_column_names_the_key_and_the_file(runner, tmp_path):
    teams, donors = portfolio()
    path = write_portfolio(tmp_path, donors=donors.rename(columns={"avg_minutes": "avg_min"}))
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    output = " ".join(result.output.split())
    assert "donors.csv" in output and "'avg_minutes'" in output
    assert "comparison.columns.minutes" in output and "avg_min" in output


def test_too_few_donors_say_why_the_others_went(tmp_path):
    teams, donors = portfolio(n_donors=6)
    donors.loc[donors.account == "donor-01", "first_used"] = "2026-02-02"
    path = write_portfolio(tmp_path, teams=teams, donors=donors, exclude=["donor-02"])
    with pytest.raises(DataError) as error:
        _donors(path)
    message = str(error.value)
    assert "only 4 donor account(s) kept for KPI 'minutes'" in message
    assert "comparison.min_donors (5)" in message
    assert "donor-01: rolled out on 2026-02-02" in message
    assert "donor-02: listed in comparison.exclude" in message


def test_validate_counts_kept_and_left_out(runner, tmp_path):
    teams, donors = portfolio()
    donors.loc[donors.account == "donor-03", "first_used"] = "2026-01-05"
    result = invoke(runner, "validate", write_portfolio(tmp_path, donors=donors,
                                                       exclude=["donor-09"]))
    assert result.exit_code == 0, result.output
    assert ("Donors: 10 kept, 2 left out (1 rolled out, 1 listed in comparison.exclude)"
            in result.output)
    assert "left out donor-03: rolled out on 2026-01-05" in result.output
    assert "no control group" not in result.output  # the donors are the comparison


def test_with_groups_only_the_treatment_rows_are_the_account(tmp_path):
    teams, donors = portfolio()
    teams["site"] = teams.team.map({"T1": "north", "T2": "north", "T3": "south", "T4": "south"})
    path = write_portfolio(tmp_path, teams=teams, donors=donors)
    spec = yaml.safe_load(path.read_text())
    spec["groups"] = {"column": "site", "treatment": "north"}
    path.write_text(yaml.safe_dump(spec))
    minutes = _donors(path).kpis["minutes"]
    north = teams[teams.site == "north"].groupby("week").minutes.mean().to_numpy()
    np.testing.assert_allclose(minutes.values[-1], north, rtol=1e-12)

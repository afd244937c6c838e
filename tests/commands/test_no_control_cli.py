"""No control group, the vendor's other accounts as donors, through the CLI: analyze and report
on real files, bad donor inputs (exit 2, one message, no output), donors from PostgreSQL, and
the published Proposition 99 case (Arkhangelsky et al. 2021, Table 1: synthetic DiD -15.6)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
import yaml

from tests import pg
from tests.conftest import invoke, write_connections
from tests.simulate_donors import portfolio, write_portfolio

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _analyze(runner, path: Path) -> dict:
    out = path.with_name("results.json")
    result = invoke(runner, "analyze", path, "--json", out)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_analyze_and_report_without_naming_a_donor(runner, tmp_path):
    teams, donors = portfolio()
    donors.loc[donors.account == "donor-11", "first_used"] = "2026-02-16"
    path = write_portfolio(tmp_path, teams=teams, donors=donors, exclude=["donor-12"])
    results = _analyze(runner, path)
    assert results["method"] == "synthetic_did"
    assert results["donors"]["excluded"] == [
        {"donor": "donor-11", "reason": "rolled out on 2026-02-16"},
        {"donor": "donor-12", "reason": "listed in comparison.exclude"}]
    kpi = results["kpis"][0]
    assert kpi["method"] == "synthetic_did" and kpi["n_units"] == {"treatment": 1, "control": 10}
    assert kpi["smallest_p"] == pytest.approx(1 / 11)
    assert {w["donor"] for w in kpi["synthetic"]["weights"]} <= set(results["donors"]["kept"])
    html = tmp_path / "report.html"
    result = invoke(runner, "report", path, "--html", html, "-o", tmp_path / "report.pdf")
    assert result.exit_code == 0, result.output
    text = html.read_text()
    assert "Fjord Freight" in text
    for donor in sorted(set(donors.account)):
        assert donor not in text, donor  # the customer's report never names another customer


@pytest.mark.parametrize("change, words", [
    (lambda d: d["comparison"]["donors"].update(path="missing.csv"), ["missing.csv"]),
    (lambda d: d["comparison"]["donors"].update(unit="acount"),
     ["donors.csv", "'acount'", "comparison.donors.unit", "account"]),
    (lambda d: d["comparison"]["donors"].update(path="../outside.csv"), ["outside"]),
    (lambda d: d["comparison"].update(min_donors=20),
     ["only 12 donor account(s)", "comparison.min_donors (20)"]),
])
def test_bad_donor_inputs_are_one_message(runner, tmp_path, change, words):
    path = write_portfolio(tmp_path)
    definition = yaml.safe_load(path.read_text())
    change(definition)
    path.write_text(yaml.safe_dump(definition))
    out = tmp_path / "results.json"
    result = invoke(runner, "analyze", path, "--json", out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    output = " ".join(result.output.split())
    for word in words:
        assert word in output, output


def test_no_output_over_the_donors_file(runner, tmp_path):
    path = write_portfolio(tmp_path)
    before = (tmp_path / "donors.csv").read_bytes()
    result = invoke(runner, "analyze", path, "--json", tmp_path / "donors.csv")
    assert result.exit_code == 2 and "comparison.donors.path" in result.output
    assert (tmp_path / "donors.csv").read_bytes() == before


def test_the_fingerprint_covers_the_donors(tmp_path):
    from valueproof.commands.pipeline import load_definition
    from valueproof.data.sources import data_fingerprint

    path = write_portfolio(tmp_path)
    before = data_fingerprint(load_definition(path))
    with (tmp_path / "donors.csv").open("a") as donors:
        donors.write("donor-99,2026-03-02,20.0,60,\n")
    assert data_fingerprint(load_definition(path)) != before


def test_donor_values_that_are_not_numbers_name_the_column(runner, tmp_path):
    _, donors = portfolio()
    donors["avg_minutes"] = donors["avg_minutes"].astype(object)
    donors.loc[3, "avg_minutes"] = "n/a?"
    result = invoke(runner, "validate", write_portfolio(tmp_path, donors=donors))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "avg_minutes" in result.output and "non-numeric" in result.output


def test_donors_from_a_postgresql_table_match_the_file(runner, tmp_path, pg_url, monkeypatch):
    import psycopg

    path = write_portfolio(tmp_path)
    from_file = _analyze(runner, path)
    admin = pg_url.rsplit("/", 1)[0] + "/vp_donors"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS vp_donors")
        con.execute("CREATE DATABASE vp_donors")
        con.execute("DROP ROLE IF EXISTS donor_reader")
        con.execute("CREATE ROLE donor_reader LOGIN PASSWORD 'reader-pw'")
    pg.copy_csv(admin, "donor_weeks", tmp_path / "donors.csv",
                {"account": "text", "week": "date", "avg_minutes": "double precision",
                 "tickets": "integer", "first_used": "date"})
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute("GRANT SELECT ON donor_weeks TO donor_reader")
    parts = urlsplit(pg_url)
    reader = f"postgresql://donor_reader:reader-pw@{parts.hostname}:{parts.port}/vp_donors"
    write_connections(tmp_path, monkeypatch, warehouse=reader)
    definition = yaml.safe_load(path.read_text())
    definition["comparison"]["donors"] = {"connection": "warehouse", "table": "donor_weeks",
                                          "unit": "account", "time": "week",
                                          "rollout": "first_used"}
    db_path = tmp_path / "from_db.yaml"
    db_path.write_text(yaml.safe_dump(definition))
    from_db = _analyze(runner, db_path)
    for a, b in zip(from_file["kpis"], from_db["kpis"]):
        assert a["effect"] == pytest.approx(b["effect"], abs=1e-9)
        # the same donors and weights (to rounding: the two sources sum in different orders)
        assert [w["donor"] for w in a["synthetic"]["weights"]] == [
            w["donor"] for w in b["synthetic"]["weights"]]
        assert [w["weight"] for w in a["synthetic"]["weights"]] == pytest.approx(
            [w["weight"] for w in b["synthetic"]["weights"]], abs=1e-12)
    assert from_file["donors"] == from_db["donors"]
    result = invoke(runner, "validate", db_path)
    assert result.exit_code == 0 and "Donors: 12 kept, 0 left out" in result.output


def test_proposition_99_through_the_cli(runner, tmp_path):
    """California's cigarette sales (packs per capita) against 38 states, 1970-2000, Prop 99
    from 1989: the paper's estimates (Table 1) are -15.6 (synthetic DiD) and -27.3 (DiD; the
    synthetic control's -19.6, R's solver stopping early, in tests/stats/test_synthdid.py)."""
    states = pd.read_csv(FIXTURES / "california_prop99.csv", sep=None, engine="python")
    states[states.State == "California"].to_csv(tmp_path / "california.csv", index=False)
    states[states.State != "California"].to_csv(tmp_path / "states.csv", index=False)
    definition = {
        "name": "Proposition 99", "data": {"path": "california.csv", "unit": "State",
                                           "time": "Year"},
        "rollout": 1989, "pre": {"start": 1970, "end": 1988},
        "post": {"start": 1989, "end": 2000},
        "comparison": {"donors": {"path": "states.csv", "unit": "State", "time": "Year"}},
        "kpis": [{"id": "packs", "label": "Packs per capita", "column": "PacksPerCapita",
                  "better": "lower"}],
    }
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(definition))
    kpi = _analyze(runner, path)["kpis"][0]
    assert kpi["n_units"] == {"treatment": 1, "control": 38}
    assert round(kpi["effect"], 1) == -15.6
    assert round(kpi["synthetic"]["estimators"]["did"]["effect"], 1) == -27.3
    assert kpi["warnings"] == []  # one account against donors: no 'single unit' finding
    assert kpi["smallest_p"] == pytest.approx(1 / 39)


def _own_rows(teams: pd.DataFrame) -> pd.DataFrame:
    """The account's one team as a donor account (the vendor's table holding this account)."""
    return teams.rename(columns={"team": "account", "minutes": "avg_minutes"}).assign(
        account="fjord-freight", first_used=None)


@pytest.mark.parametrize("case, words", [
    ("repeated", ["3 row(s) repeat another row exactly", "account 'donor-02'",
                  "comparison.donors.time"]),
    ("own", ["donor account 'fjord-freight'", "this account itself", "comparison.exclude"]),
    ("named", ["donor account 'Fjord Freight'", "the customer's name", "comparison.exclude"]),
    ("numbers", ["column 'week' (comparison.donors.time) holds numbers", "use dates"]),
    ("cap", ["comparison.max_weight: 0.05", "KPI 'minutes'", "at least 0.091"]),
    ("month", ["KPI 'minutes' has 3 whole period(s) before the rollout and 0 after",
               "choose a shorter analysis.period"]),
    ("rollout", ["'soon'", "comparison.donors.date_format", "comparison.donors.rollout"]),
    ("empty", ["no donor rows", "column 'account', comparison.donors.unit"]),
    ("rolled", ["only 0 donor account(s) kept for KPI 'minutes'", "comparison.min_donors (5)",
                "left out: 12 rolled out (e.g. donor-01: rolled out on 2026-02-01;"]),
    ("unknown", ["comparison.exclude: '5' not found in column 'account'", "did you mean '05'?"]),
    ("elsewhen", ["no donor row falls in the compared windows", "2026-01-05 – 2026-03-01",
                  "comparison.donors.time"]),
])
def test_wrong_donor_data_is_one_message(runner, tmp_path, case, words):
    teams, donors = portfolio()
    settings, period = {}, "week"
    if case == "repeated":  # a double export of part of a one-row-per-week table
        donors = pd.concat([donors, donors[donors.account == "donor-02"].head(3)])
    elif case == "own":  # exported rounded to two decimals: still the account
        teams = teams[teams.team == "T1"]
        donors = pd.concat([donors, _own_rows(teams)[donors.columns].round(2)])
    elif case == "named":
        donors.loc[donors.account == "donor-02", "account"] = "Fjord Freight"
    elif case == "unknown":  # a typo would keep a donor the vendor meant to leave out
        settings["exclude"] = ["5"]
        donors["account"] = donors.account.str.replace("donor-", "")
    elif case == "rolled":  # every donor got the product before the post window ended
        donors["first_used"] = "2026-02-01"
    elif case == "empty":  # the header only
        donors = donors.head(0)
    elif case == "elsewhen":  # a year too early
        donors["week"] = donors["week"] - pd.Timedelta(weeks=52)
    elif case == "numbers":
        donors["week"] = range(len(donors))
    elif case == "cap":  # 12 donors: the placebo fits blend 11, so no cap below 1/11
        settings["max_weight"] = 0.05
    elif case == "month":  # four post weeks in a March the rollout cuts: no whole month after
        period = "month"
    else:
        donors["first_used"] = donors["first_used"].astype(object)
        donors.loc[0, "first_used"] = "soon"
    path = write_portfolio(tmp_path, teams=teams, donors=donors, **settings)
    path.write_text(path.read_text().replace("period: week", f"period: {period}"))
    for command in ("validate", "analyze"):
        out = tmp_path / "results.json"
        result = invoke(runner, command, path, *(["--json", out] if command == "analyze" else []))
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and not out.exists()
        output = " ".join(result.output.split())
        assert output.startswith("Error:") and output.count("Error:") == 1, output
        for word in words:
            assert word in output, output


def test_raw_donor_rows_many_per_week_are_aggregated(runner, tmp_path):
    """Raw rows (several per donor and week, some identical) are the data's shape, not a double
    export: each donor's week is their mean, the same as one row per week."""
    teams, donors = portfolio()
    weekly = _analyze(runner, write_portfolio(tmp_path, teams=teams, donors=donors, n_kpis=1))
    raw = pd.concat([donors.assign(avg_minutes=donors.avg_minutes + shift)
                     for shift in (-1.0, 0.0, 0.0, 1.0)])
    (tmp_path / "raw").mkdir()
    from_raw = _analyze(runner, write_portfolio(tmp_path / "raw", teams=teams, donors=raw,
                                                n_kpis=1))
    assert from_raw["kpis"][0]["effect"] == pytest.approx(weekly["kpis"][0]["effect"], abs=1e-9)


def test_a_donor_id_with_control_characters_is_printed_clean(runner, tmp_path):
    _, donors = portfolio()
    hostile = "evil\x1b[31m\x07\u202e=HYPERLINK(\"x\")<b>"
    donors.loc[donors.account == "donor-03", "account"] = hostile
    path = write_portfolio(tmp_path, donors=donors, exclude=[hostile])
    result = invoke(runner, "validate", path)
    assert result.exit_code == 0, result.output
    assert "Donors: 11 kept, 1 left out" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\u202e" not in result.output
    html = tmp_path / "report.html"
    result = invoke(runner, "report", path, "--html", html, "-o", tmp_path / "report.pdf",
                    "--json", tmp_path / "results.json")
    assert result.exit_code == 0, result.output
    assert "HYPERLINK" not in html.read_text() and "evil" not in html.read_text()
    assert json.loads((tmp_path / "results.json").read_text())["donors"]["excluded"] == [
        {"donor": hostile, "reason": "listed in comparison.exclude"}]


def test_donors_from_a_duckdb_file_match_the_file(runner, tmp_path):
    import duckdb

    path = write_portfolio(tmp_path)
    from_file = _analyze(runner, path)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("CREATE TABLE donor_weeks AS SELECT * FROM read_csv_auto(?)",
                [str(tmp_path / "donors.csv")])
    con.close()
    definition = yaml.safe_load(path.read_text())
    definition["comparison"]["donors"] = {"url": "duckdb:///warehouse.duckdb",
                                          "query": "SELECT * FROM donor_weeks WHERE account "
                                                   "<> 'donor-01'",
                                          "unit": "account", "time": "week",
                                          "rollout": "first_used"}
    db_path = tmp_path / "from_db.yaml"
    db_path.write_text(yaml.safe_dump(definition))
    result = invoke(runner, "validate", db_path)
    assert result.exit_code == 0 and "Donors: 11 kept, 0 left out" in result.output
    definition["comparison"]["donors"].pop("query")
    definition["comparison"]["donors"]["table"] = "donor_weeks"
    db_path.write_text(yaml.safe_dump(definition))
    from_db = _analyze(runner, db_path)
    assert [k["effect"] for k in from_db["kpis"]] == pytest.approx(
        [k["effect"] for k in from_file["kpis"]], abs=1e-9)
    assert from_file["donors"] == from_db["donors"]


def test_a_donor_matching_the_account_in_one_kpi_only_is_kept(runner, tmp_path):
    """Only a copy of every KPI is taken for the account itself: a donor whose weekly totals
    happen to equal the account's, but whose minutes differ, is an ordinary donor."""
    teams, donors = portfolio()
    totals = teams.groupby("week").tickets.sum()
    donors.loc[donors.account == "donor-02", "tickets"] = donors.week.map(totals)
    results = _analyze(runner, write_portfolio(tmp_path, teams=teams, donors=donors))
    assert "donor-02" in results["donors"]["kept"]
    assert results["kpis"][1]["n_units"]["control"] == 12


def test_too_few_donors_ask_for_more_of_them_in_the_plan(runner, tmp_path):
    """12 donors: no effect can reach significance, and only more donors (not a longer pilot)
    change that — the plan's default step says so, in the reader's language."""
    path = write_portfolio(tmp_path, n_kpis=1)
    result = invoke(runner, "analyze", path)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "Together: compare again once more comparable accounts are available" in output
    assert "extend the pilot" not in output
    html = tmp_path / "report.html"
    result = invoke(runner, "report", path, "--locale", "pl", "--html", html, "-o",
                    tmp_path / "report.pdf")
    assert result.exit_code == 0, result.output
    assert "powtórzyć porównanie, gdy dostępnych będzie więcej porównywalnych kont" in " ".join(
        html.read_text().split())

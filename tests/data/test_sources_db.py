"""Observations from PostgreSQL (`data.connection` + `data.table`/`data.query`), through the CLI.

A real PostgreSQL cluster (the `pg_url` fixture: .ci/run's, or a throwaway one started from
Debian's binaries) holds the examples' tables, loaded with COPY from their CSVs. The same
experiment read from the CSV and from PostgreSQL must give the same results JSON; every error
is one message with exit code 2; the password never appears in any output; the session is
read-only. The database is the operator's connection 'warehouse' (connections.yaml, with the
password from the environment); the definitions only name it.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests import pg
from tests.conftest import EXAMPLES, invoke, panel_frame, write_connections

PASSWORD = "An@lyst/pw#Secret-7"  # '@', '/', '#': percent-encoded when put into the URL
PASSWORD_VARIABLE = "VP_TEST_PG_PASSWORD"
IGNORED = {"data_fingerprint", "definition_hash", "source"}

TICKETS = {"ticket_id": "text", "agent_id": "text", "cohort": "text", "created_at": "date",
           "handle_minutes": "double precision", "resolved_first_contact": "integer",
           "csat": "numeric(4,1)", "reopened": "integer"}
AGENT_DAYS = {"agent_id": "text", "team": "text", "date": "date", "tickets": "integer",
              "handle_minutes": "double precision", "resolved_first_contact": "integer",
              "escalated": "integer"}
PANEL = {"unit": "text", "group": "text", "day": "date", "minutes": "double precision",
         "resolved": "integer", "calls": "integer"}


@pytest.fixture(scope="module")
def database(pg_url, tmp_path_factory):
    """(host, port) of a fresh database `vp_test` holding the tables, readable by the role
    `analyst` (whose password is PASSWORD), who may also write to `crm.audit`: only the
    read-only session stops a query from doing so."""
    import psycopg

    parts = urlsplit(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS vp_test")
        con.execute("CREATE DATABASE vp_test")
        con.execute("DROP ROLE IF EXISTS analyst")
        con.execute(f"CREATE ROLE analyst LOGIN PASSWORD '{PASSWORD}'")
    admin = pg_url.rsplit("/", 1)[0] + "/vp_test"
    folder = tmp_path_factory.mktemp("tables")
    frame = panel_frame()
    frame["calls"] = (frame["minutes"] * 7).round().astype(int) % 5 + 1
    frame.to_csv(folder / "panel.csv", index=False)
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute("CREATE SCHEMA crm")
        con.execute("CREATE TABLE crm.audit (note text)")
        con.execute("CREATE SEQUENCE crm.counter")
        con.execute("CREATE FUNCTION crm.note_access() RETURNS boolean LANGUAGE plpgsql AS "
                    "$$ BEGIN INSERT INTO crm.audit VALUES ('read'); RETURN true; END $$")
    pg.copy_csv(admin, "tickets", EXAMPLES / "support_copilot/data/tickets.csv", TICKETS)
    pg.copy_csv(admin, "agent_days", EXAMPLES / "team_waves/data/agent_days.csv", AGENT_DAYS)
    pg.copy_csv(admin, "crm.panel", folder / "panel.csv", PANEL)
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute("GRANT USAGE ON SCHEMA crm TO analyst")
        con.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public, crm TO analyst")
        con.execute("GRANT INSERT ON crm.audit TO analyst")
        con.execute("GRANT USAGE, UPDATE ON crm.counter TO analyst")
    yield {"host": parts.hostname, "port": parts.port, "admin": admin}


@pytest.fixture
def analyst_url(database, monkeypatch, tmp_path):
    """The analyst's URL as the operator writes it, kept as the connection 'warehouse'."""
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    url = (f"postgresql://analyst:${{{PASSWORD_VARIABLE}}}@{database['host']}:"
           f"{database['port']}/vp_test")
    write_connections(tmp_path, monkeypatch, warehouse=url)
    return url


def _audit_rows(database) -> int:
    import psycopg

    with psycopg.connect(database["admin"]) as con:
        return con.execute("SELECT count(*) FROM crm.audit").fetchone()[0]


def _copy_example(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target)
    return target / "experiment.yaml"


def _with_data(path: Path, **data) -> Path:
    """The definition at `path` reading its observations from `data` (url, table/query, …)."""
    definition = yaml.safe_load(path.read_text())
    definition["data"].pop("path", None)
    definition["data"].update(data)
    target = path.with_name("from_db.yaml")
    target.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False))
    return target


def _results(runner, path: Path) -> dict:
    out = path.with_suffix(".json")
    result = invoke(runner, "analyze", path, "--json", out)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def _assert_same(a, b, where="results"):
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            if key not in IGNORED:
                _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, (where, a, b)
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (where, a, b)
    else:
        assert a == b, (where, a, b)


def _no_password(*texts: str) -> None:
    for text in texts:
        for secret in (PASSWORD, "An%40lyst%2Fpw%23Secret-7", "Secret-7"):
            assert secret not in text


# --- the same results from the CSV and from PostgreSQL ---------------------------------------

def test_support_example_from_postgres_gives_the_csv_results(analyst_url, runner, tmp_path):
    """Means, rates, a KPI with missing values (csat, numeric in PostgreSQL), a column group."""
    path = _copy_example("support_copilot", tmp_path)
    from_csv = _results(runner, path)
    from_db = _results(runner, _with_data(path, connection="warehouse", table="public.tickets"))
    _assert_same(from_csv, from_db)
    assert [k["n_obs"] if "n_obs" in k else k["id"] for k in from_db["kpis"]]  # not empty
    assert from_db["data_fingerprint"] != from_csv["data_fingerprint"]


def test_rollout_in_waves_from_postgres_gives_the_csv_results(analyst_url, runner, tmp_path):
    """Ratios with a denominator, waves from the rollout file next to the definition."""
    path = _copy_example("team_waves", tmp_path)
    from_csv = _results(runner, path)
    from_db = _results(runner, _with_data(
        path, connection="warehouse",
        query="SELECT * FROM agent_days WHERE date >= DATE '2026-01-01'"))
    _assert_same(from_csv, from_db)
    assert from_db["waves"] if "waves" in from_db else from_db["kpis"]


def _panel_definition(tmp_path: Path, groups: dict, kpis: list[dict]) -> Path:
    frame = panel_frame()
    frame["calls"] = (frame["minutes"] * 7).round().astype(int) % 5 + 1
    frame.to_csv(tmp_path / "data.csv", index=False)
    definition = {
        "name": "Panel pilot", "customer": {"name": "Test Customer"},
        "data": {"path": "data.csv", "unit": "unit", "time": "day"},
        "groups": groups, "rollout": "2026-03-02",
        "pre": {"start": "2026-02-02", "end": "2026-03-01"}, "kpis": kpis,
    }
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    return path


#: every KPI kind and weight, for the database sources' comparison with CSV
EVERY_KPI_KIND = [
    {"id": "minutes", "column": "minutes", "better": "lower", "weight": "units"},
    {"id": "log_minutes", "column": "minutes", "better": "lower", "transform": "log"},
    {"id": "resolved", "numerator": "resolved", "aggregate": "rate", "better": "higher"},
    {"id": "per_call", "numerator": "resolved", "denominator": "calls", "aggregate": "rate",
     "better": "higher", "weight": "units"},
    {"id": "calls", "column": "calls", "aggregate": "sum", "better": "higher"},
    {"id": "volume", "aggregate": "count", "better": "higher"},
]


def test_every_kpi_kind_and_weight_from_postgres_gives_the_csv_results(analyst_url, runner,
                                                                        tmp_path):
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             EVERY_KPI_KIND)
    from_csv = _results(runner, path)
    from_db = _results(runner, _with_data(path, connection="warehouse", table="crm.panel"))
    _assert_same(from_csv, from_db)
    assert len(from_db["kpis"]) == 6


def test_groups_from_a_file_with_postgres_data(analyst_url, runner, tmp_path):
    frame = panel_frame()
    assignment = frame[["unit", "group"]].drop_duplicates()
    assignment.to_csv(tmp_path / "groups.csv", index=False)
    path = _panel_definition(
        tmp_path, {"file": "groups.csv", "treatment": "T", "control": "C"},
        [{"id": "minutes", "column": "minutes", "better": "lower"}])
    from_csv = _results(runner, path)
    # the query leaves the group column out: the file says who is who
    from_db = _results(runner, _with_data(
        path, connection="warehouse",
        query="SELECT unit, day::date AS day, minutes FROM crm.panel -- who is who: the file\n;"))
    _assert_same(from_csv, from_db)


def test_duplicate_and_conflicting_rows_are_found_by_the_database(database, analyst_url, runner,
                                                                 tmp_path):
    """The duplicate checks run over every column of the table (a row ID included), in the
    database: two exact copies and one row whose ID and keys repeat with another value give
    the findings the CSV gives."""
    import pandas as pd

    frame = panel_frame().assign(row_id=lambda f: [f"R{i:05d}" for i in range(len(f))])
    conflicting = frame.iloc[[5]].assign(minutes=frame["minutes"].iloc[5] + 3)
    frame = pd.concat([frame, frame.iloc[[0, 1]], conflicting], ignore_index=True)
    _admin_table(database, "crm.exported", frame,
                 {"unit": "text", '"group"': "text", "day": "date", "minutes": "double precision",
                  "resolved": "integer", "row_id": "text"})
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    frame.to_csv(tmp_path / "data.csv", index=False)
    found = {}
    for name, target in (("csv", path),
                         ("db", _with_data(path, connection="warehouse", table="crm.exported"))):
        quality = _results(runner, target)["data_quality"]
        found[name] = {item["kind"]: item["params"] for item in quality
                       if item["kind"] in ("duplicate_rows", "conflicting_rows")}
    assert found["csv"]["duplicate_rows"]["rows"] == found["db"]["duplicate_rows"]["rows"] == 2
    assert found["csv"]["conflicting_rows"]["sets"] == found["db"]["conflicting_rows"]["sets"] == 1
    assert found["db"]["conflicting_rows"]["example"] == "unit U00"


def test_a_primary_key_spares_the_duplicate_checks(database, analyst_url, runner, tmp_path,
                                                   monkeypatch):
    """A table with a primary key holds no duplicates: the database is not asked to count them
    (the second pass over every column); `duplicates: skip` never asks."""
    import psycopg

    from valueproof.data.backends.postgres import PostgresSource

    statements = []
    original = PostgresSource._read_adbc

    def spy(self, statement, *rest):
        statements.append(statement)
        return original(self, statement, *rest)

    monkeypatch.setattr(PostgresSource, "_read_adbc", spy)
    frame = panel_frame().assign(row_id=lambda f: range(len(f)))
    _admin_table(database, "crm.keyed", frame,
                 {"unit": "text", '"group"': "text", "day": "date", "minutes": "double precision",
                  "resolved": "integer", "row_id": "integer"})
    with psycopg.connect(database["admin"], autocommit=True) as con:
        con.execute("ALTER TABLE crm.keyed ADD PRIMARY KEY (row_id)")
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    from_csv = _results(runner, path)
    _assert_same(from_csv, _results(runner, _with_data(path, connection="warehouse",
                                                       table="crm.keyed")))
    assert len(statements) == 1 and "__variants" not in statements[0]
    _results(runner, _with_data(path, connection="warehouse", table="crm.panel"))
    assert "__variants" in statements[1] and len(statements) == 3
    _results(runner, _with_data(path, connection="warehouse", table="crm.panel", duplicates="skip"))
    assert len(statements) == 4


# --- groups, rollout and adoption tables from the database -----------------------------------

def test_groups_from_a_database_table(database, analyst_url, runner, tmp_path):
    frame = panel_frame()
    assignment = frame[["unit", "group"]].drop_duplicates()
    assignment.to_csv(tmp_path / "groups.csv", index=False)
    _admin_table(database, "crm.pilot_groups", assignment, {"unit": "text", '"group"': "text"})
    path = _panel_definition(
        tmp_path, {"file": "groups.csv", "treatment": "T", "control": "C"},
        [{"id": "minutes", "column": "minutes", "better": "lower"}])
    from_csv = _results(runner, path)
    definition = yaml.safe_load(_with_data(path, connection="warehouse", table="crm.panel").read_text())
    definition["groups"] = {"connection": "warehouse", "table": "crm.pilot_groups",
                            "treatment": "T", "control": "C"}
    path.with_name("db.yaml").write_text(yaml.safe_dump(definition, sort_keys=False))
    _assert_same(from_csv, _results(runner, path.with_name("db.yaml")))


def test_rollout_waves_from_a_database_table(database, analyst_url, runner, tmp_path):
    import datetime as dt

    import pandas as pd

    path = _copy_example("team_waves", tmp_path)
    waves = pd.read_csv(path.parent / "data/waves.csv", dtype=str, keep_default_na=False)
    waves["rollout"] = [dt.date.fromisoformat(v) if v else None for v in waves["rollout"]]
    _admin_table(database, "crm.waves", waves, {"unit": "text", "rollout": "date"})
    from_csv = _results(runner, path)
    definition = yaml.safe_load(path.read_text())
    definition["rollout"] = {"connection": "warehouse",
                             "query": "SELECT unit, rollout FROM crm.waves"}
    path.with_name("db.yaml").write_text(yaml.safe_dump(definition, sort_keys=False))
    _assert_same(from_csv, _results(runner, path.with_name("db.yaml")))


def test_adoption_tables_from_the_database(database, analyst_url, runner, tmp_path):
    """Usage and vendor tickets from tables (a date and a timestamp column): the same adoption,
    support and health figures as from the files, and the appendix names the tables."""
    import pandas as pd

    path = _copy_example("support_copilot", tmp_path)
    data = path.parent / "data"
    usage = pd.read_csv(data / "copilot_usage.csv")
    _admin_table(database, "crm.usage", usage,
                 {"user_id": "text", "used_on": "date", "feature": "text", "actions": "integer"})
    support = pd.read_csv(data / "vendor_support.csv")
    support = support.astype(object).where(support.notna(), None)
    _admin_table(database, "crm.vendor_support", support,
                 {"ticket_id": "text", "opened_at": "timestamp", "resolved_at": "timestamp",
                  "priority": "text"})
    from_csv = _results(runner, path)
    definition = yaml.safe_load(path.read_text())
    adoption = definition["adoption"]
    adoption["usage"] = {**adoption["usage"], "connection": "warehouse", "table": "crm.usage"}
    adoption["tickets"] = {**adoption["tickets"], "connection": "warehouse",
                           "query": "SELECT * FROM crm.vendor_support"}
    for name in ("usage", "tickets"):
        adoption[name].pop("path")
    path.with_name("db.yaml").write_text(yaml.safe_dump(definition, sort_keys=False))
    from_db = _results(runner, path.with_name("db.yaml"))
    named = [source.pop("path") for source in from_db["adoption"]["sources"]]
    for source in from_csv["adoption"]["sources"]:
        source.pop("path")
    _assert_same(from_csv, from_db)
    assert named[0] == "connection 'warehouse' · crm.usage"
    assert named[-1].endswith(" · query") and from_db["health"]


@pytest.mark.parametrize("section, spec, words", [
    ("groups", {"connection": "warehouse", "treatment": "T"},
     ["groups", "'table'", "'query'"]),
    ("groups", {"column": "group", "table": "t", "treatment": "T"},
     ["groups", "give its 'connection'"]),
    ("rollout", {"file": "w.csv", "connection": "warehouse", "table": "w"},
     ["rollout", "exactly one of 'column'"]),
    ("groups", {"url": "postgresql://x@localhost/db", "table": "t", "treatment": "T"},
     ["groups.url", "names a postgresql: database", "connection: NAME"]),
])
def test_table_keys_are_checked(section, spec, words, runner, tmp_path):
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    definition = yaml.safe_load(path.read_text())
    definition[section] = spec
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output, result.output


# --- the aggregation runs in the database -----------------------------------------------------

@pytest.fixture
def stored(monkeypatch):
    """The Arrow tables the database sent, in order."""
    from valueproof.data.backends.database import DatabaseSource

    tables = []
    original = DatabaseSource._store

    def spy(con, arrow, *rest):
        table = arrow if hasattr(arrow, "num_rows") else arrow.read_all()
        tables.append(table)
        return original(con, table, *rest)

    monkeypatch.setattr(DatabaseSource, "_store", staticmethod(spy))
    return tables


def _admin_table(database, name: str, frame, columns: dict[str, str]) -> None:
    """`frame` as table `name` of vp_test, readable by the analyst."""
    import psycopg

    with psycopg.connect(database["admin"], autocommit=True) as con:
        con.execute(f"DROP TABLE IF EXISTS {name}")
        con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
        with con.cursor().copy(f"COPY {name} FROM STDIN") as copy:
            for row in frame.itertuples(index=False):
                copy.write_row(row)
        con.execute(f"GRANT SELECT ON {name} TO analyst")


def test_postgres_sends_cells_not_rows(analyst_url, runner, tmp_path, stored):
    """One row per unit, group, week and side of the rollout comes back, with the row counts
    that add up to the table's rows."""
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             EVERY_KPI_KIND)
    _results(runner, _with_data(path, connection="warehouse", table="crm.panel"))
    rows = len(panel_frame())
    (cells,) = stored
    assert "__n" in cells.column_names and "minutes" not in cells.column_names
    assert sum(cells.column("__n").to_pylist()) == rows
    assert cells.num_rows == 24 * 8  # 24 units × 8 weeks, each wholly before or after
    assert cells.num_rows < rows / 2


def test_kpi_columns_the_database_holds_as_text_keep_the_row_path(analyst_url, runner, tmp_path,
                                                                  stored):
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    from_csv = _results(runner, path)
    from_db = _results(runner, _with_data(
        path, connection="warehouse",
        query='SELECT unit, "group", day, minutes::text AS minutes FROM crm.panel'))
    _assert_same(from_csv, from_db)
    assert "__n" not in stored[0].column_names and stored[0].num_rows == len(panel_frame())


def test_a_window_edge_drawn_from_the_data_is_cut_in_the_database(database, analyst_url, runner,
                                                                  tmp_path, stored):
    """Default windows: a post window of two days (Monday and Tuesday) makes a pre window of
    the Saturday and Sunday before, which splits the week the database first sent as one cell;
    it is asked again with the week cut there, and gives what the rows give."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(5)
    days = pd.date_range("2026-02-02", "2026-03-03").date
    frame = pd.DataFrame([{"unit": f"U{u:02d}", "group": "T" if u < 12 else "C", "day": day,
                           "calls": int(rng.integers(0, 6))} for u in range(24) for day in days])
    frame.to_csv(tmp_path / "data.csv", index=False)
    _admin_table(database, "daily_calls", frame,
                 {"unit": "text", '"group"': "text", "day": "date", "calls": "integer"})
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump({
        "name": "Short post window", "customer": {"name": "Test Customer"},
        "data": {"path": "data.csv", "unit": "unit", "time": "day"},
        "groups": {"column": "group", "treatment": "T", "control": "C"},
        "rollout": "2026-03-02", "analysis": {"period": "week"},
        "kpis": [{"id": "calls", "column": "calls", "aggregate": "sum", "better": "higher"}],
    }, sort_keys=False))
    from_csv = _results(runner, path)
    assert from_csv["pre"]["start"] == "2026-02-28"  # mid-week: the case tested
    from_db = _results(runner, _with_data(path, connection="warehouse", table="daily_calls"))
    _assert_same(from_csv, from_db)
    assert len(stored) == 2 and stored[1].num_rows > stored[0].num_rows


def test_timestamps_fall_on_their_date_in_the_definitions_zone_in_the_database(
        database, analyst_url, runner, tmp_path, stored):
    """A timestamptz at 01:00 UTC on a Monday is Sunday in New York: with data.timezone
    America/New_York it belongs to the week before (weeks start on Monday), whatever the
    server's or the role's own time zone (here Tokyo); the CSV with the same instants agrees."""
    import psycopg

    frame = panel_frame()
    stamps = pd_timestamps(frame["day"])
    _admin_table(database, "stamped", frame.assign(day=stamps),
                 {"unit": "text", '"group"': "text", "day": "timestamptz",
                  "minutes": "double precision", "resolved": "integer"})
    with psycopg.connect(database["admin"], autocommit=True) as con:
        con.execute("ALTER ROLE analyst SET timezone = 'Asia/Tokyo'")
    try:
        path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                                 [{"id": "minutes", "column": "minutes", "better": "lower"},
                                  {"id": "volume", "aggregate": "count", "better": "higher"}])
        frame.assign(day=stamps.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")).to_csv(
            tmp_path / "data.csv", index=False)
        definition = yaml.safe_load(path.read_text())
        definition["analysis"] = {"period": "week"}
        results = {}
        for zone in ("America/New_York", "UTC"):
            definition["data"]["timezone"] = zone
            path.write_text(yaml.safe_dump(definition, sort_keys=False))
            results[zone] = (_results(runner, path), _results(runner, _with_data(
                path, connection="warehouse", table="stamped")))
            _assert_same(*results[zone])
        assert all(table.column_names[:3] == ["unit", "group", "day"] for table in stored)
        new_york, utc = (results[zone][1]["kpis"][0] for zone in ("America/New_York", "UTC"))
        assert new_york["effect"] != utc["effect"]  # the zone moved rows across a week
    finally:
        with psycopg.connect(database["admin"], autocommit=True) as con:
            con.execute("ALTER ROLE analyst RESET timezone")


def pd_timestamps(days):
    """Each day at 01:00 UTC (Monday 01:00 UTC is Sunday evening in New York)."""
    import pandas as pd

    return pd.to_datetime(days).dt.tz_localize("UTC") + pd.Timedelta(hours=1)


# --- credentials and redaction ---------------------------------------------------------------

def test_the_password_never_appears_in_any_output(analyst_url, runner, tmp_path):
    path = _with_data(_copy_example("support_copilot", tmp_path), connection="warehouse",
                      table="tickets")
    out = tmp_path / "out"
    result = invoke(runner, "analyze", path, "--json", out.with_suffix(".json"))
    assert result.exit_code == 0, result.output
    report = invoke(runner, "report", path, "-o", out.with_suffix(".pdf"),
                    "--html", out.with_suffix(".html"), "--json", tmp_path / "r.json")
    assert report.exit_code == 0, report.output
    validate = invoke(runner, "validate", path)
    assert validate.exit_code == 0, validate.output
    assert "connection 'warehouse'" in validate.output  # the source, by its name
    from pypdf import PdfReader

    pdf_text = "\n".join(p.extract_text() for p in PdfReader(out.with_suffix(".pdf")).pages)
    assert "Average handle time" in pdf_text
    texts = (result.output, report.output, validate.output, pdf_text,
             out.with_suffix(".json").read_text(), (tmp_path / "r.json").read_text(),
             out.with_suffix(".html").read_text(), out.with_suffix(".pdf").read_bytes()
             .decode("latin-1"))
    _no_password(*texts)
    for text in texts:  # nor the host: the operator's, not the customer's business
        assert "127.0.0.1" not in text and "analyst:" not in text


def test_a_password_written_into_the_url_is_redacted_in_errors(database, runner, tmp_path,
                                                                 monkeypatch):
    from urllib.parse import quote

    url = (f"postgresql://analyst:{quote(PASSWORD, safe='')}@{database['host']}:"
           f"{database['port']}/vp_test")
    write_connections(tmp_path, monkeypatch, warehouse=url)
    path = _with_data(_copy_example("support_copilot", tmp_path), connection="warehouse",
                      table="nosuch")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2
    assert "connection 'warehouse'" in result.output and "nosuch" in result.output
    _no_password(result.output)


def test_a_missing_environment_variable_is_named(database, runner, tmp_path, monkeypatch):
    monkeypatch.delenv("VP_NOT_SET", raising=False)
    url = f"postgresql://analyst:${{VP_NOT_SET}}@{database['host']}:{database['port']}/vp_test"
    connections = write_connections(tmp_path, monkeypatch, warehouse=url)
    path = _with_data(_copy_example("support_copilot", tmp_path), connection="warehouse",
                      table="tickets")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2
    assert "environment variable VP_NOT_SET is not set" in result.output
    assert f"connection 'warehouse' in {connections}" in result.output


# --- one message per error, exit 2, URL redacted ---------------------------------------------

def _run_error(runner, path: Path) -> str:
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output  # one message
    _no_password(result.output)
    return result.output


@pytest.mark.parametrize("change, words", [
    ({"port": "free"}, ["could not be reached", "check the host and port"]),
    ({"password": "wrong-Secret-7"}, ["refused the user name or password"]),
    ({"database": "nosuchdb"}, ["database does not exist", "nosuchdb"]),
    ({"table": "crm.nosuch"}, ["data.table names a table the database does not have",
                               "'crm.nosuch'"]),
    ({"table": "nosuch.panel"}, ["data.table names a table the database does not have",
                                 "'nosuch.panel'"]),
    ({"query": "SELECT * FROM crm.nosuch"},
     ["data.query names a table the database does not have", "crm.nosuch"]),
    ({"query": "SELECT unit, day, nosuch FROM crm.panel"},
     ["data.query names a column the table does not have", "nosuch"]),
    ({"kpi_column": "minutez"}, ["column 'minutez' (from kpis[0] 'minutes') not found",
                                 "did you mean 'minutes'"]),
    ({"query": "DELETE FROM crm.panel"}, ["data.query is not a SELECT", "DELETE"]),
    ({"query": "SELECT * FROM crm.panel; DROP TABLE crm.panel"}, ["2 statements"]),
    ({"query": "SELECT * INTO crm.copy FROM crm.panel"}, ["data.query writes (INTO"]),
    ({"query": "SELECT * FROM crm.panel WHERE"}, ["data.query is not valid SQL"]),
    ({"query": "SELECT a.unit, a.day, a.minutes, a.group FROM crm.panel a, crm.panel b, "
               "crm.panel c WHERE a.minutes + b.minutes + c.minutes < -1e9", "timeout": 1},
     ["did not finish within data.timeout (1 s)"]),
])
def test_database_errors_are_one_message(change, words, database, analyst_url, runner,
                                         tmp_path, monkeypatch):
    url = analyst_url
    if change.get("port") == "free":
        url = url.replace(f":{database['port']}/", f":{pg.free_port()}/")
    if "password" in change:
        monkeypatch.setenv(PASSWORD_VARIABLE, change["password"])
    if "database" in change:
        url = url.replace("/vp_test", "/" + change["database"])
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": change.get("kpi_column", "minutes"),
                               "better": "lower"}])
    write_connections(tmp_path, monkeypatch, warehouse=url)
    data = {"connection": "warehouse"}
    data.update({key: change[key] for key in ("query", "timeout") if key in change})
    if "query" not in data:
        data["table"] = change.get("table", "crm.panel")
    output = _run_error(runner, _with_data(path, **data))
    for word in words:
        assert word in output, output
    if "password" in change:
        assert "wrong-Secret-7" not in output
    assert "connection 'warehouse'" in output or "data.query" in output


# --- the read-only session -------------------------------------------------------------------

@pytest.mark.parametrize("query, words", [
    # refused before it is sent: sqlglot sees the INSERT inside the WITH
    (("WITH w AS (INSERT INTO crm.audit VALUES ('x') RETURNING note) "
      "SELECT p.* FROM crm.panel p, w"), ["writes (INSERT inside the SELECT)"]),
    # a function that writes: refused before it is sent, as every function off the allowlist
    ("SELECT * FROM crm.panel WHERE crm.note_access()",
     ["data.query calls crm.note_access(), a function of a schema"]),
    ("SELECT p.*, nextval('crm.counter') AS n FROM crm.panel p",
     ["data.query calls nextval(), which a definition may not call"]),
])
def test_a_query_that_writes_fails(query, words, database, analyst_url, runner, tmp_path):
    before = _audit_rows(database)
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    output = _run_error(runner, _with_data(path, connection="warehouse", query=query))
    for word in words:
        assert word in output, output
    assert _audit_rows(database) == before
    import psycopg

    with psycopg.connect(database["admin"]) as con:  # the sequence did not move
        assert con.execute("SELECT is_called FROM crm.counter").fetchone()[0] is False


def test_the_session_is_read_only_with_the_timeout(analyst_url, database, tmp_path):
    """What the session itself says (a definition may not call current_setting)."""
    from valueproof.config.connections import database_url
    from valueproof.data.backends.postgres import PostgresSource
    from valueproof.data.backends.watchdog import Watchdog

    source = PostgresSource(database_url(analyst_url, "test"), "crm.panel", None, {}, timeout=42)
    backend = source._connect(Watchdog(42, 1))
    try:
        with backend.con.cursor() as cursor:
            cursor.execute("SELECT current_setting('transaction_read_only'), "
                           "current_setting('statement_timeout')")
            assert cursor.fetchone() == ("on", "42s")
    finally:
        backend.disconnect()


# --- extras and the definition's keys --------------------------------------------------------

def test_a_backend_without_its_extra_names_the_extra(runner, tmp_path, monkeypatch):
    pytest.importorskip("ibis")
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    write_connections(tmp_path, monkeypatch,
                      crm=f"mysql://analyst:${{{PASSWORD_VARIABLE}}}@localhost/crm")
    path = _with_data(path, connection="crm", table="panel")
    output = _run_error(runner, path)
    assert "pip install 'ibis-framework[mysql]'" in output, output
    assert "connection 'crm'" in output


@pytest.mark.parametrize("data, words", [
    ({"sql": {"url": "duckdb:///crm.duckdb", "query": "SELECT 1"}},
     ["'sql' is no longer read", "'connection'", "'query'"]),
    ({"connection": "warehouse"}, ["exactly one of 'table'", "'query'"]),
    ({"connection": "warehouse", "table": "t", "query": "SELECT 1"}, ["exactly one of 'table'"]),
    ({"connection": "warehouse", "url": "duckdb:///x.duckdb", "table": "t"},
     ["'connection'", "not both"]),
    ({"table": "t"}, ["give its 'connection'"]),
])
def test_definition_keys_are_checked(data, words, runner, tmp_path):
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    definition = yaml.safe_load(path.read_text())
    if "table" in data and "url" not in data and "connection" not in data:
        definition["data"].update(data)
    else:
        definition["data"].pop("path")
        definition["data"].update(data)
    path.write_text(yaml.safe_dump(definition))
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2
    for word in words:
        assert word in result.output, result.output


def test_files_and_help_do_not_import_the_query_layer():
    code = ("import sys; from valueproof.cli import main\n"
            f"for args in (['--help'], ['validate', {str(EXAMPLES / 'support_copilot')!r}]):\n"
            "    try: main(args)\n"
            "    except SystemExit: pass\n"
            "loaded = [m for m in ('ibis', 'sqlglot', 'psycopg') if m in sys.modules]\n"
            "print('LOADED', loaded, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED []" in done.stderr, done.stderr


def test_the_data_fingerprint_follows_the_rows(database, analyst_url, runner, tmp_path):
    import psycopg

    with psycopg.connect(database["admin"], autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS crm.panel_copy")
        con.execute("CREATE TABLE crm.panel_copy AS SELECT * FROM crm.panel")
        con.execute("GRANT SELECT ON crm.panel_copy TO analyst")
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    path = _with_data(path, connection="warehouse", table="crm.panel_copy")
    first, again = _results(runner, path), _results(runner, path)
    assert first["data_fingerprint"] == again["data_fingerprint"]
    with psycopg.connect(database["admin"], autocommit=True) as con:
        con.execute("UPDATE crm.panel_copy SET minutes = minutes + 1 WHERE unit = 'U00'")
    changed = _results(runner, path)
    assert changed["data_fingerprint"] != first["data_fingerprint"]

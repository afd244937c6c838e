"""Observations from Spark (a connection to `spark://local[N]` + `data.table`/`data.query`),
through the CLI.

One local Spark session (`local[2]`) for the module holds the examples' tables as temporary
views, read from their CSVs with explicit types. valueproof uses the session that is already
active in the process when its master is the one the connection names (the documented hook), so the
CLI, run in this process, reads these views. One test runs valueproof in a separate process,
where it starts and stops its own session.

Skipped, with the reason, only when pyspark (the spark extra) or Java is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, invoke, panel_frame, write_connections
from tests.data.test_sources_db import (  # noqa: F401 - `stored` is a fixture
    EVERY_KPI_KIND,
    _assert_same,
    _copy_example,
    _panel_definition,
    _with_data,
    pd_timestamps,
    stored,
)

URL = "spark://local[2]"
CONNECTIONS = {"spark": URL, "spark1": "spark://local[1]", "spark3": "spark://local[3]",
               "cluster": "spark://cluster:7077"}
TICKETS = ("ticket_id STRING, agent_id STRING, cohort STRING, created_at DATE, "
           "handle_minutes DOUBLE, resolved_first_contact INT, csat DECIMAL(4,1), reopened INT")
AGENT_DAYS = ("agent_id STRING, team STRING, date DATE, tickets INT, handle_minutes DOUBLE, "
              "resolved_first_contact INT, escalated INT")
PANEL = "unit STRING, `group` STRING, day DATE, minutes DOUBLE, resolved INT, calls INT"
# a small panel made by Spark itself (for the run in a separate process)
GENERATED = """SELECT concat('U', CAST(id % 12 AS STRING)) AS unit,
  CASE WHEN id % 12 < 6 THEN 'T' ELSE 'C' END AS `group`,
  date_add(DATE '2026-02-02', CAST(id DIV 12 AS INT)) AS day,
  10 + (id % 12) * 0.25 + ((id * 7919) % 13) / 13.0
     - CASE WHEN id % 12 < 6 AND id DIV 12 >= 28 THEN 1 ELSE 0 END AS minutes
FROM range(672)"""


@pytest.fixture(autouse=True)
def connections(tmp_path, monkeypatch):
    """The operator's Spark connections, by name (the definitions only name them)."""
    return write_connections(tmp_path, monkeypatch, **CONNECTIONS)


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin/java") if home else shutil.which("java")


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    """The module's Spark session, with the views `tickets`, `agent_days` and `panel`."""
    pytest.importorskip("pyspark", reason="the spark extra is not installed: "
                                          "pip install '.[spark]'")
    pytest.importorskip("ibis.backends.pyspark", reason="the spark extra is not installed: "
                                                        "pip install '.[spark]'")
    if _java() is None:
        pytest.skip("Java is not installed (Debian: default-jre-headless), which local Spark "
                    "needs")
    from pyspark.sql import SparkSession

    from valueproof.data.backends.spark import _settings

    builder = SparkSession.builder.master("local[2]")
    for key, value in _settings("local[2]", "2GB").items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("OFF")
    folder = tmp_path_factory.mktemp("spark_tables")
    frame = panel_frame()
    frame["calls"] = (frame["minutes"] * 7).round().astype(int) % 5 + 1
    frame.to_csv(folder / "panel.csv", index=False)
    for name, path, schema in (
            ("tickets", EXAMPLES / "support_copilot/data/tickets.csv", TICKETS),
            ("agent_days", EXAMPLES / "team_waves/data/agent_days.csv", AGENT_DAYS),
            ("panel", folder / "panel.csv", PANEL)):
        session.read.csv(str(path), header=True, schema=schema).createOrReplaceTempView(name)
    yield session
    session.stop()


def _results(runner, path: Path) -> dict:
    out = path.with_suffix(".json")
    result = invoke(runner, "analyze", path, "--json", out)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


# --- the same results from the CSV and from Spark --------------------------------------------

def test_support_example_from_spark_gives_the_csv_results(spark, runner, tmp_path):
    """Means, rates, a KPI with missing values (csat, a decimal in Spark), a column group."""
    path = _copy_example("support_copilot", tmp_path)
    from_csv = _results(runner, path)
    from_spark = _results(runner, _with_data(path, connection="spark", table="tickets"))
    _assert_same(from_csv, from_spark)
    assert len(from_spark["kpis"]) == len(from_csv["kpis"]) >= 3
    assert from_spark["data_fingerprint"] != from_csv["data_fingerprint"]


def test_rollout_in_waves_from_spark_gives_the_csv_results(spark, runner, tmp_path):
    """Ratios with a denominator, waves from the rollout file next to the definition, a query."""
    path = _copy_example("team_waves", tmp_path)
    from_csv = _results(runner, path)
    from_spark = _results(runner, _with_data(
        path, connection="spark", query="SELECT * FROM agent_days WHERE date >= DATE '2026-01-01'"))
    _assert_same(from_csv, from_spark)
    assert from_spark["kpis"]


def test_every_kpi_kind_and_weight_from_spark_gives_the_csv_results(spark, runner, tmp_path):
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             EVERY_KPI_KIND)
    from_csv = _results(runner, path)
    from_spark = _results(runner, _with_data(path, connection="spark", table="panel"))
    _assert_same(from_csv, from_spark)
    assert len(from_spark["kpis"]) == len(EVERY_KPI_KIND)


def test_spark_sends_cells_not_rows(spark, runner, tmp_path, stored):
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             EVERY_KPI_KIND)
    _results(runner, _with_data(path, connection="spark", table="panel"))
    (cells,) = stored
    assert "__n" in cells.column_names and "minutes" not in cells.column_names
    assert sum(cells.column("__n").to_pylist()) == len(panel_frame())
    assert cells.num_rows == 24 * 8  # 24 units × 8 weeks, each wholly before or after


def test_timestamps_fall_on_their_date_in_the_definitions_zone_in_spark(spark, runner, tmp_path,
                                                                        stored):
    """As for PostgreSQL: Monday 01:00 UTC is Sunday in New York, so with data.timezone
    America/New_York the row belongs to the week before; the session's own zone (Tokyo here)
    does not matter and is put back afterwards."""
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"},
                              {"id": "volume", "aggregate": "count", "better": "higher"}])
    frame = panel_frame()
    stamps = pd_timestamps(frame["day"])
    frame.assign(day=stamps.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")).to_csv(
        tmp_path / "data.csv", index=False)
    spark.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    try:
        spark.createDataFrame(frame.assign(day=stamps)).createOrReplaceTempView("stamped")
        definition = json.loads(json.dumps(__import__("yaml").safe_load(path.read_text())))
        definition["analysis"] = {"period": "week"}
        effects = {}
        for zone in ("America/New_York", "UTC"):
            definition["data"]["timezone"] = zone
            path.write_text(__import__("yaml").safe_dump(definition, sort_keys=False))
            from_csv = _results(runner, path)
            from_spark = _results(runner, _with_data(path, connection="spark", table="stamped"))
            _assert_same(from_csv, from_spark)
            effects[zone] = from_spark["kpis"][0]["effect"]
        assert spark.conf.get("spark.sql.session.timeZone") == "Asia/Tokyo"
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    assert all("__n" in table.column_names for table in stored)
    assert effects["America/New_York"] != effects["UTC"]  # the zone moved rows across a week


# --- one message per error, exit 2 -----------------------------------------------------------

@pytest.mark.parametrize("data, words", [
    ({"table": "nosuch"}, ["data.table names a table the database does not have", "'nosuch'"]),
    ({"query": "SELECT * FROM nosuch"},
     ["data.query names a table the database does not have", "nosuch"]),
    ({"query": "SELECT unit, day, nosuch FROM panel"},
     ["data.query names a column the table does not have", "nosuch"]),
    ({"query": "DROP VIEW panel"}, ["data.query is not a SELECT", "DROP"]),
    ({"query": "INSERT INTO panel SELECT * FROM panel"}, ["data.query is not a SELECT"]),
    ({"query": "CREATE TABLE copy AS SELECT * FROM panel"}, ["data.query is not a SELECT"]),
    ({"query": "SELECT * FROM panel; DROP VIEW panel"}, ["2 statements"]),
    ({"query": "SELECT p.*, reflect('java.lang.System', 'exit', 1) AS x FROM panel p"},
     ["data.query calls Java", "REFLECT('java.lang.System'"]),
    ({"query": "SELECT p.*, java_method('java.lang.Thread', 'sleep', 1L) FROM panel p"},
     ["data.query calls Java"]),
    # SQL on files is off: a path is not a table
    ({"query": "SELECT * FROM csv.`/etc/hostname`"},
     ["data.query names a table the database does not have", "/etc/hostname"]),
    # ~1e10 pairs, none kept: minutes by minutes until it is stopped
    ({"query": "SELECT p.* FROM panel p CROSS JOIN range(20000000) r "
               "WHERE p.minutes * r.id < -1", "timeout": 2},
     ["did not finish within data.timeout (2 s)"]),
    ({"connection": "spark3", "table": "panel"},
     ["already runs a Spark session on local[2]", "asks for local[3]"]),
    ({"connection": "cluster", "table": "panel"}, ["spark://local[N]", "sc://host:port"]),
])
def test_spark_errors_are_one_message(data, words, spark, runner, tmp_path):
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    result = invoke(runner, "validate", _with_data(path, **{"connection": "spark", **data}))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    for word in words:
        assert word in result.output, result.output
    assert spark.catalog.tableExists("panel")  # nothing was dropped
    assert spark.sparkContext.master == "local[2]"  # and the session still runs


# --- Spark Connect ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def connect_url(spark, tmp_path_factory):
    """sc://127.0.0.1:PORT of a Spark Connect server (pyspark's own spark-submit, local[1]),
    holding the support example's tickets as the global temporary view global_temp.tickets
    (a temporary view belongs to one Connect session; a global one to the server)."""
    import socket
    import time

    import pyspark
    from pyspark.sql import SparkSession

    from tests import pg
    from valueproof.data.backends.spark import _connect_mode_restored

    home = Path(pyspark.__file__).parent
    if not list((home / "jars").glob("spark-connect_*.jar")):
        pytest.skip("this pyspark has no Spark Connect server")
    port = pg.free_port()
    log = (tmp_path_factory.mktemp("connect") / "server.log").open("w")
    server = subprocess.Popen(
        [str(home / "bin/spark-submit"), "--master", "local[1]", "--class",
         "org.apache.spark.sql.connect.service.SparkConnectServer",
         "--conf", f"spark.connect.grpc.binding.port={port}", "--conf", "spark.ui.enabled=false",
         "--conf", "spark.sql.session.timeZone=UTC", "spark-internal"],
        env={**os.environ, "SPARK_HOME": str(home)}, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None and time.monotonic() < deadline, "no Connect server"
            time.sleep(0.5)
        url = f"sc://127.0.0.1:{port}"
        with _connect_mode_restored():  # local sessions stay possible in this process
            client = SparkSession.builder.remote(url).create()
        client.read.csv(str(EXAMPLES / "support_copilot/data/tickets.csv"), header=True,
                        schema=TICKETS).createOrReplaceGlobalTempView("tickets")
        yield url
        client.stop()
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def test_support_example_through_spark_connect_gives_the_csv_results(connect_url, runner,
                                                                     tmp_path, monkeypatch):
    write_connections(tmp_path, monkeypatch, connect=connect_url)
    path = _copy_example("support_copilot", tmp_path)
    from_csv = _results(runner, path)
    from_spark = _results(runner, _with_data(path, connection="connect",
                                             table="global_temp.tickets"))
    _assert_same(from_csv, from_spark)
    for data, words in (
            ({"table": "global_temp.nosuch"},
             "data.table names a table the database does not have"),
            # the session's SQL on files is off on the server too
            ({"query": "SELECT * FROM csv.`/etc/hostname`"},
             "data.query names a table the database does not have"),
            # the operation tag is interrupted
            ({"query": "SELECT t.* FROM global_temp.tickets t CROSS JOIN range(20000000) r "
                       "WHERE t.handle_minutes * r.id < -1", "timeout": 2},
             "did not finish within data.timeout (2 s)")):
        failed = invoke(runner, "validate", _with_data(path, connection="connect", **data))
        assert failed.exit_code == 2, failed.output
        assert words in failed.output, failed.output
        assert len(failed.output.strip().splitlines()) == 1, failed.output


# --- valueproof's own session, in a process of its own ---------------------------------------

def test_valueproof_starts_and_stops_its_own_session(spark, runner, tmp_path):
    """No session is active in the new process: valueproof starts local[1], reads the query
    (a panel Spark generates) and stops it; the results are those of the same rows as CSV."""
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    spark.sql(GENERATED).toPandas().to_csv(tmp_path / "data.csv", index=False)
    from_csv = _results(runner, path)
    spark_path = _with_data(path, connection="spark1", query=GENERATED)
    out = tmp_path / "own.json"
    tool = Path(sys.executable).with_name("valueproof")
    done = subprocess.run([str(tool), "analyze", str(spark_path), "--json", str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "ERROR" not in done.stderr, done.stderr
    _assert_same(from_csv, json.loads(out.read_text()))


def test_without_java_the_message_names_java(spark, tmp_path):
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    path = _with_data(path, connection="spark1", table="panel")
    tool = Path(sys.executable).with_name("valueproof")
    done = subprocess.run([str(tool), "validate", str(path)], capture_output=True, text=True,
                          env={**os.environ, "JAVA_HOME": str(tmp_path / "no-jre")},
                          timeout=120, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "needs Java" in done.stdout + done.stderr
    assert "default-jre-headless" in done.stdout + done.stderr


def test_files_and_help_do_not_import_pyspark():
    code = ("import sys; from valueproof.cli import main\n"
            f"for args in (['--help'], ['validate', {str(EXAMPLES / 'support_copilot')!r}]):\n"
            "    try: main(args)\n"
            "    except SystemExit: pass\n"
            "print('LOADED', [m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j')],"
            " file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert "LOADED []" in done.stderr, done.stderr


def test_the_definition_names_the_spark_extra(tmp_path, runner, monkeypatch):
    """Without pyspark, the message names the extra (pyspark hidden from the import)."""
    pytest.importorskip("ibis")
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    result = invoke(runner, "validate", _with_data(path, connection="spark", table="panel"))
    assert result.exit_code == 2
    assert "pip install 'valueproof[spark]'" in result.output, result.output

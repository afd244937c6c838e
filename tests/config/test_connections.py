"""Connections belong to the operator: a definition names one, never a host or a secret.

Through the CLI with real files: the definitions' `url` may name only a DuckDB file inside
their folder; `connection: NAME` reads the operator's connections.yaml (--connections,
VALUEPROOF_CONNECTIONS or the user's configuration folder); secrets are masked by value;
the client stops a server that stalls. Fake servers (tests/fake_pg.py) record what they get.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import invoke, panel_frame, write_connections
from tests.fake_pg import FakeServer
from valueproof import redaction
from valueproof.config import connections as conn

SECRET = "s3cret-Value-of-the-operator-42"


def _duckdb_file(path: Path) -> Path:
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.register("frame", panel_frame())
        con.execute("CREATE TABLE tickets AS SELECT * FROM frame")
    return path


def _definition(write_experiment, **data) -> Path:
    path = write_experiment({"data": {"path": None, **data}}, data_name="unused")
    raw = yaml.safe_load(path.read_text())
    raw["data"] = {k: v for k, v in raw["data"].items() if v is not None}
    path.write_text(yaml.safe_dump(raw))
    return path


# --- what a definition's url may be ---------------------------------------------------------

@pytest.mark.parametrize("url, words", [
    ("postgresql://postgres@127.0.0.1:{port}/postgres", ["names a postgresql: database"]),
    ("postgresql://u:${{VP_SECRET}}@127.0.0.1:{port}/db", ["reads the environment"]),
    ("postgresql:///postgres?host=/var/run/postgresql", ["names a postgresql: database"]),
    ("sqlite:///{outside}/x.db", ["names a sqlite: database"]),
    ("duckdb:crm.duckdb", ["is not a DuckDB file's URL"]),
    ("duckdb://crm.duckdb", ["is not a DuckDB file's URL"]),
    ("duckdb:///${{HOME}}/x.duckdb", ["reads the environment"]),
    ("duckdb:///crm.duckdb?access_mode=read_write", ["is not a DuckDB file's URL"]),
    ("file:///etc/passwd", ["names a file: database"]),
    ("crm.duckdb", ["is not a DuckDB file's URL"]),
    ("mysql://root@127.0.0.1:{port}/mysql", ["names a mysql: database"]),
])
def test_a_definition_cannot_name_a_host_or_read_the_environment(url, words, write_experiment,
                                                                 runner, tmp_path, monkeypatch):
    monkeypatch.setenv("VP_SECRET", SECRET)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    with FakeServer("password") as server:
        path = _definition(write_experiment, table="tickets",
                           url=url.format(port=server.port, outside=outside))
        result = invoke(runner, "validate", path)
        time.sleep(0.2)  # (a connection attempt would have arrived by now)
        assert server.connections == 0 and not server.passwords
    assert result.exit_code == 2, result.output
    assert "data.url" in result.output and "connection: NAME" in result.output
    for word in words:
        assert word in result.output, result.output
    assert SECRET not in result.output and "Traceback" not in result.output
    assert list(outside.iterdir()) == []  # nothing created outside by opening it


def test_a_duckdb_file_outside_the_folder_is_refused_and_not_created(write_experiment, runner,
                                                                     tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-away"
    outside.mkdir()
    path = _definition(write_experiment, table="tickets",
                       url=f"duckdb:///../{outside.name}/new.duckdb")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "outside the experiment's folder" in result.output
    assert not (outside / "new.duckdb").exists()
    missing = _definition(write_experiment, table="tickets", url="duckdb:///nothing.duckdb")
    result = invoke(runner, "validate", missing)
    assert result.exit_code == 2 and "not found" in result.output
    assert not (tmp_path / "nothing.duckdb").exists()


def test_a_duckdb_file_in_the_folder_still_works(write_experiment, runner, tmp_path):
    _duckdb_file(tmp_path / "crm.duckdb")
    path = _definition(write_experiment, table="tickets", url="duckdb:///crm.duckdb")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 0, result.output


# --- named connections ------------------------------------------------------------------------

def test_a_named_connection_is_read_from_the_operators_file(write_experiment, runner, tmp_path):
    operator = tmp_path.parent / f"{tmp_path.name}-operator"
    operator.mkdir()
    _duckdb_file(operator / "warehouse.duckdb")  # outside the definition's folder: allowed here
    connections = write_connections(operator, warehouse="duckdb:///warehouse.duckdb")
    path = _definition(write_experiment, connection="warehouse", table="tickets")
    result = invoke(runner, "validate", path, "--connections", connections)
    assert result.exit_code == 0, result.output
    assert "connection 'warehouse'" in result.output
    out = tmp_path / "r.json"
    analyzed = invoke(runner, "analyze", path, "--connections", connections, "--json", out)
    assert analyzed.exit_code == 0, analyzed.output
    assert '"effect"' in out.read_text()


def test_the_connections_file_is_found_in_the_environment_and_the_config_folder(
        write_experiment, runner, tmp_path, monkeypatch):
    _duckdb_file(tmp_path / "w.duckdb")
    path = _definition(write_experiment, connection="warehouse", table="tickets")
    config = tmp_path / "config"
    (config / "valueproof").mkdir(parents=True)
    write_connections(config / "valueproof", warehouse=f"duckdb:///{tmp_path / 'w.duckdb'}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    assert invoke(runner, "validate", path).exit_code == 0
    other = write_connections(tmp_path, elsewhere="duckdb:///w.duckdb")
    monkeypatch.setenv("VALUEPROOF_CONNECTIONS", str(other))  # wins over the config folder
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2
    assert f"no connection named 'warehouse' in {other} (it has elsewhere)" in result.output


@pytest.mark.parametrize("text, words", [
    (None, ["no such connections file", "--connections FILE"]),
    ("warehouse: postgresql://h/db\n", ["warehouse: give the connection's url"]),
    ("warehouse: {url: 'postgresql://h/db', password: x}\n", ["give the connection's url and "
                                                              "nothing else"]),
    ("- a\n- b\n", ["expected connections by name"]),
    ("warehouse: {url: [\n", ["is not a readable YAML file"]),
])
def test_a_bad_connections_file_is_one_message(text, words, write_experiment, runner,
                                               tmp_path, monkeypatch):
    path = _definition(write_experiment, connection="warehouse", table="tickets")
    file = tmp_path / "connections.yaml"
    if text is not None:
        file.write_text(text)
    monkeypatch.setenv("VALUEPROOF_CONNECTIONS", str(file))
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(file) in result.output
    for word in words:
        assert word in result.output, result.output


def test_a_secret_never_appears_and_validate_names_the_connection(write_experiment, runner,
                                                                  tmp_path, monkeypatch):
    """The fake server asks for a cleartext password and refuses it: the operator's secret
    goes to the operator's host, and no output shows it."""
    monkeypatch.setenv("VP_SECRET", SECRET)
    with FakeServer("password") as server:
        write_connections(tmp_path, monkeypatch, warehouse=(
            f"postgresql://analyst:${{VP_SECRET}}@127.0.0.1:{server.port}/crm"
            f"?sslmode=disable&application_name=${{VP_SECRET}}"))
        path = _definition(write_experiment, connection="warehouse", table="tickets")
        result = invoke(runner, "validate", path)
        assert server.passwords == [SECRET]  # sent where the operator said
    assert result.exit_code == 2, result.output
    assert "connection 'warehouse'" in result.output
    assert "refused the user name or password" in result.output
    assert SECRET not in result.output and SECRET[:16] not in result.output


def test_a_server_that_stalls_is_stopped_by_the_client(write_experiment, runner, tmp_path,
                                                       monkeypatch):
    pytest.importorskip("psycopg")
    with FakeServer("stall") as server:
        write_connections(tmp_path, monkeypatch,
                          warehouse=f"postgresql://a:pw-123456789@127.0.0.1:{server.port}/crm"
                                    "?sslmode=disable")
        path = _definition(write_experiment, connection="warehouse", table="tickets",
                           timeout=2)
        started = time.monotonic()
        result = invoke(runner, "validate", path)
        elapsed = time.monotonic() - started
        assert server.connections >= 1
    assert result.exit_code == 2, result.output
    assert "did not finish within data.timeout (2 s)" in result.output
    assert elapsed < 20, elapsed


# --- masking by value -------------------------------------------------------------------------

def test_secrets_are_masked_by_value_with_truncated_prefixes():
    long_name = "db_" + "x7Kq" * 20  # 83 characters: a server truncates it to 63
    url = conn.database_url("postgresql://u:${VP_P}@h/${VP_DB}?password=lit3ral-pass&x=1",
                            "test", environ={"VP_P": "pw#Secret-99", "VP_DB": long_name})
    assert url.shown == "postgresql://u:***@h/***?password=***&x=1"
    said = (f'database "{long_name[:63]}" does not exist; password pw%23Secret-99 or '
            "pw#Secret-99; lit3ral-pass")
    masked = redaction.redact(said)
    assert long_name[:20] not in masked and "Secret-99" not in masked
    assert "lit3ral-pass" not in masked and masked.count("***") == 4


def test_a_short_secret_does_not_blank_every_matching_letter():
    conn.database_url("postgresql://${VP_U}:${VP_PORT}@h/db", "test",
                      environ={"VP_U": "a", "VP_PORT": "bob"})
    assert redaction.redact("a user named bob, a bobcat") == "a user named ***, a bobcat"


def test_one_stalled_account_does_not_block_a_batch(runner, tmp_path):
    """Two accounts: one reads a server that stalls, one a DuckDB file. The stalled one fails
    with the timeout's message after data.timeout; the other is rendered."""
    import copy
    import json

    from tests.conftest import BASE_DEFINITION

    root = tmp_path / "accounts"
    with FakeServer("stall") as server:
        for name, data in (("stalled", {"connection": "slow", "table": "tickets", "timeout": 2}),
                           ("fine", {"connection": "local", "table": "tickets"})):
            folder = root / name
            folder.mkdir(parents=True)
            definition = copy.deepcopy(BASE_DEFINITION)
            definition["customer"] = {"name": f"Customer {name}"}
            definition["data"] = {"unit": "unit", "time": "day", **data}
            (folder / "experiment.yaml").write_text(yaml.safe_dump(definition))
        _duckdb_file(tmp_path / "local.duckdb")
        connections = write_connections(
            tmp_path, slow=f"postgresql://a:pw-123456789@127.0.0.1:{server.port}/x?sslmode=disable",
            local=f"duckdb:///{tmp_path / 'local.duckdb'}")
        started = time.monotonic()
        result = invoke(runner, "batch", root, "-o", tmp_path / "out", "--jobs", "2",
                        "--connections", connections, "--quiet")
        elapsed = time.monotonic() - started
    summary = {row["account"]: row for row in
               json.loads((tmp_path / "out" / "summary.json").read_text())}
    assert result.exit_code == 1, result.output  # some failed
    assert summary["Customer fine"]["status"] == "rendered"
    assert summary["Customer stalled"]["status"] == "failed"
    assert "did not finish within data.timeout (2 s)" in summary["Customer stalled"]["error"]
    assert elapsed < 90, elapsed

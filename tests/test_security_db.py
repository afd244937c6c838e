"""Reads only, on a real PostgreSQL server: what a read-only session does not stop, refused.

A hostile definition names the operator's connection and sends one SELECT. The read-only
transaction alone let `dblink_exec` commit rows elsewhere, `COPY … TO PROGRAM` (through dblink)
run a shell command, `lo_export` write a file, `pg_read_file` print one, `pg_terminate_backend`
end sessions. Now: only allowlisted functions are sent, a role that is a superuser or may run
programs or touch the server's files is refused, and no message echoes a value. After every
test the database's tables are unchanged and no file was written.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from tests.conftest import invoke, write_connections
from tests.data.test_sources_db import _panel_definition, _with_data

READER_PASSWORD = "Reader-pw-0123456789"
POWER_PASSWORD = "Power-pw-0123456789"
NOTE = "the-confidential-note-7731"


@pytest.fixture(scope="module")
def server(pg_url):
    """The database vp_sec with crm.panel, crm.audit (rows that must not change), crm.secrets,
    dblink installed; roles `reader` (SELECT only) and `powerful` (pg_read_server_files)."""
    import psycopg

    from tests.conftest import panel_frame

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS vp_sec")
        con.execute("CREATE DATABASE vp_sec")
        for role, password in (("reader", READER_PASSWORD), ("powerful", POWER_PASSWORD)):
            con.execute(f"DROP ROLE IF EXISTS {role}")
            con.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        con.execute("GRANT pg_read_server_files TO powerful")
    admin = pg_url.rsplit("/", 1)[0] + "/vp_sec"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute("CREATE EXTENSION IF NOT EXISTS dblink")
        con.execute("CREATE SCHEMA crm")
        con.execute('CREATE TABLE crm.panel (unit text, "group" text, day date, minutes float8)')
        with con.cursor().copy('COPY crm.panel FROM STDIN') as copy:
            for row in panel_frame()[["unit", "group", "day", "minutes"]].itertuples(index=False):
                copy.write_row(row)
        con.execute("CREATE TABLE crm.audit (note text)")
        con.execute("INSERT INTO crm.audit VALUES ('kept')")
        con.execute("CREATE TABLE crm.secrets (note text)")
        con.execute(f"INSERT INTO crm.secrets VALUES ('{NOTE}')")
        con.execute("CREATE FUNCTION crm.hidden() RETURNS float8 LANGUAGE sql AS 'SELECT 1.0'")
        con.execute("REVOKE EXECUTE ON FUNCTION crm.hidden() FROM PUBLIC")
        con.execute("CREATE VIEW crm.panel_hidden AS SELECT p.*, crm.hidden() AS h FROM crm.panel p")
        for role in ("reader", "powerful"):
            con.execute(f"GRANT USAGE ON SCHEMA crm TO {role}")
            con.execute(f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA crm TO {role}")
        data_directory = con.execute("SHOW data_directory").fetchone()[0]
    parts = urlsplit(pg_url)
    yield {"admin": admin, "host": parts.hostname, "port": parts.port, "superuser": pg_url,
           "data_directory": data_directory}


def _url(server, user: str, password: str, database: str = "vp_sec") -> str:
    return f"postgresql://{user}:{password}@{server['host']}:{server['port']}/{database}"


def _tables(server) -> dict[str, str]:
    import psycopg

    with psycopg.connect(server["admin"]) as con:
        return {table: con.execute(f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, "
                                   f"',' ORDER BY t::text)), '') FROM {table} t").fetchone()[0]
                for table in ("crm.panel", "crm.audit", "crm.secrets")}


@pytest.fixture
def unchanged(server):
    before = _tables(server)
    yield
    assert _tables(server) == before


@pytest.fixture
def connections(server, tmp_path, monkeypatch):
    monkeypatch.setenv("VP_READER_PW", READER_PASSWORD)
    return write_connections(
        tmp_path, monkeypatch,
        reader=_url(server, "reader", "${VP_READER_PW}"),
        powerful=_url(server, "powerful", POWER_PASSWORD),
        admin=server["superuser"])


def _definition(tmp_path, **data):
    path = _panel_definition(tmp_path, {"column": "group", "treatment": "T", "control": "C"},
                             [{"id": "minutes", "column": "minutes", "better": "lower"}])
    return _with_data(path, **data)


def _refused(runner, path) -> str:
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert READER_PASSWORD not in result.output and POWER_PASSWORD not in result.output
    return result.output


def test_a_plain_reader_reads(server, connections, runner, tmp_path, unchanged):
    result = invoke(runner, "validate", _definition(tmp_path, connection="reader",
                                                    table="crm.panel"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("query, function", [
    ("SELECT p.* FROM crm.panel p WHERE dblink_exec('dbname=vp_sec user=postgres', "
     "'INSERT INTO crm.audit VALUES (''pwned'')') IS NOT NULL", "dblink_exec"),
    ("SELECT p.* FROM crm.panel p, dblink('dbname=vp_sec user=postgres', 'COPY (SELECT 1) TO "
     "PROGRAM ''touch {marker}''') AS t(x text)", "dblink"),
    ("SELECT p.* FROM crm.panel p WHERE lo_export(lo_import('/etc/hostname'), '{marker}') = 1",
     "lo_export"),
    ("SELECT p.unit, p.day, p.minutes, pg_read_file('/etc/passwd') AS \"group\" FROM crm.panel p",
     "pg_read_file"),
    ("SELECT p.* FROM crm.panel p, pg_ls_dir('.') AS f", "pg_ls_dir"),
    ("SELECT p.* FROM crm.panel p WHERE (pg_stat_file('postgresql.conf')).size > 0",
     "pg_stat_file"),
    ("SELECT p.* FROM crm.panel p WHERE pg_terminate_backend(pg_backend_pid())",
     "pg_terminate_backend"),
    ("SELECT p.* FROM crm.panel p WHERE pg_cancel_backend(1)", "pg_cancel_backend"),
    ("SELECT p.* FROM crm.panel p WHERE pg_reload_conf()", "pg_reload_conf"),
    ("SELECT p.* FROM crm.panel p WHERE set_config('default_transaction_read_only', 'off', "
     "false) = 'off'", "set_config"),
    ("SELECT p.* FROM crm.panel p WHERE pg_catalog.pg_sleep(0) IS NULL", "pg_catalog.pg_sleep"),
])
def test_functions_off_the_allowlist_are_refused_before_they_run(query, function, server,
                                                                connections, runner, tmp_path,
                                                                unchanged):
    marker = tmp_path / "pwned"
    tmp_path.chmod(0o777)  # the server's own user could write here, if it were asked to
    output = _refused(runner, _definition(tmp_path, connection="reader",
                                          query=query.format(marker=marker)))
    assert f"calls {function}()" in output, output
    assert "a query may call only aggregates" in output
    assert "root:" not in output
    assert not marker.exists()


def test_a_superuser_connection_is_refused(server, connections, runner, tmp_path, unchanged):
    output = _refused(runner, _definition(tmp_path, connection="admin", table="crm.panel"))
    assert "is a superuser" in output and "GRANT pg_read_all_data" in output, output
    assert "connection 'admin'" in output


def test_a_role_that_may_read_the_servers_files_is_refused(server, connections, runner,
                                                           tmp_path, unchanged):
    output = _refused(runner, _definition(tmp_path, connection="powerful", table="crm.panel"))
    assert "a member of pg_read_server_files" in output, output


def test_a_function_the_role_may_not_call_is_named_as_such(server, connections, runner,
                                                          tmp_path, unchanged):
    output = _refused(runner, _definition(tmp_path, connection="reader",
                                          table="crm.panel_hidden"))
    assert "may not call a function" in output and "grant it SELECT" not in output, output
    assert "data.table" in output and "data.query" not in output


def test_a_value_from_the_data_is_never_echoed(server, connections, runner, tmp_path, unchanged):
    query = ('SELECT p.unit, p.day, p.minutes + CAST(s.note AS integer) AS minutes, p."group" '
             "FROM crm.panel p, crm.secrets s")
    output = _refused(runner, _definition(tmp_path, connection="reader", query=query))
    assert NOTE not in output and "invalid input syntax" in output, output
    assert "ERROR:" not in output and "FATAL:" not in output


def test_a_long_secret_truncated_by_the_server_is_still_masked(server, runner, tmp_path,
                                                               monkeypatch, unchanged):
    name = "vp_" + "Q9zX" * 20  # 83 bytes: PostgreSQL truncates identifiers to 63
    monkeypatch.setenv("VP_DB", name)
    monkeypatch.setenv("VP_READER_PW", READER_PASSWORD)
    write_connections(tmp_path, monkeypatch,
                      reader=_url(server, "reader", "${VP_READER_PW}", "${VP_DB}"))
    output = _refused(runner, _definition(tmp_path, connection="reader", table="crm.panel"))
    assert "database does not exist" in output, output
    assert name[:16] not in output and "Q9zXQ9zX" not in output


def test_the_session_cannot_be_cancelled_from_inside_and_the_servers_files_are_kept(
        server, connections, runner, tmp_path):
    """Every refused attack above left the server's configuration as it was."""
    before = sorted(os.listdir(server["data_directory"]))
    for function in ("pg_reload_conf()", "pg_terminate_backend(pg_backend_pid())"):
        _refused(runner, _definition(tmp_path, connection="reader",
                                     query=f"SELECT p.* FROM crm.panel p WHERE {function}"))
    assert "postgresql.conf" in before
    assert sorted(os.listdir(server["data_directory"])) == before


@pytest.mark.parametrize("query, words", [
    ("VACUUM crm.panel", ["data.query is not a SELECT (it reads as VACUUM)"]),
    ("SELECT * FROM crm.panel FOR UPDATE", ["data.query writes (LOCK inside the SELECT)"]),
])
def test_statements_that_are_not_reads_get_one_message_and_no_parser_warning(
        query, words, server, connections, runner, tmp_path, unchanged):
    output = _refused(runner, _definition(tmp_path, connection="reader", query=query))
    for word in words:
        assert word in output, output
    assert "unsupported syntax" not in output and "Falling back" not in output

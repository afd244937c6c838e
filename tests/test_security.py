"""A definition is untrusted input: it reads only under its folder (or an allowed root), runs one
read-only SELECT, and every hostile file ends in one clear message, exit 2, nothing written."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import BASE_DEFINITION, invoke, panel_frame

SECRET = "TOPSECRET-4242"


def _no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _secret_outside(tmp_path: Path) -> Path:
    """Another account's folder beside the experiment, with data worth stealing."""
    other = tmp_path.parent / f"{tmp_path.name}-other-account"
    other.mkdir(exist_ok=True)
    frame = panel_frame()
    frame["unit"] = frame["unit"].str.replace("U", SECRET)
    frame.to_csv(other / "data.csv", index=False)
    return other


def _report(runner, path: Path, *args: str):
    out = path.parent / "out.pdf"
    result = invoke(runner, "report", path, "-o", out, *args)
    return result, out


# --- paths ------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_data_outside_the_folder_is_refused(how, write_experiment, tmp_path, runner):
    other = _secret_outside(tmp_path)
    if how == "absolute":
        target = str(other / "data.csv")
    elif how == "dotdot":
        target = f"../{other.name}/data.csv"
    else:
        (tmp_path / "link.csv").symlink_to(other / "data.csv")
        target = "link.csv"
    path = write_experiment({"data": {"path": target}})
    result, out = _report(runner, path)
    assert result.exit_code == 2, result.output
    assert "data.path" in result.output and "outside the experiment's folder" in result.output
    assert "--allow-path" in result.output
    assert SECRET not in result.output and not out.exists()
    _no_traceback(result)


@pytest.mark.parametrize("key", ["data", "groups"])
def test_wildcards_in_a_path_cannot_reach_outside_files(key, write_experiment, tmp_path, runner):
    """A folder literally named '*' inside the experiment, beside a symlink to another
    account's folder: the data reader would expand 'data/*/x.csv' to both."""
    other = _secret_outside(tmp_path)
    (other / "groups.csv").write_text(f"unit,group\n{SECRET}0,T\n")
    (tmp_path / "data" / "*").mkdir(parents=True)
    panel_frame().to_csv(tmp_path / "data" / "*" / "data.csv", index=False)
    (tmp_path / "data" / "*" / "groups.csv").write_text("unit,group\nU00,T\n")
    (tmp_path / "data" / "link").symlink_to(other)
    changes = ({"data": {"path": "data/*/data.csv"}} if key == "data" else
               {"groups": {"column": None, "file": "data/*/groups.csv", "treatment": "T",
                           "control": "C"}})
    path = write_experiment(changes)
    result, out = _report(runner, path, "--json", tmp_path / "r.json")
    assert result.exit_code == 2, result.output
    assert "wildcards" in result.output and "rename" in result.output
    assert SECRET not in result.output and not out.exists()
    summary_dir = tmp_path / "qbrs"
    batch = invoke(runner, "batch", tmp_path, "-o", summary_dir, "--jobs", "1", "--quiet")
    assert batch.exit_code == 1
    assert SECRET not in (summary_dir / "summary.json").read_text()


def test_allow_path_lets_a_trusted_definition_read_elsewhere(write_experiment, tmp_path, runner,
                                                             monkeypatch):
    other = _secret_outside(tmp_path)
    path = write_experiment({"data": {"path": str(other / "data.csv")}})
    assert invoke(runner, "validate", path).exit_code == 2
    allowed = invoke(runner, "validate", path, "--allow-path", other)
    assert allowed.exit_code == 0, allowed.output
    monkeypatch.setenv("VALUEPROOF_ALLOW_PATH", str(other))
    assert invoke(runner, "analyze", path).exit_code == 0


def test_group_file_and_logo_outside_are_refused(write_experiment, tmp_path, runner):
    other = _secret_outside(tmp_path)
    (other / "groups.csv").write_text("unit,group\nU00,T\n")
    (other / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    groups = write_experiment({"groups": {"column": None, "file": str(other / "groups.csv"),
                                          "treatment": "T", "control": "C"}})
    result = invoke(runner, "validate", groups)
    assert result.exit_code == 2 and "groups.file" in result.output
    logo = write_experiment({"customer": {"name": "X", "logo": f"../{other.name}/logo.svg"}})
    result, out = _report(runner, logo)
    assert result.exit_code == 2 and "customer.logo" in result.output and not out.exists()


def test_one_sandbox_rule_for_definitions_and_the_report(tmp_path):
    """`Sandbox` decides for the definition's files and the report's fetcher alike: a folder
    whose name merely starts like the experiment's is outside it, and a symlinked folder is
    judged by where it leads."""
    from valueproof.errors import ConfigError
    from valueproof.report.render import PathGuard
    from valueproof.sandbox import Sandbox

    folder, other = tmp_path / "acme", tmp_path / "acme-other"
    folder.mkdir()
    other.mkdir()
    (other / "data.csv").write_text("unit\n")
    (tmp_path / "link").symlink_to(folder)
    sandbox = Sandbox(tmp_path / "link")
    assert sandbox.roots == (folder,)
    assert sandbox.file(Path("data.csv")) == folder / "data.csv"
    with pytest.raises(ConfigError, match="outside the experiment's folder"):
        sandbox.file(Path("../acme-other/data.csv"), "data.path")
    assert not sandbox.holds(other / "data.csv")
    assert Sandbox(folder, other).file(Path("../acme-other/data.csv")) == other / "data.csv"
    assert PathGuard(folder, other).allowed_path((other / "data.csv").as_uri())


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_pipes_devices_and_folders_are_refused_before_opening(kind, write_experiment, tmp_path,
                                                              runner):
    args = []
    if kind == "fifo":
        os.mkfifo(tmp_path / "data.fifo")  # opening it for reading would block forever
        target = "data.fifo"
    elif kind == "folder":
        (tmp_path / "folder.csv").mkdir()
        target = "folder.csv"
    else:
        target, args = "/dev/zero", ["--allow-path", "/dev"]
    path = write_experiment({"data": {"path": target}})
    started = time.monotonic()
    result = invoke(runner, "validate", path, *args)
    assert result.exit_code == 2, result.output
    assert "data.path" in result.output
    assert ("pipe" in result.output) if kind != "folder" else ("folder" in result.output)
    assert time.monotonic() - started < 10
    _no_traceback(result)


def test_batch_account_cannot_report_another_accounts_data(tmp_path, runner):
    other = _secret_outside(tmp_path)
    account = tmp_path / "thief"
    account.mkdir()
    definition = {**BASE_DEFINITION, "data": {**BASE_DEFINITION["data"],
                                              "path": str(other / "data.csv")}}
    (account / "experiment.yaml").write_text(yaml.safe_dump(definition))
    out = tmp_path / "qbrs"
    result = invoke(runner, "batch", account, "-o", out, "--jobs", "1", "--quiet")
    assert result.exit_code == 1
    assert not list(out.glob("*.pdf"))
    summary = (out / "summary.json").read_text()
    assert "outside the experiment's folder" in summary and SECRET not in summary


# --- the definition file itself --------------------------------------------------------------

BILLION_LAUGHS = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
name: *i
"""


@pytest.mark.parametrize("text, words", [
    (BILLION_LAUGHS, ["aliases"]),
    ("name: " + "[" * 20000 + "]" * 20000 + "\n", ["nested"]),
    ("name: x\nanalysis: {se: hc1}\nrollout: 2026-03-02\nanalysis: {alpha: 0.2}\n",
     ["'analysis' is given twice", "lines 2 and 4"]),
    ("name: x\nrollout: 2026-02-30\n", [":2:", "rollout", "'2026-02-30' is not a date"]),
    ("name: [unclosed\n", ["YAML syntax error"]),
    ("name: !!python/object:os.system ls\n", ["YAML syntax error"]),
])
def test_hostile_yaml_gets_a_message_with_file_and_line(text, words, tmp_path, runner):
    path = tmp_path / "experiment.yaml"
    path.write_text(text)
    started = time.monotonic()
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2, result.output
    assert "experiment.yaml" in result.output
    for word in words:
        assert word in result.output, result.output
    assert time.monotonic() - started < 10
    _no_traceback(result)


def test_huge_and_special_definition_files_are_refused(tmp_path, runner):
    big = tmp_path / "big.yaml"
    big.write_text("name: x\n" + "# padding\n" * 200_000)
    result = invoke(runner, "validate", big)
    assert result.exit_code == 2 and "larger than" in result.output
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result = invoke(runner, "validate", fifo)
    assert result.exit_code == 2 and "not a regular file" in result.output


def test_brand_file_is_read_with_the_same_limits(write_experiment, tmp_path, runner):
    (tmp_path / "brand.yaml").write_text(BILLION_LAUGHS.replace("name:", "footer:"))
    path = write_experiment({"brand": "brand.yaml"})
    result, out = _report(runner, path)
    assert result.exit_code == 2 and "aliases" in result.output and not out.exists()


# --- the SQL source --------------------------------------------------------------------------

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sql_experiment(write_experiment, tmp_path):
    """A definition whose data come from a query against crm.duckdb in the folder."""
    import duckdb

    with duckdb.connect(str(tmp_path / "crm.duckdb")) as con:
        con.register("frame", panel_frame())
        con.execute("CREATE TABLE tickets AS SELECT * FROM frame")

    def write(query: str, **data) -> Path:
        path = write_experiment({"data": {"path": None, "url": "duckdb:///crm.duckdb",
                                          "query": query, **data}},
                                data_name="unused")
        raw = yaml.safe_load(path.read_text())
        raw["data"].pop("path", None)
        path.write_text(yaml.safe_dump(raw))
        return path

    return write


def test_a_plain_select_still_works(sql_experiment, runner):
    path = sql_experiment("WITH t AS (SELECT * FROM tickets) SELECT * FROM t;")
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("error")  # no internal warning reaches the user
        result = invoke(runner, "analyze", path)
    assert result.exit_code == 0, result.output


def test_memory_limit_is_checked_with_an_example(sql_experiment, runner):
    result = invoke(runner, "validate", sql_experiment("SELECT * FROM tickets",
                                                       memory_limit="1KB"))
    assert result.exit_code == 2 and "data.memory_limit" in result.output
    assert "write e.g. 512MB or 4GB" in result.output


@pytest.mark.parametrize("query, words", [
    ("SELECT * FROM read_csv('{secret}')", ["calls read_csv(), which a definition may not"]),
    ("SELECT * FROM tickets UNION ALL SELECT * FROM read_csv('{secret}')",
     ["calls read_csv()"]),
    ("SELECT * FROM glob('{outside}/*')", ["calls glob()"]),
    ("SELECT * FROM tickets WHERE getenv('HOME') IS NOT NULL", ["calls getenv()"]),
    ("SELECT * FROM 'https://example.com/data.csv'", ["tried to read a file"]),
    ("SELECT * FROM '{secret}'", ["tried to read a file"]),
    ("COPY tickets TO '{written}'", ["reads it as COPY", "only a read-only SELECT"]),
    ("SELECT * FROM query('COPY tickets TO ''{written}''')", ["calls query()"]),
    ("ATTACH '{other_db}' AS o", ["reads it as ATTACH"]),
    ("INSTALL httpfs", ["only a read-only SELECT"]),
    ("LOAD httpfs", ["only a read-only SELECT"]),
    ("SELECT * FROM tickets; DROP TABLE tickets", ["2 statements"]),
    ("SELECT * FROM tickets; COPY tickets TO '{written}'", ["2 statements"]),
    ("SET enable_external_access = true; SELECT * FROM read_csv('{secret}')", ["2 statements"]),
    ("PRAGMA database_list", ["only a read-only SELECT"]),
    ("DELETE FROM tickets", ["only a read-only SELECT"]),
    ("SELECT * FROM tickets WHERE", ["data.query"]),
])
def test_sql_attacks_are_refused(query, words, sql_experiment, tmp_path, runner):
    import duckdb

    other = _secret_outside(tmp_path)
    other_db = other / "other.duckdb"
    with duckdb.connect(str(other_db)) as con:
        con.execute("CREATE TABLE accounts AS SELECT 1 AS id")
    before = {p: _digest(p) for p in (other_db, tmp_path / "crm.duckdb")}
    written = tmp_path / "stolen.csv"
    path = sql_experiment(query.format(secret=other / "data.csv", outside=other,
                                       written=written, other_db=other_db))
    result, out = _report(runner, path)
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output, result.output
    assert SECRET not in result.output
    assert not written.exists() and not out.exists()
    assert {p: _digest(p) for p in before} == before  # nothing modified
    _no_traceback(result)


def test_a_slow_query_is_stopped_after_the_timeout(sql_experiment, runner):
    path = sql_experiment("SELECT t.* FROM tickets t, range(100000000) a, range(100000) b "
                          "WHERE a.range * b.range = -1", timeout=1)
    started = time.monotonic()
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "data.timeout (1 s)" in result.output, result.output
    assert time.monotonic() - started < 20


def test_a_never_ending_recursive_query_is_stopped(sql_experiment, runner):
    path = sql_experiment("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
                          "SELECT t.* FROM tickets t, r", timeout=2, memory_limit="200MB")
    started = time.monotonic()
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2, result.output
    assert "data.timeout" in result.output or "data.memory_limit" in result.output
    assert time.monotonic() - started < 30
    _no_traceback(result)


def test_a_query_needing_too_much_memory_is_stopped(sql_experiment, runner):
    # (a column the experiment reads: the others are never asked for)
    path = sql_experiment("SELECT t.* REPLACE ((SELECT string_agg(repeat('x', 1000), '') "
                          "FROM range(1000000)) AS \"group\") FROM tickets t", memory_limit="64MB")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2, result.output
    assert "data.memory_limit (64MB)" in result.output


@pytest.mark.parametrize("url, words", [
    ("duckdb:////{outside}/other.duckdb", ["data.url", "outside the experiment's folder"]),
    ("duckdb:///:memory:", ["data.url", "names only a DuckDB file in its folder"]),
    ("nosuchdb://db.internal/crm", ["data.url", "names a nosuchdb: database",
                                    "connection: NAME"]),
])
def test_sql_url_outside_or_foreign_is_refused(url, words, sql_experiment, tmp_path, runner):
    other = _secret_outside(tmp_path)
    path = sql_experiment("SELECT * FROM tickets")
    raw = yaml.safe_load(path.read_text())
    raw["data"]["url"] = url.format(outside=str(other).lstrip("/"))
    path.write_text(yaml.safe_dump(raw))
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2
    for word in words:
        assert word in result.output, result.output

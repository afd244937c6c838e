"""Shared fixtures: small experiments written as real files in tmp_path."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from valueproof.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

BASE_DEFINITION = {
    "name": "Test pilot",
    "customer": {"name": "Test Customer"},
    "data": {"path": "data.csv", "unit": "unit", "time": "day"},
    "groups": {"column": "group", "treatment": "T", "control": "C"},
    "rollout": "2026-03-02",
    "pre": {"start": "2026-02-02", "end": "2026-03-01"},
    "kpis": [
        {"id": "minutes", "label": "Handle time", "column": "minutes", "unit": "min",
         "better": "lower"},
        {"id": "resolved", "label": "Resolution rate", "numerator": "resolved",
         "better": "higher", "aggregate": "rate"},
    ],
}


def panel_frame(n_treated=12, n_control=12, weeks=8, rollout_week=4, effect=-1.0, seed=1,
                rows_per_week=3) -> pd.DataFrame:
    """Observation-level data: several rows per unit and week, a true effect on `minutes`."""
    rng = np.random.default_rng(seed)
    start = dt.date(2026, 3, 2) - dt.timedelta(weeks=rollout_week)
    rows = []
    for u in range(n_treated + n_control):
        group = "T" if u < n_treated else "C"
        level = rng.normal(10, 1)
        for w in range(weeks):
            for r in range(rows_per_week):
                day = start + dt.timedelta(weeks=w, days=r)
                treated = group == "T" and w >= rollout_week
                rows.append({"unit": f"U{u:02d}", "group": group, "day": day.isoformat(),
                             "minutes": round(level + rng.normal(0, 1) + (effect if treated else 0), 3),
                             "resolved": int(rng.random() < 0.6)})
    return pd.DataFrame(rows)


# Tests that need a server: PostgreSQL (one throwaway cluster per test process, or the one
# VALUEPROOF_TEST_PG_URL names, with fixed database and role names), Spark (a local session takes
# a few GB) and Chromium. Under pytest-xdist they all run on one worker, one at a time.
SERVER_FIXTURES = frozenset({"pg_url", "spark", "connect_url", "browser"})
SERVER_FILES = frozenset({"test_grid_roster.py", "test_html_browser.py", "test_security_db.py",
                          "test_sources_db.py", "test_sources_spark.py",
                          "test_no_control_cli.py", "test_batch_dask.py"})


def pytest_collection_modifyitems(items):
    """A test that needs a server lives in one of SERVER_FILES (else it could run beside another
    one on the other worker): a usage error names its file otherwise."""
    strays = sorted({item.path.name for item in items
                     if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
                     and item.path.name not in SERVER_FILES})
    if strays:
        raise pytest.UsageError(f"{', '.join(strays)}: needs a server; add it to SERVER_FILES "
                                "in tests/conftest.py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With `-n` (pyproject.toml's addopts: two workers), the tests of SERVER_FILES form one unit
    of work, given to one worker; every other test is shared out on its own. (Not
    `--dist loadgroup` with `xdist_group` marks: with pytest 9.2 xdist stops reading them,
    pytest-xdist issue #1386.) Another `--dist` chosen on the command line is left to xdist."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ServersOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "servers" if nodeid.split("::")[0].rsplit("/")[-1] in SERVER_FILES else nodeid

    return ServersOnOneWorker(config, log)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _no_operator_connections(tmp_path_factory, monkeypatch):
    """No test reads the connections.yaml of whoever runs the tests."""
    monkeypatch.delenv("VALUEPROOF_CONNECTIONS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


def write_connections(folder: Path, monkeypatch=None, **urls: str) -> Path:
    """connections.yaml in `folder` naming each URL; with `monkeypatch`, made the one
    valueproof reads (VALUEPROOF_CONNECTIONS)."""
    path = folder / "connections.yaml"
    path.write_text(yaml.safe_dump({name: {"url": url} for name, url in urls.items()}))
    if monkeypatch is not None:
        monkeypatch.setenv("VALUEPROOF_CONNECTIONS", str(path))
    return path


@pytest.fixture
def write_experiment(tmp_path):
    """Write data and a definition (BASE_DEFINITION with `changes` merged) into tmp_path."""

    def write(changes: dict | None = None, frame: pd.DataFrame | None = None,
              data_name: str = "data.csv") -> Path:
        definition = copy.deepcopy(BASE_DEFINITION)
        for key, value in (changes or {}).items():
            if value is None:
                definition.pop(key, None)
            elif isinstance(value, dict) and isinstance(definition.get(key), dict):
                definition[key].update(value)
            else:
                definition[key] = value
        frame = panel_frame() if frame is None else frame
        if data_name.endswith(".csv"):
            frame.to_csv(tmp_path / data_name, index=False)
        path = tmp_path / "experiment.yaml"
        path.write_text(yaml.safe_dump(definition, sort_keys=False, allow_unicode=True))
        return path

    return write


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def sales_account(root: Path, folder: str, customer: str, **changes) -> Path:
    """A copy of the sales example (fewer permutations: faster) under another customer name."""
    target = root / folder
    shutil.copytree(EXAMPLES / "sales_rollout", target)
    path = target / "experiment.yaml"
    definition = yaml.safe_load(path.read_text())
    definition["customer"]["name"] = customer
    definition["analysis"]["permutations"] = 2000
    for key, value in changes.items():
        if value is None:
            definition.pop(key, None)
        elif isinstance(value, dict):
            definition[key].update(value)
        else:
            definition[key] = value
    path.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False))
    return target


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL superuser URL: VALUEPROOF_TEST_PG_URL (.ci/run starts a cluster), or a
    throwaway cluster started here from Debian's `postgresql` binaries (tests/pg.py); the tests
    are skipped only when neither exists or the postgres extra is not installed."""
    import os

    from tests import pg

    pytest.importorskip("ibis", reason="the postgres extra is not installed: pip install '.[postgres]'")
    pytest.importorskip("psycopg", reason="the postgres extra is not installed: pip install '.[postgres]'")
    if not os.environ.get("VALUEPROOF_TEST_PG_URL") and pg.binaries() is None:
        pytest.skip("PostgreSQL is not installed (Debian package 'postgresql'), and "
                    "VALUEPROOF_TEST_PG_URL is not set")
    with pg.cluster() as url:
        yield url


@pytest.fixture
def laid_out(monkeypatch):
    """The WeasyPrint documents the report lays out, in order, for tests that measure them."""
    import weasyprint

    documents = []
    render = weasyprint.HTML.render

    def keep(self, *args, **kwargs):
        documents.append(render(self, *args, **kwargs))
        return documents[-1]

    monkeypatch.setattr(weasyprint.HTML, "render", keep)
    return documents

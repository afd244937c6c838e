"""`valueproof batch --executor dask://…`: the examples copied to eight accounts (and a broken
one) rendered on a local Dask cluster (a scheduler and two single-threaded worker processes
started here) equal the local run byte for byte; the refusals (extra missing, no scheduler,
threaded workers) and a task lost on the cluster."""

from __future__ import annotations

import shutil
import sys
from concurrent.futures import Future
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.commands.batch_copies import assert_same_outputs, example_accounts, summary_rows
from tests.conftest import invoke
from valueproof.commands.batch.plan import Task
from valueproof.commands.batch.run import Workers

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local.scheduler_address.replace("tcp://", "dask://")


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    root = example_accounts(tmp_path_factory.mktemp("dask") / "accounts", copies=2)
    shutil.copytree(root / "sales_rollout-1", root / "broken")
    (root / "broken" / "data" / "rep_weeks.parquet").write_bytes(b"not a parquet file")
    return root


def test_a_dask_cluster_renders_what_the_local_pool_renders(cluster, accounts, tmp_path):
    runner = CliRunner()
    local = invoke(runner, "batch", accounts, "-o", tmp_path / "local", "-j", "2", "--json", "-q")
    assert local.exit_code == 1, local.output  # the broken account
    remote = invoke(runner, "batch", accounts, "-o", tmp_path / "dask", "--json", "-q",
                    "--executor", cluster)
    assert remote.exit_code == 1, remote.output
    rows = summary_rows(tmp_path / "dask")
    assert [row["status"] for row in rows].count("rendered") == 8
    (broken,) = [row for row in rows if row["status"] == "failed"]
    assert broken["definition"].endswith("broken/experiment.yaml") and broken["error"]
    assert_same_outputs(tmp_path / "local", tmp_path / "dask")
    assert not list((tmp_path / "dask").glob(".*.tmp"))  # the staging folder removed
    # run again: everything rendered is up to date, whichever way it was rendered
    again = invoke(runner, "batch", accounts, "-o", tmp_path / "dask", "--json", "-q",
                   "--executor", cluster)
    assert again.exit_code == 1
    assert sorted({r["status"] for r in summary_rows(tmp_path / "dask")}) == ["failed", "skipped"]


def test_a_task_lost_on_the_cluster_fails_only_its_account():
    from distributed.scheduler import KilledWorker

    workers = Workers.__new__(Workers)  # as connected to a cluster, without one
    workers.client = object()
    task = Task(Path("/x/a/experiment.yaml"), "a", "Alpha", "key", "new")
    died, raised = Future(), Future()
    died.set_exception(KilledWorker("render_task-1", "tcp://10.0.0.5:4000", 3))
    raised.set_exception(ModuleNotFoundError("No module named 'valueproof'"))
    assert workers.outcome(died, task).error == "the worker process rendering it died"
    outcome = workers.outcome(raised, task)
    assert outcome.status == "failed" and "valueproof version" in outcome.error
    assert "ModuleNotFoundError" in outcome.error


def _refused(runner, tmp_path, *args) -> str:
    out = tmp_path / "out"
    result = invoke(runner, "batch", *args, "-o", out, "-q")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not (out / "summary.json").exists()
    return result.output


def test_refusals(accounts, tmp_path, runner, monkeypatch):
    one = accounts / "sales_rollout-1"
    assert "dask://HOST:PORT" in _refused(runner, tmp_path, one, "--executor", "tcp://h:1")
    assert "dask://HOST:PORT" in _refused(runner, tmp_path, one, "--executor", "dask://h")
    monkeypatch.setattr("valueproof.commands.batch.cluster.CONNECT_SECONDS", 1)
    assert "no Dask scheduler answers" in _refused(runner, tmp_path, one, "--force",
                                                   "--executor", "dask://127.0.0.1:9")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp://", dashboard_address=None) as threaded:
        address = threaded.scheduler_address.replace("tcp://", "dask://")
        assert "--nthreads 1" in _refused(runner, tmp_path, one, "--force", "--executor", address)
    monkeypatch.setitem(sys.modules, "distributed", None)  # the extra not installed
    message = _refused(runner, tmp_path, one, "--executor", "dask://scheduler:8786")
    assert "pip install 'valueproof[dask]'" in message

"""`valueproof batch`: a portfolio with a broken account, incremental reruns, interruption."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, invoke, sales_account
from valueproof.commands.batch.plan import find_definitions, safe_name


def _account(root: Path, name: str, customer: str, broken: bool = False) -> Path:
    folder = sales_account(root, name, customer)
    if broken:  # a typo in a column name
        path = folder / "experiment.yaml"
        path.write_text(path.read_text().replace("numerator: deals_won", "numerator: deals_wonn", 1))
    return folder


@pytest.fixture
def portfolio(tmp_path):
    root = tmp_path / "portfolio"
    _account(root, "a", "Alpha GmbH")
    _account(root, "b", "Beta & Söhne")
    _account(root, "c", "Gamma SA", broken=True)
    return root


def test_portfolio_renders_good_accounts_and_reports_the_broken_one(portfolio, tmp_path, runner):
    out = tmp_path / "out"
    result = invoke(runner, "batch", portfolio, "-o", out, "--jobs", "2", "--json")
    assert result.exit_code == 1, result.output
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    assert pdfs == ["alpha-gmbh-2026-q3.pdf", "beta-sohne-2026-q3.pdf"]
    assert (out / "alpha-gmbh-2026-q3.json").is_file()
    summary = {row["account"]: row for row in json.loads((out / "summary.json").read_text())}
    assert summary["Gamma SA"]["status"] == "failed"
    assert "deals_wonn" in summary["Gamma SA"]["error"]
    alpha = summary["Alpha GmbH"]
    assert alpha["status"] == "rendered"
    assert alpha["experiment"] == "Wdrożenie narzędzia sprzedażowego"  # the Polish example
    # goals achieved and their total in two number columns (Excel reads "1/3" as a date)
    assert isinstance(alpha["criteria_met"], int) and alpha["criteria_total"] == 3
    rows = list(csv.DictReader((out / "summary.csv").open()))
    header = list(rows[0])
    assert {"experiment", "criteria_met", "criteria_total", "roi"} <= set(header)
    assert all("/" not in row["criteria_met"] for row in rows)
    assert any(row["account"] == "Gamma SA" for row in rows)
    assert "%" in result.output and "×" not in result.output  # ROI as a percentage
    assert not list(out.glob(".*.tmp"))

    # A second run skips what is unchanged; the broken account is tried (and fails) again.
    again = invoke(runner, "batch", portfolio, "-o", out, "--jobs", "2", "--json")
    assert again.exit_code == 1
    statuses = {r["account"]: r["status"] for r in json.loads((out / "summary.json").read_text())}
    assert statuses == {"Alpha GmbH": "skipped", "Beta & Söhne": "skipped", "Gamma SA": "failed"}

    # A changed data file re-renders only that account.
    data = portfolio / "b" / "data" / "assignment.csv"
    data.write_text(data.read_text() + "R99,legacy\n")
    before = (out / "alpha-gmbh-2026-q3.pdf").stat().st_mtime_ns
    third = invoke(runner, "batch", portfolio / "a", portfolio / "b", "-o", out, "-j", "1", "--json")
    assert third.exit_code == 0, third.output
    statuses = {r["account"]: r["status"] for r in json.loads((out / "summary.json").read_text())}
    assert statuses == {"Alpha GmbH": "skipped", "Beta & Söhne": "rendered"}
    assert (out / "alpha-gmbh-2026-q3.pdf").stat().st_mtime_ns == before


def test_dry_run_and_force(portfolio, tmp_path, runner):
    out = tmp_path / "out"
    result = invoke(runner, "batch", portfolio / "a", "-o", out, "--dry-run")
    assert result.exit_code == 0 and "render" in result.output and "new" in result.output
    assert not out.exists()
    assert invoke(runner, "batch", portfolio / "a", "-o", out, "-j", "1").exit_code == 0
    dry = invoke(runner, "batch", portfolio / "a", "-o", out, "--dry-run", "--force")
    assert "forced" in dry.output


def test_workers_start_only_when_an_account_needs_rendering(portfolio, tmp_path, runner,
                                                          monkeypatch):
    """The forkserver (2 s of imports) starts while planning, but only once an account is sure
    to be rendered: never for a dry run, nor when every account is up to date."""
    from valueproof.commands.batch import run

    started = []
    real = run._forkserver_context
    monkeypatch.setattr(run, "_forkserver_context",
                        lambda options: started.append(1) or real(options))
    out = tmp_path / "out"
    assert invoke(runner, "batch", portfolio / "a", "-o", out, "-j", "2", "--dry-run").exit_code == 0
    assert started == []
    assert invoke(runner, "batch", portfolio / "a", "-o", out, "-j", "2").exit_code == 0
    assert started  # rendered: the server was started (before planning ended, and for the pool)
    started.clear()
    assert invoke(runner, "batch", portfolio / "a", "-o", out, "-j", "2").exit_code == 0
    assert started == []  # up to date: nothing to render, no server


def test_fail_fast_stops_at_the_first_failure(portfolio, tmp_path, runner):
    out = tmp_path / "out"
    listing = tmp_path / "portfolio.txt"
    listing.write_text("portfolio/c/experiment.yaml  # broken first\nportfolio/a\n")
    result = invoke(runner, "batch", listing, "-o", out, "--jobs", "1", "--fail-fast")
    assert result.exit_code == 1
    assert not list(out.glob("*.pdf"))


def test_misuse_is_exit_2(tmp_path, runner):
    assert invoke(runner, "batch", tmp_path / "nothing", "-o", tmp_path / "o").exit_code == 2
    (tmp_path / "empty").mkdir()
    result = invoke(runner, "batch", tmp_path / "empty", "-o", tmp_path / "o")
    assert result.exit_code == 2 and "no experiment definitions" in result.output
    (tmp_path / "file").write_text("x")
    result = invoke(runner, "batch", EXAMPLES / "sales_rollout", "-o", tmp_path / "file")
    assert result.exit_code == 2


def test_file_names_are_safe():
    assert safe_name("Hurtownia Bałtyk Sp. z o.o. 2026-Q3") == "hurtownia-baltyk-sp-z-o-o-2026-q3"
    assert safe_name("../../etc/passwd") == "etc-passwd"
    assert safe_name("***") == "report"


def test_portfolio_file_lists_definitions(tmp_path):
    listing = tmp_path / "accounts.txt"
    listing.write_text(f"# my accounts\n{EXAMPLES / 'sales_rollout'}\n\n")
    assert find_definitions([listing]) == [(EXAMPLES / "sales_rollout" / "experiment.yaml").resolve()]


def test_interrupt_keeps_finished_pdfs_and_leaves_no_partial_files(portfolio, tmp_path):
    out = tmp_path / "out"
    for name in ("d", "e", "f"):
        _account(portfolio, name, f"Account {name}")
    process = subprocess.Popen(
        [sys.executable, "-m", "valueproof", "batch", str(portfolio), "-o", str(out), "-j", "2",
         "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob("*.pdf")):
        time.sleep(0.2)
    sent = time.time()
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert time.time() - sent < 5, "the batch went on rendering after Ctrl-C"
    assert b"Traceback" not in stderr and stderr.count(b"Interrupted") == 1, stderr
    assert not list(out.glob(".*.tmp"))
    for pdf in out.glob("*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().rstrip().endswith(b"%%EOF")
    rows = json.loads((out / "summary.json").read_text())
    assert {r["pdf"] for r in rows if r["status"] == "rendered"} == {p.name for p in out.glob("*.pdf")}
    assert {r["account"] for r in rows} >= {"Alpha GmbH", "Beta & Söhne", "Gamma SA"}


def test_killed_worker_leaves_no_partial_pdf(portfolio, tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "valueproof", "batch", str(portfolio), "-o", str(out), "-j", "2",
         "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    def children_of(pid: int) -> list[int]:
        found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        return [int(p) for p in found.stdout.split()]

    killed, deadline = None, time.time() + 60
    while killed is None and time.time() < deadline and process.poll() is None:
        time.sleep(0.3)  # workers are forked by the forkserver: grandchildren of the batch
        for worker in [w for child in children_of(process.pid) for w in children_of(child)]:
            try:
                os.kill(worker, signal.SIGKILL)
            except ProcessLookupError:  # gone between listing and killing
                continue
            killed = worker
            break
    assert killed is not None, "no worker process was found to kill"
    process.communicate(timeout=240)
    assert process.returncode in (0, 1)
    assert not list(out.glob(".*.tmp"))
    for pdf in out.glob("*.pdf"):
        assert pdf.read_bytes().rstrip().endswith(b"%%EOF")
    rows = json.loads((out / "summary.json").read_text())
    assert {r["account"] for r in rows} == {"Alpha GmbH", "Beta & Söhne", "Gamma SA"}


def test_planning_loads_no_statistics(tmp_path):
    """Planning reads the definitions and fingerprints their data, nothing more: the statistics'
    modules (about 1 s of imports) are not loaded, so the workers start without waiting for
    them."""
    code = ("import sys\nfrom pathlib import Path\n"
            "from valueproof.commands.batch.plan import BatchOptions, plan_batch\n"
            f"tasks = plan_batch([Path({str(EXAMPLES / 'team_waves')!r})], "
            f"BatchOptions(Path({str(tmp_path / 'out')!r}), 2), dry_run=True)\n"
            "assert [task.reason for task in tasks] == ['new'], tasks\n"
            "print(sorted(m for m in sys.modules if m.startswith(('scipy', 'valueproof.stats'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

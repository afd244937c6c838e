"""`valueproof batch` never falls over: any broken account fails alone, output names are stable
and never clash, Ctrl-C leaves a summary that matches the disk, a bad portfolio file gets one
message."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, invoke, sales_account

VALUEPROOF = [sys.executable, "-m", "valueproof"]


def summary(out: Path) -> dict[str, dict]:
    """summary.json's rows by the real path of their definition."""
    return {row["definition"]: row for row in json.loads((out / "summary.json").read_text())}


def key(path: Path) -> str:
    return os.path.realpath(path)


def leftovers(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if p.name.endswith(".tmp") or ".tmp." in p.name]


# 1. Any exception while planning one account is that account's failure ----------------------

def broken_portfolio(root: Path) -> dict[str, str]:
    """One good account and many broken ones; folder -> words the failure message must contain."""
    sales_account(root, "good", "Good Account")
    expected = {}
    folder = sales_account(root, "bad_date", "Bad Date")
    text = (folder / "experiment.yaml").read_text()
    (folder / "experiment.yaml").write_text(text.replace("rollout: 2026-05-04",
                                                         "rollout: 2026-02-30"))
    assert "rollout: 2026-02-30" in (folder / "experiment.yaml").read_text()
    expected["bad_date"] = "rollout"
    folder = sales_account(root, "device", "Device Data")
    definition = yaml.safe_load((folder / "experiment.yaml").read_text())
    definition["data"]["path"] = "/dev/zero"
    (folder / "experiment.yaml").write_text(yaml.safe_dump(definition, sort_keys=False))
    expected["device"] = "data.path"
    folder = sales_account(root, "fifo", "Fifo Data")
    data = folder / yaml.safe_load((folder / "experiment.yaml").read_text())["data"]["path"]
    data.unlink()
    os.mkfifo(data)
    expected["fifo"] = "not a regular file"
    folder = root / "folder_definition"
    (folder / "experiment.yaml").mkdir(parents=True)
    expected["folder_definition"] = "is a folder"
    folder = root / "binary"
    folder.mkdir()
    (folder / "experiment.yaml").write_bytes(bytes(range(256)) * 8)
    expected["binary"] = "UTF-8"
    folder = sales_account(root, "no_data", "No Data")
    (folder / yaml.safe_load((folder / "experiment.yaml").read_text())["data"]["path"]).unlink()
    expected["no_data"] = "no_data"
    return expected


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_kind_of_broken_account_fails_alone(tmp_path, jobs):
    root, out = tmp_path / "portfolio", tmp_path / "out"
    expected = broken_portfolio(root)
    # a real process with a time limit: reading the FIFO would block for ever
    done = subprocess.run([*VALUEPROOF, "batch", str(root), "-o", str(out), "-j", jobs,
                           "--allow-path", "/dev"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert sorted(p.name for p in out.glob("*.pdf")) == ["good-account-2026-q3.pdf"]
    rows = summary(out)
    good = rows[key(root / "good" / "experiment.yaml")]
    assert good["status"] == "rendered"
    for folder, words in expected.items():
        row = rows[key(root / folder / "experiment.yaml")]
        assert row["status"] == "failed", folder
        assert words in row["error"], (folder, row["error"])
        assert "Traceback" not in row["error"]
    assert not leftovers(out)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_unreadable_definition_and_data_fail_alone(tmp_path, runner):
    root, out = tmp_path / "portfolio", tmp_path / "out"
    (sales_account(root, "secret", "Secret") / "experiment.yaml").chmod(0)
    data = sales_account(root, "secret_data", "Secret Data") / "data" / "rep_weeks.parquet"
    data.chmod(0)
    try:
        result = invoke(runner, "batch", root, "-o", out, "--dry-run")
    finally:
        (root / "secret" / "experiment.yaml").chmod(0o644)
        data.chmod(0o644)
    assert result.exit_code == 0, result.output
    assert result.output.count("fail") == 2 and "Traceback" not in result.output


def test_dry_run_lists_a_broken_account_with_its_message(tmp_path, runner):
    root = tmp_path / "portfolio"
    sales_account(root, "good", "Good Account")
    (root / "binary").mkdir()
    (root / "binary" / "experiment.yaml").write_bytes(b"\xff\xfe\x00garbage")
    result = invoke(runner, "batch", root, "-o", tmp_path / "out", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "good-account-2026-q3.pdf" in result.output and "render" in result.output
    assert "fail" in result.output and "UTF-8" in result.output
    assert not (tmp_path / "out").exists()


# 2. Stable, collision-free output names -------------------------------------------------------

def test_accounts_sharing_customer_and_quarter_get_stable_names(tmp_path, runner):
    root, out = tmp_path / "portfolio", tmp_path / "out"
    north = sales_account(root, "north", "Same Co")
    south = sales_account(root, "south", "Same Co")

    # Alone, an account gets the plain name ...
    assert invoke(runner, "batch", north, "-o", out, "-j", "1").exit_code == 0
    assert sorted(p.name for p in out.glob("*.pdf")) == ["same-co-2026-q3.pdf"]
    first = (out / "same-co-2026-q3.pdf").stat().st_mtime_ns
    # ... and keeps it: the other one, given first, never overwrites it.
    result = invoke(runner, "batch", south, north, "-o", out, "-j", "2")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.pdf")) == ["same-co-2026-q3-south.pdf",
                                                         "same-co-2026-q3.pdf"]
    assert (out / "same-co-2026-q3.pdf").stat().st_mtime_ns == first
    # Either order, the same names: both are up to date.
    for order in ((north, south), (south, north)):
        result = invoke(runner, "batch", *order, "-o", out, "-j", "2")
        rows = summary(out)
        assert {r["status"] for r in rows.values()} == {"skipped"}, result.output
        assert rows[key(north / "experiment.yaml")]["pdf"] == "same-co-2026-q3.pdf"
        assert rows[key(south / "experiment.yaml")]["pdf"] == "same-co-2026-q3-south.pdf"

    # In a fresh folder, both get their folder's name, whatever the order.
    fresh = tmp_path / "fresh"
    names = []
    for order in ((south, north), (north, south)):
        result = invoke(runner, "batch", *order, "-o", fresh, "-j", "2", "--dry-run")
        names.append(sorted(line for line in result.output.split() if line.endswith(".pdf")))
    assert names[0] == names[1] == ["same-co-2026-q3-north.pdf", "same-co-2026-q3-south.pdf"]


def test_customer_named_summary_does_not_overwrite_the_summary(tmp_path, runner):
    root, out = tmp_path / "portfolio", tmp_path / "out"
    sales_account(root, "acct", "Summary", quarter=None)
    result = invoke(runner, "batch", root, "-o", out, "-j", "1", "--json")
    assert result.exit_code == 0, result.output
    assert (out / "summary-acct.pdf").is_file() and (out / "summary-acct.json").is_file()
    rows = json.loads((out / "summary.json").read_text())
    assert isinstance(rows, list) and rows[0]["account"] == "Summary"
    assert rows[0]["pdf"] == "summary-acct.pdf"


def test_outputs_never_overwrite_an_accounts_input(tmp_path, runner):
    root = tmp_path / "portfolio"
    folder = sales_account(root, "acct", "Input Co", groups={"file": "summary.csv"})
    shutil.copy(EXAMPLES / "sales_rollout" / "data" / "assignment.csv", folder / "summary.csv")
    before = (folder / "summary.csv").read_bytes()
    result = invoke(runner, "batch", folder, "-o", folder)
    assert result.exit_code == 2
    assert "summary.csv" in result.output and "groups.file" in result.output
    assert (folder / "summary.csv").read_bytes() == before
    assert not list(folder.glob("*.pdf"))

    other = sales_account(root, "other", "Other Co", groups={"file": "other-co-2026-q3.pdf"})
    shutil.copy(EXAMPLES / "sales_rollout" / "data" / "assignment.csv",
                other / "other-co-2026-q3.pdf")
    result = invoke(runner, "batch", other, "-o", other, "--dry-run")
    assert result.exit_code == 0 and "fail" in result.output and "groups.file" in result.output


# 3. Ctrl-C ------------------------------------------------------------------------------------

ACCOUNTS = 6  # enough that the batch is still running when the first PDF appears


def interrupt(root: Path, out: Path, jobs: str, whole_group: bool):
    """Start a batch, send SIGINT once the first PDF exists; (exit status, stderr, seconds
    from the signal to the exit)."""
    process = subprocess.Popen([*VALUEPROOF, "batch", str(root), "-o", str(out), "-j", jobs],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None and not list(out.glob("*.pdf")):
        time.sleep(0.05)
    assert process.poll() is None, "the batch ended before it could be interrupted"
    sent = time.time()
    if whole_group:  # a terminal sends Ctrl-C to every process of the foreground group
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    seconds = time.time() - sent
    time.sleep(0.5)
    listing = subprocess.run(["ps", "-s", str(process.pid), "-o", "pid=,stat="],
                             capture_output=True, text=True).stdout.splitlines()
    still_running = [line for line in listing if not line.split()[1].startswith("Z")]
    assert not still_running, f"processes of the batch still run: {still_running}"
    return process.returncode, stderr, seconds


def assert_summary_matches_disk(out: Path) -> dict[str, dict]:
    rows = summary(out)
    rendered = {r["pdf"] for r in rows.values() if r["status"] == "rendered"}
    assert rendered == {p.name for p in out.glob("*.pdf")}
    assert not leftovers(out)
    return rows


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_promptly_and_the_summary_matches_the_disk(tmp_path, jobs):
    root, out = tmp_path / "portfolio", tmp_path / "out"
    for i in range(ACCOUNTS):
        sales_account(root, f"acct{i:02d}", f"Customer {i:02d}")
    status, stderr, seconds = interrupt(root, out, jobs, whole_group=False)
    assert status == 130, stderr
    assert seconds < 5, f"took {seconds:.1f} s to stop"
    assert "Traceback" not in stderr and stderr.count("Interrupted") == 1, stderr
    pdfs = {p.name for p in out.glob("*.pdf")}
    time.sleep(1)  # nothing goes on rendering after the exit
    assert {p.name for p in out.glob("*.pdf")} == pdfs
    rows = assert_summary_matches_disk(out)
    assert 1 <= len(pdfs) < ACCOUNTS
    assert {r["status"] for r in rows.values()} == {"rendered", "interrupted"}

    # A rerun renders the rest and skips the finished ones.
    again = subprocess.run([*VALUEPROOF, "batch", str(root), "-o", str(out), "-j", "2", "-q"],
                           capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr
    rows = summary(out)
    skipped = {r["pdf"] for r in rows.values() if r["status"] == "skipped"}
    rendered = {r["pdf"] for r in rows.values() if r["status"] == "rendered"}
    assert skipped == pdfs and len(rendered) == ACCOUNTS - len(pdfs)
    assert {p.name for p in out.glob("*.pdf")} == skipped | rendered
    assert not leftovers(out)


# 4. Portfolio files ---------------------------------------------------------------------------

def test_portfolio_that_is_not_text_is_named(tmp_path, runner):
    listing = tmp_path / "accounts.txt"
    listing.write_bytes("Zürich/experiment.yaml\n".encode("latin-1"))
    result = invoke(runner, "batch", listing, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "accounts.txt" in result.output and "UTF-8" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_portfolios_listing_themselves_or_each_other_are_read_once(tmp_path, runner):
    root = tmp_path / "portfolio"
    sales_account(root, "good", "Good Account")
    (tmp_path / "self.txt").write_text("self.txt\nportfolio/good\n")
    (tmp_path / "one.txt").write_text("two.txt\nportfolio/good\n")
    (tmp_path / "two.txt").write_text("one.txt\n")
    for listing in ("self.txt", "one.txt", "two.txt"):
        result = invoke(runner, "batch", tmp_path / listing, "-o", tmp_path / "out", "--dry-run")
        assert result.exit_code == 0, result.output
        assert result.output.count("good-account-2026-q3.pdf") == 1


def test_listed_path_that_does_not_exist_fails_that_account(tmp_path, runner):
    root, out = tmp_path / "portfolio", tmp_path / "out"
    sales_account(root, "good", "Good Account")
    listing = tmp_path / "accounts.txt"
    listing.write_text("# accounts\nportfolio/good\nportfolio/gone/experiment.yaml\n")
    result = invoke(runner, "batch", listing, "-o", out, "-j", "1")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    rows = summary(out)
    assert rows[key(root / "good" / "experiment.yaml")]["status"] == "rendered"
    gone = rows[key(root / "gone" / "experiment.yaml")]
    assert gone["status"] == "failed"
    assert "no such file" in gone["error"] and f"{listing}:3" in gone["error"]

"""SIGTERM stops `valueproof batch` as Ctrl-C does (summary matching the disk, no staging
folder, no process left, exit status 143), and a staging folder left by a killed run is
removed by the next one."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import sales_account

SCRIPT = Path(sys.executable).parent / "valueproof"
VALUEPROOF = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "valueproof"]
ACCOUNTS = 6


def session_processes(session: int) -> list[str]:
    """The live (not zombie) processes of a session, from /proc: 'pid state command'."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getsid(int(entry)) != session:
                continue
            stat = Path(f"/proc/{entry}/stat").read_text()
        except (ProcessLookupError, PermissionError, FileNotFoundError):
            continue
        command, state = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2]
        if state != "Z":
            found.append(f"{entry} {state} {command}")
    return found


def staging_folders(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if p.name.startswith(".valueproof-") and p.is_dir()]


def start_batch(root: Path, out: Path, jobs: str) -> subprocess.Popen:
    return subprocess.Popen([*VALUEPROOF, "batch", str(root), "-o", str(out), "-j", jobs],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def wait_for(condition, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline and process.poll() is None and not condition():
        time.sleep(0.05)
    assert process.poll() is None, "the batch ended before the signal: " + process.stderr.read()


@pytest.mark.parametrize("jobs, whole_group", [("1", False), ("2", False), ("2", True)])
def test_sigterm_stops_like_ctrl_c(tmp_path, jobs, whole_group):
    root, out = tmp_path / "portfolio", tmp_path / "out"
    for i in range(ACCOUNTS):
        sales_account(root, f"acct{i:02d}", f"Customer {i:02d}")
    process = start_batch(root, out, jobs)
    wait_for(lambda: list(out.glob("*.pdf")), process)
    sent = time.time()
    if whole_group:  # a service manager stops every process of the group
        os.killpg(process.pid, signal.SIGTERM)
    else:  # kill PID, a container's stop, timeout(1)
        process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert time.time() - sent < 10, "took too long to stop"
    assert "Traceback" not in stderr and stderr.count("Terminated") == 1, stderr
    assert "SIGTERM" in stderr
    time.sleep(0.5)
    assert not session_processes(process.pid), "processes of the batch still run"

    rows = {row["definition"]: row for row in json.loads((out / "summary.json").read_text())}
    pdfs = {p.name for p in out.glob("*.pdf")}
    assert {r["pdf"] for r in rows.values() if r["status"] == "rendered"} == pdfs
    assert 1 <= len(pdfs) < ACCOUNTS and len(rows) == ACCOUNTS
    assert {r["status"] for r in rows.values()} == {"rendered", "interrupted"}
    assert (out / "summary.csv").read_text().count(",interrupted,") == ACCOUNTS - len(pdfs)
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".pdf") == [
        ".valueproof-batch.json", "summary.csv", "summary.json"]


def test_staging_folder_of_a_killed_run_is_removed_by_the_next(tmp_path):
    root, out = tmp_path / "portfolio", tmp_path / "out"
    for i in range(2):
        sales_account(root, f"acct{i:02d}", f"Customer {i:02d}")
    process = start_batch(root, out, "2")
    wait_for(lambda: out.is_dir() and staging_folders(out), process)
    time.sleep(1)  # the workers are rendering into it
    os.killpg(process.pid, signal.SIGKILL)  # no clean-up at all
    process.communicate(timeout=30)
    assert staging_folders(out), "the killed run left no staging folder to test with"

    # A live run's staging folder (locked) is left alone; a dead run's is removed.
    live = out / ".valueproof-live0000.tmp"
    live.mkdir()
    (live / "partial.pdf").write_bytes(b"%PDF-")
    with open(live / ".lock", "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        again = subprocess.run([*VALUEPROOF, "batch", str(root), "-o", str(out), "-j", "2", "-q"],
                               capture_output=True, text=True, timeout=240)
        assert again.returncode == 0, again.stderr
        assert staging_folders(out) == [live]
    rows = json.loads((out / "summary.json").read_text())
    assert {r["pdf"] for r in rows} == {p.name for p in out.glob("*.pdf")}
    assert not [p for p in out.iterdir() if p.is_file() and p.name.endswith(".tmp")]


def test_staging_folder_without_a_lock_is_removed_once_it_is_old(tmp_path):
    from valueproof.commands.batch.stop import remove_leftovers

    old, new = tmp_path / ".valueproof-old.tmp", tmp_path / ".valueproof-new.tmp"
    for folder in (old, new):
        folder.mkdir()
        (folder / "acme.pdf").write_bytes(b"%PDF-")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    (tmp_path / ".summary.csv.abc.tmp").write_text("half")
    (tmp_path / "keep.pdf").write_bytes(b"%PDF-")
    remove_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".valueproof-new.tmp", "keep.pdf"]


def test_sigterm_while_planning_ends_as_ctrl_c_does():
    from valueproof.commands.batch.stop import Stopper

    stopper = Stopper()
    before = signal.getsignal(signal.SIGTERM)
    stopper.install()
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs before this ends
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN  # a second one is ignored
    finally:
        stopper.restore()
    assert stopper.exit_code == 143 and signal.getsignal(signal.SIGTERM) == before

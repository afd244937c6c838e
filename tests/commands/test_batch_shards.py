"""`valueproof batch --shard I/N` and `valueproof batch-merge`: forty accounts (the examples
copied ten times) in four shards, merged, equal the unsplit run byte for byte; the shard
option's and the merge's refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.commands.batch_copies import assert_same_outputs, example_accounts, summary_rows
from tests.conftest import invoke, sales_account
from valueproof.commands.batch.shard import identities, parse_shard, shard_number
from valueproof.errors import ValueproofError

SHARDS = 4
ACCOUNTS = 40  # the portfolio: the four examples ten times


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The unsplit run and its four shards, each in its own folder."""
    root = tmp_path_factory.mktemp("shards")
    accounts = example_accounts(root / "accounts", copies=ACCOUNTS // 4)
    runner = CliRunner()
    full = invoke(runner, "batch", accounts, "-o", root / "full", "-j", "2", "--json", "-q")
    assert full.exit_code == 0, full.output
    for index in range(1, SHARDS + 1):
        shard = invoke(runner, "batch", accounts, "-o", root / f"shard{index}", "-j", "2",
                       "--json", "-q", "--shard", f"{index}/{SHARDS}")
        assert shard.exit_code == 0, shard.output
    return root


def _shard_dirs(root: Path) -> list[Path]:
    return [root / f"shard{index}" for index in range(1, SHARDS + 1)]


def test_four_shards_merged_equal_the_unsplit_run(runs, tmp_path, runner):
    full = summary_rows(runs / "full")
    assert len(full) == ACCOUNTS and {row["status"] for row in full} == {"rendered"}
    per_shard = [summary_rows(folder, f"summary-shard-{i}-of-{SHARDS}.json")
                 for i, folder in enumerate(_shard_dirs(runs), 1)]
    # every account in exactly one shard, and a shard renders only its own accounts
    assert sorted(len(rows) for rows in per_shard) != [0, 0, 0, ACCOUNTS]
    assert sorted(row["definition"] for rows in per_shard for row in rows) == \
        sorted(row["definition"] for row in full)
    for rows, folder in zip(per_shard, _shard_dirs(runs)):
        assert sorted(p.name for p in folder.glob("*.pdf")) == sorted(r["pdf"] for r in rows)
        assert not (folder / "summary.json").exists()

    merged = tmp_path / "merged"
    result = invoke(runner, "batch-merge", merged, *_shard_dirs(runs))
    assert result.exit_code == 0, result.output
    assert f"{ACCOUNTS} accounts merged: {ACCOUNTS} rendered" in result.output
    assert_same_outputs(runs / "full", merged)
    assert (merged / "summary.csv").read_text().count("\n") == ACCOUNTS + 1

    # the portfolio reads the merged folder as it reads the unsplit run's
    for folder, pooled in ((runs / "full", tmp_path / "full.json"), (merged, tmp_path / "m.json")):
        assert invoke(runner, "portfolio", folder, "--json", pooled).exit_code == 0
    assert pooled.read_text() == (tmp_path / "full.json").read_text()

    # the merged state: an unsplit run into the merged folder finds every account up to date
    again = invoke(runner, "batch", runs / "accounts", "-o", merged, "--json", "-q", "--dry-run")
    assert again.exit_code == 0 and "render" not in again.output.replace("rendered", "")
    # and a shard run again skips its accounts
    rerun = invoke(runner, "batch", runs / "accounts", "-o", runs / "shard1", "--json", "-q",
                   "--shard", f"1/{SHARDS}")
    assert rerun.exit_code == 0
    assert {r["status"] for r in summary_rows(runs / "shard1", "summary-shard-1-of-4.json")} \
        <= {"skipped"}


def test_merge_refuses_missing_doubled_and_foreign_shards(runs, tmp_path, runner):
    out = tmp_path / "out"
    shards = _shard_dirs(runs)

    def refused(*folders: Path) -> str:
        result = invoke(runner, "batch-merge", out, *folders)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and not (out / "summary.json").exists()
        return result.output

    assert "shard 3 of 4 missing" in refused(*shards[:2], shards[3])
    assert "--shard 3/4" in refused(*shards[:2], shards[3])
    copy = tmp_path / "copy"
    shutil.copytree(shards[0], copy)
    assert "shard 1 of 4 is given twice" in refused(*shards, copy)
    # a shard of a batch of other accounts
    file = copy / "summary-shard-1-of-4.json"
    content = json.loads(file.read_text())
    file.write_text(json.dumps(content | {"plan": "0" * 64}))
    assert "other accounts" in refused(copy, *shards[1:])
    # an account claimed by two shards (a summary changed by hand)
    second = json.loads((shards[1] / "summary-shard-2-of-4.json").read_text())
    content["positions"][0] = second["positions"][0]
    file.write_text(json.dumps(content))
    assert "is also in another shard" in refused(copy, *shards[1:])
    file.write_text("{not json")
    assert "not a shard summary" in refused(copy, *shards[1:])
    # an account's PDF gone from its shard's folder
    shutil.rmtree(copy)
    shutil.copytree(shards[0], copy)
    pdf = next(copy.glob("*.pdf"))
    pdf.unlink()
    assert f"{pdf.name}: missing" in refused(copy, *shards[1:])
    assert not out.exists() or not any(out.glob("*.pdf"))  # nothing copied before the checks
    assert "holds no shard summary" in refused(runs / "full")
    assert "no such folder" in refused(tmp_path / "nowhere")
    # the same folder given twice is read once: still complete
    assert invoke(runner, "batch-merge", out, *shards, shards[0]).exit_code == 0


def test_empty_shards_and_a_broken_account_merge(tmp_path, runner):
    """One account whose definition is broken (no report rendered): three shards have nothing,
    each still writes its summary; the merge lists the failure and exits 1."""
    folder = sales_account(tmp_path / "accounts", "broken", "Broken AG")
    (folder / "experiment.yaml").write_text("name: [unclosed\n")
    dirs = []
    for index in range(1, 4):
        dirs.append(tmp_path / f"s{index}")
        result = invoke(runner, "batch", tmp_path / "accounts", "-o", dirs[-1], "-q",
                        "--shard", f"{index}/3")
        assert result.exit_code in (0, 1), result.output
    counts = [len(summary_rows(d, f"summary-shard-{i}-of-3.json")) for i, d in enumerate(dirs, 1)]
    assert sorted(counts) == [0, 0, 1]
    result = invoke(runner, "batch-merge", tmp_path / "merged", *dirs)
    assert result.exit_code == 1 and "1 failed" in result.output
    (row,) = summary_rows(tmp_path / "merged")
    assert row["status"] == "failed" and row["account"] == "broken"


def test_an_accounts_shard_follows_its_path_inside_the_batch(tmp_path):
    names = ["a/experiment.yaml", "b/experiment.yaml", "c/d/experiment.yaml"]
    here = identities([tmp_path / "x" / n for n in names])
    there = identities([Path("/elsewhere/mount") / n for n in reversed(names)])
    assert here == names and sorted(there) == names
    shards = {name: shard_number(name, 4) for name in names}
    assert all(1 <= s <= 4 for s in shards.values())
    assert shards == {name: shard_number(name, 4) for name in there}
    # about as many accounts in each shard (SHA-256, not Python's per-run hash())
    counts = [0] * 4
    for number in range(4000):
        counts[shard_number(f"account-{number}/experiment.yaml", 4) - 1] += 1
    assert min(counts) > 900


@pytest.mark.parametrize(("text", "environ", "expected"), [
    ("2/4", {}, 2), ("auto/4", {"JOB_COMPLETION_INDEX": "0"}, 1),
    ("auto/4", {"CI_NODE_INDEX": "4", "CI_NODE_TOTAL": "4"}, 4),
    ("auto/3", {"CIRCLE_NODE_INDEX": "2"}, 3), ("auto/2", {"BUILDKITE_PARALLEL_JOB": "1"}, 2)])
def test_shard_index_from_option_and_job_variables(text, environ, expected):
    assert parse_shard(text, environ).index == expected


@pytest.mark.parametrize(("text", "environ", "message"), [
    ("0/4", {}, "from 1 to 4"), ("5/4", {}, "from 1 to 4"), ("2", {}, "not I/N"),
    ("a/b", {}, "not I/N"), ("1/0", {}, "not I/N"), ("auto/4", {}, "none of JOB_COMPLETION_INDEX"),
    ("auto/4", {"JOB_COMPLETION_INDEX": "4"}, "JOB_COMPLETION_INDEX='4' is not a shard index"),
    ("auto/4", {"JOB_COMPLETION_INDEX": "-1"}, "from 0 to 3"),
    ("auto/4", {"CI_NODE_INDEX": "0"}, "from 1 to 4"),
    ("auto/2", {"CIRCLE_NODE_INDEX": "1", "CIRCLE_NODE_TOTAL": "3"}, "give --shard auto/3")])
def test_a_malformed_shard_never_runs_everything(text, environ, message):
    with pytest.raises(ValueproofError, match=message.replace("[", r"\[")):
        parse_shard(text, environ)


def test_shard_errors_through_the_cli(tmp_path, runner, monkeypatch):
    sales_account(tmp_path / "accounts", "a", "Alpha GmbH")
    out = tmp_path / "out"
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "seven")
    result = invoke(runner, "batch", tmp_path / "accounts", "-o", out, "--shard", "auto/4")
    assert result.exit_code == 2 and "JOB_COMPLETION_INDEX='seven'" in result.output
    assert not out.exists()
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "1")
    monkeypatch.setenv("VALUEPROOF_SHARD", "auto/2")  # the option from the job's environment
    dry = invoke(runner, "batch", tmp_path / "accounts", "-o", out, "--dry-run")
    assert dry.exit_code == 0, dry.output
    home = shard_number("experiment.yaml", 2)
    assert ("alpha-gmbh-2026-q3.pdf" in dry.output) == (home == 2)

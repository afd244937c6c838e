"""A batch of the examples copied to several accounts, and the check that two batch folders
hold the same outputs: the summary (but the seconds each account took) and every file's bytes.
Shared by the shard and Dask tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import EXAMPLES

EXAMPLE_NAMES = ("no_control", "sales_rollout", "support_copilot", "team_waves")


def example_accounts(root: Path, copies: int) -> Path:
    """`copies` copies of every example under `root` (the same customers: the copies' names
    get their folder's name, as a batch names accounts that share customer and quarter)."""
    for copy in range(1, copies + 1):
        for name in EXAMPLE_NAMES:
            shutil.copytree(EXAMPLES / name, root / f"{name}-{copy}",
                            ignore=shutil.ignore_patterns("generate_data.py"))
    return root


def summary_rows(folder: Path, file: str = "summary.json") -> list[dict]:
    """A summary's rows (a shard's too) without the seconds each account took."""
    content = json.loads((folder / file).read_text())
    rows = content["rows"] if isinstance(content, dict) else content
    for row in rows:
        assert row.pop("seconds") >= 0
    return rows


def assert_same_outputs(expected: Path, actual: Path) -> None:
    """The same summary rows in the same order and the same bytes in every account file."""
    assert summary_rows(actual) == summary_rows(expected)
    files = sorted(p.name for p in expected.iterdir()
                   if p.suffix in (".pdf", ".json", ".html") and not p.name.startswith("summary"))
    assert files and files == sorted(p.name for p in actual.iterdir()
                                     if p.suffix in (".pdf", ".json", ".html")
                                     and not p.name.startswith("summary"))
    for name in files:
        assert (actual / name).read_bytes() == (expected / name).read_bytes(), name

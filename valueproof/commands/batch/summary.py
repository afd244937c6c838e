"""The batch's summary: one `Outcome` an account (rendered, skipped, failed or interrupted) and
the files that list them, `summary.json` and `summary.csv` (a shard's `summary-shard-I-of-N`
with what `valueproof batch-merge` needs to put the shards together)."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from valueproof.commands.batch.plan import BatchOptions
from valueproof.safe_text import csv_row


@dataclass
class Outcome:
    account: str
    definition: str
    status: str  # rendered | skipped | failed | interrupted
    experiment: str = ""
    criteria_met: int | None = None  # goals achieved, of criteria_total (two columns: a
    criteria_total: int | None = None  # spreadsheet would read "1/3" as a date)
    roi: float | None = None  # (benefit - cost) / cost; 4.52 is 452%
    seconds: float = 0.0
    pdf: str = ""
    error: str = ""


def write_summary(out_dir: Path, outcomes: list[Outcome]) -> None:
    """summary.json and summary.csv."""
    write_rows(out_dir, "summary", [asdict(o) for o in outcomes])


def write_shard_summary(options: BatchOptions, outcomes: list[Outcome],
                        positions: list[int]) -> None:
    """A shard's summary-shard-I-of-N.json and .csv: its rows, and for the merge the shard, the
    whole plan's size and hash, each row's place in the plan and the files each account has."""
    shard = options.shard
    write_rows(options.out_dir, shard.stem, [asdict(o) for o in outcomes], {
        "shard": shard.index, "shards": shard.count, "accounts": shard.accounts,
        "plan": shard.plan, "options": {"html": options.html, "json": options.json,
                                        "deck": options.deck}, "positions": positions})


def write_rows(out_dir: Path, stem: str, rows: list[dict], header: dict | None = None) -> None:
    """`<stem>.json` (the rows, under `header`'s keys when given) and `<stem>.csv` (the rows)."""
    import io

    from valueproof.commands.outputs import write_atomic

    content = rows if header is None else header | {"rows": rows}
    # the JSON keeps the text as it is; the CSV escapes it
    write_atomic(out_dir / f"{stem}.json", json.dumps(content, indent=2, ensure_ascii=False) + "\n")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(Outcome.__dataclass_fields__))
    writer.writeheader()
    writer.writerows(csv_row(row) for row in rows)
    write_atomic(out_dir / f"{stem}.csv", buffer.getvalue())

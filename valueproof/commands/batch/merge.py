"""`valueproof batch-merge OUTDIR SHARD_DIR…`: the shards of one batch put back together.

Reads every shard's summary-shard-I-of-N.json in the folders given, refuses shards that are
missing, given twice or from another batch, copies each account's files into OUTDIR (nothing
to copy when the shards wrote into OUTDIR itself, on shared storage) and writes the summary an
unsplit run writes (same rows, same order), and the state file, so that a later unsplit
`valueproof batch … -o OUTDIR` skips the accounts that are up to date. Everything is checked
before anything is written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

from valueproof.commands.batch.plan import (BatchOptions, check_out_dir, load_state,
                                            output_files, save_state)
from valueproof.commands.batch.summary import Outcome, write_rows
from valueproof.commands.batch.shard import SHARD_FILE, Shard
from valueproof.errors import ValueproofError

MAX_SUMMARY_BYTES = 256 * 1024 * 1024  # a shard of 100,000 accounts is about 50 MB
ROW_KEYS = frozenset(field.name for field in fields(Outcome))
STATUSES = frozenset({"rendered", "skipped", "failed", "interrupted"})
RUN_FIRST = "run 'valueproof batch … --shard I/N -o FOLDER' and give those folders"


@dataclass
class ShardSummary:
    file: Path
    shard: int
    shards: int
    accounts: int
    plan: str
    options: dict  # html, json, deck: which files each account has
    rows: list[dict]
    positions: list[int]


def merge_shards(out_dir: Path, folders: list[Path]) -> list[dict]:
    """Merge the shards found in `folders` into `out_dir`; the merged summary's rows."""
    shards = _complete(_read_folders(folders))
    by_position = {}
    for summary in shards:
        for position, row in zip(summary.positions, summary.rows):
            if position in by_position:
                raise ValueproofError(f"{summary.file}: account {row['definition']} is also in "
                                      "another shard; the summaries were changed, run the "
                                      "shards again")
            by_position[position] = (summary, row)
    total = shards[0].accounts
    if len(by_position) != total or not all(0 <= position < total for position in by_position):
        raise ValueproofError(f"{shards[0].file}: the shards hold {len(by_position)} of the "
                              f"batch's {shards[0].accounts} accounts; run the shards again")
    copies, state = _account_files(out_dir, [by_position[p] for p in sorted(by_position)])
    check_out_dir(out_dir)
    for source, target in copies:
        _copy(source, target)
    save_state(out_dir, load_state(out_dir) | state)
    rows = [by_position[position][1] for position in sorted(by_position)]
    write_rows(out_dir, "summary", rows)
    return rows


def _read_folders(folders: list[Path]) -> list[ShardSummary]:
    found: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            raise ValueproofError(f"{folder}: no such folder; {RUN_FIRST}")
        files = sorted(path for path in folder.iterdir() if SHARD_FILE.fullmatch(path.name))
        if not files:
            raise ValueproofError(f"{folder}: holds no shard summary (summary-shard-I-of-N.json); "
                                  f"{RUN_FIRST}")
        for file in files:
            found.setdefault(os.path.realpath(file), file)  # a folder given twice: read once
    return [_read(file) for file in found.values()]


def _read(file: Path) -> ShardSummary:
    broken = f"{file}: not a shard summary of 'valueproof batch --shard'; run that shard again"
    try:
        if file.stat().st_size > MAX_SUMMARY_BYTES:
            raise ValueproofError(broken)
        content = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise ValueproofError(broken) from None
    if not isinstance(content, dict):
        raise ValueproofError(broken)
    numbers = [content.get(key) for key in ("shard", "shards", "accounts")]
    rows, positions = content.get("rows"), content.get("positions")
    options = content.get("options")
    if (not all(type(n) is int and n >= 0 for n in numbers)
            or not isinstance(content.get("plan"), str) or not isinstance(options, dict)
            or not isinstance(rows, list) or not isinstance(positions, list)
            or len(rows) != len(positions) or not all(map(_good_row, rows))
            or not all(type(p) is int for p in positions)):
        raise ValueproofError(broken)
    match = SHARD_FILE.fullmatch(file.name)
    if (int(match.group(1)), int(match.group(2))) != (numbers[0], numbers[1]):
        raise ValueproofError(f"{file}: says it is shard {numbers[0]} of {numbers[1]}, not "
                              "what its name says; keep the file names batch wrote")
    return ShardSummary(file, *numbers, content["plan"], options, rows, positions)


def _good_row(row) -> bool:
    return (isinstance(row, dict) and set(row) == ROW_KEYS and row["status"] in STATUSES
            and all(isinstance(row[key], str) for key in ("account", "definition", "pdf")))


def _complete(shards: list[ShardSummary]) -> list[ShardSummary]:
    """The shards 1..N of one batch, each once; a ValueproofError naming what is wrong."""
    first = shards[0]
    for other in shards[1:]:
        if other.shards != first.shards:
            raise ValueproofError(f"{other.file}: a batch split in {other.shards} shards, but "
                                  f"{first.file} one split in {first.shards}; merge the shards "
                                  "of one run")
        if (other.plan, other.accounts) != (first.plan, first.accounts):
            raise ValueproofError(f"{other.file} and {first.file}: shards of batches of other "
                                  "accounts; run every shard on the same definitions")
    by_index: dict[int, ShardSummary] = {}
    for summary in shards:
        if summary.shard in by_index:
            raise ValueproofError(f"shard {summary.shard} of {summary.shards} is given twice: "
                                  f"{by_index[summary.shard].file} and {summary.file}; give each "
                                  "shard's folder once")
        by_index[summary.shard] = summary
    missing = [str(i) for i in range(1, first.shards + 1) if i not in by_index]
    if missing:
        raise ValueproofError(f"shard {', '.join(missing)} of {first.shards} missing; run "
                              f"'valueproof batch … --shard {missing[0]}/{first.shards}' and "
                              "give its folder too")
    return [by_index[i] for i in sorted(by_index)]


def _account_files(out_dir: Path, rows: list[tuple[ShardSummary, dict]]):
    """(source, target) of every account file to copy, and the accounts' state entries."""
    copies, state, taken, rendered = [], {}, {}, {}
    for summary, row in rows:
        if not row["pdf"]:
            continue
        folder, pdf = summary.file.parent, Path(row["pdf"])
        if pdf.suffix != ".pdf" or pdf.name != row["pdf"] or pdf.name.startswith("."):
            raise ValueproofError(f"{summary.file}: {row['pdf']!r} is not a report's file name; "
                                  "run that shard again")
        if pdf.stem in taken:
            raise ValueproofError(f"{pdf}: written by {taken[pdf.stem]} and {summary.file}; run "
                                  "the shards into fresh folders")
        taken[pdf.stem] = summary.file
        if summary.file not in rendered:  # what the shard recorded, read once
            shard_state = Shard(summary.shard, summary.shards).state_file
            rendered[summary.file] = load_state(folder, file=shard_state)
        entry = rendered[summary.file].get(pdf.stem)
        if entry is not None:
            state[pdf.stem] = entry
        options = BatchOptions(out_dir, 1, html=summary.options.get("html") is True,
                               json=summary.options.get("json") is True,
                               deck=summary.options.get("deck") if summary.options.get("deck")
                               in ("pptx", "pdf") else None)
        for name in output_files(pdf.stem, options):
            if not (folder / name).is_file():
                raise ValueproofError(f"{folder / name}: missing ({summary.file} lists it); "
                                      "run that shard again")
            if os.path.realpath(folder) != os.path.realpath(out_dir):
                copies.append((folder / name, out_dir / name))
    return copies, state


def _copy(source: Path, target: Path) -> None:
    """Copy through a temporary file beside `target`: a reader never sees half a PDF."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ValueproofError(f"{target}: could not be written ({exc.strerror or exc})") from None

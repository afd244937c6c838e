"""`valueproof batch --shard I/N`: which accounts one of N machines (or jobs) renders.

Every shard plans the whole batch (so every account gets the name an unsplit run gives it) and
renders only its own accounts: an account's shard follows from a SHA-256 hash of its identity,
the definition's path relative to the folder all the batch's definitions share, so it is the
same on every machine, in every run and whatever the order of the paths. `auto/N` takes the
index from the variable a Kubernetes indexed Job or a CI matrix sets (INDEX_VARIABLES).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from valueproof.errors import ValueproofError

# (variable, the number its first shard has, the variable that holds the shard count)
INDEX_VARIABLES = (("JOB_COMPLETION_INDEX", 0, None),  # Kubernetes indexed Job
                   ("CI_NODE_INDEX", 1, "CI_NODE_TOTAL"),  # GitLab CI `parallel:`
                   ("CIRCLE_NODE_INDEX", 0, "CIRCLE_NODE_TOTAL"),  # CircleCI `parallelism:`
                   ("BUILDKITE_PARALLEL_JOB", 0, "BUILDKITE_PARALLEL_JOB_COUNT"))  # Buildkite
SHARD_FILE = re.compile(r"summary-shard-(\d+)-of-(\d+)\.json")
MAX_SHARDS = 10_000
FORM = "give --shard I/N (I from 1 to N, e.g. 2/4) or auto/N"


@dataclass
class Shard:
    index: int  # 1-based, as pytest-split's --group
    count: int
    accounts: int = 0  # accounts the whole batch planned (set by the planning)
    plan: str = ""  # the whole batch's account identities, hashed (set by the planning)

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def stem(self) -> str:
        """The shard's summary files: `<stem>.json` and `<stem>.csv` in the output folder."""
        return f"summary-shard-{self.index}-of-{self.count}"

    @property
    def state_file(self) -> str:
        """What this shard rendered into its output folder (several shards may share one)."""
        return f".valueproof-batch-shard-{self.index}-of-{self.count}.json"


def parse_shard(text: str, environ=os.environ) -> Shard:
    """`I/N` (1-based) or `auto/N` (the index from INDEX_VARIABLES' first one set); anything
    malformed is a ValueproofError that says how to fix it, never a run of every account."""
    index, slash, count = text.strip().partition("/")
    if not slash or not count.isdigit() or not 1 <= int(count) <= MAX_SHARDS:
        raise ValueproofError(f"--shard {text}: not I/N with N from 1 to {MAX_SHARDS}; {FORM}")
    total = int(count)
    if index.strip().lower() == "auto":
        return Shard(_index_from_environment(total, environ), total)
    if not index.isdigit() or not 1 <= int(index) <= total:
        raise ValueproofError(f"--shard {text}: the shard number must be from 1 to {total} "
                              f"(shards count from 1); {FORM}")
    return Shard(int(index), total)


def _index_from_environment(total: int, environ) -> int:
    for variable, first, count_variable in INDEX_VARIABLES:
        value = environ.get(variable)
        if value is None:
            continue
        given = value.strip()
        if not given.isdigit() or not first <= int(given) < total + first:
            raise ValueproofError(
                f"--shard auto/{total}: {variable}={value!r} is not a shard index from {first} "
                f"to {total - 1 + first}; check the job's shard count or give --shard I/N")
        told = environ.get(count_variable or "", "").strip()
        if told and told != str(total):
            raise ValueproofError(f"--shard auto/{total}: {count_variable}={told} shards; give "
                                  f"--shard auto/{told}")
        return int(given) - first + 1
    names = ", ".join(variable for variable, _, _ in INDEX_VARIABLES)
    raise ValueproofError(f"--shard auto/{total}: none of {names} is set; give --shard I/N")


def identities(definitions: list[Path]) -> list[str]:
    """Each definition's path relative to the folder they all share (POSIX form): the same
    wherever the batch's folder is mounted."""
    if not definitions:
        return []
    root = os.path.commonpath([os.path.dirname(d) for d in definitions])
    return [Path(os.path.relpath(d, root)).as_posix() for d in definitions]


def shard_number(identity: str, count: int) -> int:
    """The shard (1-based) of an account: its identity's SHA-256 modulo the shard count, so an
    account stays in its shard when others are added or removed."""
    return int(hashlib.sha256(identity.encode("utf-8")).hexdigest(), 16) % count + 1


def plan_hash(identities_in_order: list[str]) -> str:
    """The whole batch's accounts in plan order, hashed: shards of one batch agree on it."""
    return hashlib.sha256("\n".join(identities_in_order).encode("utf-8")).hexdigest()

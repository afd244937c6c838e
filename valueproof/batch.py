"""`valueproof batch`: every account's QBR, in parallel, incrementally, one failure never stops the rest.

Work is planned in the main process (find the definitions, name the outputs, decide what is up to
date) and rendered in worker processes that import the heavy libraries once (a forkserver that
preloads them) and are replaced after a number of reports, which bounds their memory.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from valueproof import __version__
from valueproof.errors import ValueproofError

STATE_FILE = ".valueproof-batch.json"
TASKS_PER_WORKER = 25  # a worker is replaced after this many reports: memory stays bounded


@dataclass
class Task:
    definition: Path
    name: str  # output file stem: customer and quarter, safe as a file name
    account: str
    key: str  # what the outputs depend on; unchanged key and present PDF = up to date
    reason: str  # new | changed | forced | up to date | invalid
    error: str | None = None  # set when the definition cannot even be read


@dataclass
class Outcome:
    account: str
    definition: str
    status: str  # rendered | skipped | failed
    criteria_met: str = ""
    roi: float | None = None
    seconds: float = 0.0
    pdf: str = ""
    error: str = ""


@dataclass
class BatchOptions:
    out_dir: Path
    jobs: int
    locale: str | None = None
    force: bool = False
    html: bool = False
    json: bool = False
    fail_fast: bool = False
    allowed_roots: tuple[Path, ...] = ()  # --allow-path: folders definitions may read besides their own


def find_definitions(paths: list[Path]) -> list[Path]:
    """Experiment files given, experiment.yaml files under folders, and those listed in a
    portfolio file (one path per line, relative to the file; # starts a comment)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.rglob("experiment.yaml"))
        elif path.suffix.lower() in (".yaml", ".yml"):
            found.append(path)
        elif path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    listed = path.parent / line
                    found += find_definitions([listed]) if listed.exists() else [listed]
        else:
            raise ValueproofError(f"{path}: no such file or folder; give experiment files, folders "
                                  "or a portfolio file")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique


def safe_name(text: str) -> str:
    """'Hurtownia Bałtyk Sp. z o.o.' + quarter -> 'hurtownia-baltyk-sp-z-o-o'."""
    text = text.replace("ł", "l").replace("Ł", "L")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "report"


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def plan(definitions: list[Path], options: BatchOptions, state: dict) -> list[Task]:
    """Name every output and decide whether it needs rendering (cheap: hashes, no statistics)."""
    from valueproof.config import load_experiment
    from valueproof.data.sources import data_fingerprint

    tasks, used = [], set()
    for definition in definitions:
        try:
            experiment = load_experiment(definition, options.allowed_roots)
            account = experiment.customer.name if experiment.customer else experiment.name
            stem = safe_name(f"{account} {experiment.quarter or ''}")
            parts = [__version__, experiment.definition_hash, data_fingerprint(experiment),
                     options.locale or experiment.locale, str(options.html), str(options.json)]
            for key, asset in (("brand", experiment.brand),
                               ("customer.logo", experiment.customer.logo if experiment.customer else None),
                               ("vendor.logo", experiment.vendor.logo if experiment.vendor else None)):
                parts.append(_file_hash(experiment.resolve(asset, key)) if asset else "")
            key, error = hashlib.sha256("|".join(parts).encode()).hexdigest(), None
        except ValueproofError as exc:
            account, stem, key, error = definition.parent.name, safe_name(definition.parent.name), "", exc.message
        except OSError as exc:
            account, stem, key, error = definition.parent.name, safe_name(definition.parent.name), "", str(exc)
        name, n = stem, 2
        while name in used:
            name, n = f"{stem}-{n}", n + 1
        used.add(name)
        previous = state.get(name, {})
        if error:
            reason = "invalid"
        elif options.force:
            reason = "forced"
        elif previous.get("key") == key and (options.out_dir / f"{name}.pdf").is_file():
            reason = "up to date"
        else:
            reason = "changed" if previous else "new"
        tasks.append(Task(definition, name, account, key, reason, error))
    return tasks


def _warm() -> None:
    """Worker start: import what every report needs, once (a no-op under the forkserver,
    which preloads the same modules before it forks the workers)."""
    import valueproof.batch_preload  # noqa: F401


def render_task(task: Task, options: BatchOptions) -> Outcome:
    """Runs in a worker: one account, end to end. Never raises for a user's mistake."""
    from valueproof.report import make_report

    start = time.perf_counter()
    out = options.out_dir
    outcome = Outcome(task.account, str(task.definition), "failed")
    try:
        results = make_report(
            task.definition, out / f"{task.name}.pdf",
            html_path=out / f"{task.name}.html" if options.html else None,
            json_path=out / f"{task.name}.json" if options.json else None,
            locale=options.locale, allowed_roots=options.allowed_roots)
    except ValueproofError as exc:
        outcome.error = exc.message
    except Exception as exc:  # a bug must not stop the other accounts; say what it was
        outcome.error = f"internal error: {type(exc).__name__}: {exc}"
    else:
        met = sum(c.status == "achieved" for c in results.criteria)
        outcome.status = "rendered"
        outcome.criteria_met = f"{met}/{len(results.criteria)}" if results.criteria else ""
        outcome.roi = results.roi.roi if results.roi else None
        outcome.pdf = f"{task.name}.pdf"
    outcome.seconds = round(time.perf_counter() - start, 2)
    return outcome


def load_state(out_dir: Path) -> dict:
    try:
        return json.loads((out_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}


def save_state(out_dir: Path, state: dict) -> None:
    from valueproof.output import write_atomic

    write_atomic(out_dir / STATE_FILE, json.dumps(state, indent=1, sort_keys=True))


def remove_leftovers(out_dir: Path) -> None:
    """Temporary files of a worker that was killed mid-write (renamed into place otherwise)."""
    for leftover in out_dir.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def write_summary(out_dir: Path, outcomes: list[Outcome]) -> None:
    from valueproof.output import write_atomic

    rows = [asdict(o) for o in outcomes]
    write_atomic(out_dir / "summary.json", json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(Outcome.__dataclass_fields__))
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(out_dir / "summary.csv", buffer.getvalue())


@dataclass
class BatchRun:
    """Runs the plan; reports each finished account to `on_done` (for the progress bar)."""

    options: BatchOptions
    tasks: list[Task]
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False

    def run(self, on_done=lambda outcome: None) -> list[Outcome]:
        state = load_state(self.options.out_dir)
        todo = []
        for task in self.tasks:
            if task.error:
                self._finish(Outcome(task.account, str(task.definition), "failed", error=task.error),
                             on_done)
            elif task.reason == "up to date":
                self._finish(Outcome(task.account, str(task.definition), "skipped",
                                     pdf=f"{task.name}.pdf", **state[task.name].get("summary", {})),
                             on_done)
            else:
                todo.append(task)
        if self.options.fail_fast and any(o.status == "failed" for o in self.outcomes):
            return self.outcomes
        try:
            self._render(todo, state, on_done)
        except KeyboardInterrupt:
            self.interrupted = True
        finally:
            remove_leftovers(self.options.out_dir)
            save_state(self.options.out_dir, state)
        return self.outcomes

    def _finish(self, outcome: Outcome, on_done) -> None:
        self.outcomes.append(outcome)
        on_done(outcome)

    def _record(self, task: Task, outcome: Outcome, state: dict, on_done) -> None:
        if outcome.status == "rendered":
            state[task.name] = {"key": task.key, "summary": {
                "criteria_met": outcome.criteria_met, "roi": outcome.roi}}
        else:
            state.pop(task.name, None)
        self._finish(outcome, on_done)

    def _render(self, todo: list[Task], state: dict, on_done) -> None:
        if not todo:
            return
        if self.options.jobs == 1:
            _warm()
            for task in todo:
                outcome = render_task(task, self.options)
                self._record(task, outcome, state, on_done)
                if self.options.fail_fast and outcome.status == "failed":
                    return
            return
        self._render_pool(todo, state, on_done)

    def _render_pool(self, todo: list[Task], state: dict, on_done) -> None:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["valueproof.batch_preload"])
        pending, attempts = list(todo), {}
        while pending:
            pool = ProcessPoolExecutor(self.options.jobs, mp_context=context, initializer=_warm,
                                       max_tasks_per_child=TASKS_PER_WORKER)
            futures = {pool.submit(render_task, task, self.options): task for task in pending}
            pending = []
            try:
                remaining = set(futures)
                while remaining:
                    done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                    for future in done:
                        task = futures[future]
                        try:
                            outcome = future.result()
                        except BrokenProcessPool:
                            # A worker died (killed, out of memory): every unfinished account
                            # of this pool lands here. Each gets one more try in a fresh pool.
                            attempts[task.name] = attempts.get(task.name, 0) + 1
                            if attempts[task.name] < 2:
                                pending.append(task)
                                continue
                            outcome = Outcome(task.account, str(task.definition), "failed",
                                              error="the worker process rendering it died")
                        self._record(task, outcome, state, on_done)
                        if self.options.fail_fast and outcome.status == "failed":
                            pool.shutdown(wait=True, cancel_futures=True)
                            return
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)


def batch_exit_code(outcomes: list[Outcome], interrupted: bool) -> int:
    if interrupted:
        return 130
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueproofError(f"{out_dir}: exists and is not a folder; give -o a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(out_dir, os.W_OK):
        raise ValueproofError(f"{out_dir}: is not writable")

"""`valueproof batch`: every account's QBR, in parallel, incrementally, one failure never stops the rest.

Work is planned in the main process (find the definitions, name the outputs, decide what is up to
date) and rendered in worker processes that import the heavy libraries once (a forkserver that
preloads them) and are replaced after a number of reports, which bounds their memory.

Workers write into a staging folder inside the output folder; the main process moves an account's
files into place when it records the account as rendered. So whatever stops the batch (Ctrl-C,
SIGTERM, a killed worker), the PDFs in the output folder are exactly the ones the summary lists,
and no partial file is left behind (valueproof.commands.batch.stop: signals, pool, staging folder).
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import re
import signal
import time
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from valueproof._version import __version__
from valueproof.commands.batch.stop import (STOP_SIGNALS, ignore_stop_signals, make_staging,
                                   remove_leftovers, remove_staging, signal_handler, signal_name,
                                   stop_pool)
from valueproof.errors import ConfigError, ValueproofError
from valueproof.commands.outputs import oserror_hint
from valueproof.safe_text import csv_row

STATE_FILE = ".valueproof-batch.json"
RESERVED_NAMES = frozenset({"summary"})  # summary.csv and summary.json are the batch's own files
TASKS_PER_WORKER = 25  # a worker is replaced after this many reports: memory stays bounded
POLL_SECONDS = 0.1  # how often the main process looks for Ctrl-C while workers render
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Task:
    definition: Path
    name: str  # output file stem: customer and quarter, safe as a file name ("" when invalid)
    account: str
    key: str  # what the outputs depend on; unchanged key and present PDF = up to date
    reason: str  # new | changed | forced | up to date | invalid
    error: str | None = None  # set when the definition cannot even be read


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


SUMMARY_FIELDS = ("experiment", "criteria_met", "criteria_total", "roi")  # kept for skipped ones


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
    connections: Path | None = None  # --connections: the operator's named databases


def find_definitions(paths: list[Path], origins: dict[Path, str] | None = None) -> list[Path]:
    """Experiment files given, experiment.yaml files under folders, and those listed in a
    portfolio file (one path per line, relative to the file; # starts a comment).

    A listed path that does not exist is kept (planning reports it as that account's failure);
    `origins`, when given, maps it to the portfolio line that names it ("file:line").
    A portfolio file is read once however often it is listed, even by itself."""
    origins = {} if origins is None else origins
    found: list[Path] = []
    read: set[Path] = set()
    for path in paths:
        if not (os.path.exists(path) or path.suffix.lower() in YAML_SUFFIXES):
            raise ValueproofError(f"{path}: no such file or folder; give experiment files, folders "
                                  "or a portfolio file")
        found += _collect(path, read, origins)
    return list(dict.fromkeys(_real(p) for p in found))


def _real(path: Path) -> Path:
    """The absolute path with symlinks followed; never raises (a symlink loop stays as it is)."""
    return Path(os.path.realpath(path))


def _collect(path: Path, read: set[Path], origins: dict[Path, str]) -> list[Path]:
    # os.path's tests, not Path's: they answer False, never raise, for a name too long to exist
    if os.path.isdir(path):
        return sorted(path.rglob("experiment.yaml"))
    if path.suffix.lower() in YAML_SUFFIXES or not os.path.isfile(path):
        return [path]  # planning says what is wrong with a missing or irregular one
    if _real(path) in read:
        return []
    read.add(_real(path))
    found: list[Path] = []
    for number, line in enumerate(_portfolio_lines(path), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            listed = path.parent / line
            if not os.path.exists(listed):
                origins[_real(listed)] = f"{path}:{number}"
            found += _collect(listed, read, origins)
    return found


def _portfolio_lines(path: Path) -> list[str]:
    not_text = (f"{path}: is not a UTF-8 text file; a portfolio file lists experiment files or "
                "folders, one per line")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueproofError(not_text) from None
    except OSError as exc:
        raise ValueproofError(f"{path}: cannot be read ({exc.strerror}); "
                              "check its permissions") from None
    if "\x00" in text:
        raise ValueproofError(not_text)
    return text.splitlines()


def safe_name(text: str) -> str:
    """'Hurtownia Bałtyk Sp. z o.o.' + quarter -> 'hurtownia-baltyk-sp-z-o-o'."""
    text = text.replace("ł", "l").replace("Ł", "L")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "report"


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def _identify(definition: Path, options: BatchOptions,
              origin: str | None) -> tuple[str, str, str, dict[str, Path]]:
    """(account, output stem, key, input files) of one definition; raises whatever is wrong
    with it.

    Every file is reached through `Experiment.resolve`, which refuses folders, pipes and devices,
    so hashing never blocks on a FIFO or reads /dev/zero for ever."""
    from valueproof.config import load_experiment
    from valueproof.data.sources import data_fingerprint
    from valueproof.commands.outputs import experiment_inputs

    if not definition.exists():
        listed = f" (listed in {origin}); fix or remove that line" if origin else ""
        raise ConfigError(f"{definition}: no such file{listed}")
    if not definition.is_file():
        kind = ("a folder" if definition.is_dir() else
                "not a regular file (a pipe, socket or device)")
        raise ConfigError(f"{definition}: is {kind}; an experiment definition is a YAML file")
    from valueproof.config.connections import Connections

    experiment = load_experiment(definition, options.allowed_roots,
                                 Connections(options.connections))
    account = experiment.customer.name if experiment.customer else experiment.name
    stem = safe_name(f"{account} {experiment.quarter or ''}")
    parts = [__version__, experiment.definition_hash, data_fingerprint(experiment),
             options.locale or experiment.locale, str(options.html), str(options.json)]
    customer, vendor = experiment.customer, experiment.vendor
    for where, asset in (("brand", experiment.brand),
                         ("customer.logo", customer.logo if customer else None),
                         ("vendor.logo", vendor.logo if vendor else None)):
        parts.append(_file_hash(experiment.resolve(asset, where)) if asset else "")
    key = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return account, stem, key, experiment_inputs(definition, options.allowed_roots)


def _check_not_inputs(files: list[str], options: BatchOptions, inputs: dict[str, Path]) -> None:
    """None of `files` in the output folder is one of an account's inputs (an output folder
    that is also an experiment's folder); ValueproofError naming both otherwise."""
    from valueproof.commands.outputs import check_outputs

    if options.out_dir.is_dir():  # else nothing in it can be an input
        for file in files:
            check_outputs({"-o": options.out_dir / file}, inputs)


def _planning_error(definition: Path, exc: Exception) -> str:
    if isinstance(exc, ValueproofError):  # some name only the key: say which definition
        return exc.message if str(definition) in exc.message else f"{definition}: {exc.message}"
    if isinstance(exc, OSError):
        return (f"{exc.filename or definition}: cannot be read ({exc.strerror or exc}); check that "
                "it exists and that you may read it")
    return (f"{definition}: cannot be read ({type(exc).__name__}: {exc}); check it with "
            f"`valueproof validate {definition}`")


def output_names(stems: dict[Path, str], state: dict) -> dict[Path, str]:
    """Each account's output file stem, the same whatever the order of the paths and from run
    to run: `<customer>-<quarter>` when no other account has it, in this run or (by the state
    file) as the owner of that PDF in the output folder; otherwise the experiment's folder name
    is added (and, if that still clashes, a short hash of the definition's path). The names of
    the batch's own files (summary.csv, summary.json) are never used."""

    def owner(name: str) -> Path | None:
        recorded = state.get(name, {}).get("definition")
        return Path(recorded) if recorded and Path(recorded).is_file() else None

    sharing = Counter(stems.values())
    names: dict[Path, str] = {}
    for definition, stem in stems.items():
        holder = owner(stem)
        if stem not in RESERVED_NAMES and (holder == definition or
                                           (holder is None and sharing[stem] == 1)):
            names[definition] = stem
    qualified = {definition: f"{stem}-{safe_name(definition.parent.name)}"
                 for definition, stem in stems.items() if definition not in names}
    clashes, taken = Counter(qualified.values()), set(names.values())
    for definition, name in qualified.items():
        if (clashes[name] > 1 or name in taken or name in RESERVED_NAMES
                or owner(name) not in (None, definition)):
            name += "-" + hashlib.sha256(str(definition).encode()).hexdigest()[:8]
        names[definition] = name
    return names


def plan(definitions: list[Path], options: BatchOptions, state: dict,
         origins: dict[Path, str] | None = None) -> list[Task]:
    """Name every output and decide whether it needs rendering (cheap: hashes, no statistics).

    Anything wrong with one definition, whatever exception it raises, is that account's failure."""
    origins = origins or {}
    planned = []
    for definition in definitions:
        try:
            account, stem, key, inputs = _identify(definition, options, origins.get(definition))
            error = None
        except Exception as exc:  # one account's problem never stops the others
            account, stem, key, inputs = definition.parent.name, "", "", {}
            error = _planning_error(definition, exc)
        planned.append((definition, account, stem, key, inputs, error))
    names = output_names({d: stem for d, _, stem, _, _, error in planned if not error}, state)
    tasks = []
    for definition, account, _, key, inputs, error in planned:
        try:  # the batch's own files: no account can run, so the command is refused
            _check_not_inputs(["summary.csv", "summary.json", STATE_FILE], options, inputs)
        except ValueproofError as exc:
            raise ValueproofError(_planning_error(definition, exc)) from None
        name = names.get(definition, "")
        if name and not error:
            try:
                _check_not_inputs(output_files(name, options), options, inputs)
            except ValueproofError as exc:
                name, error = "", _planning_error(definition, exc)
        previous = state.get(name, {}) if name else {}
        if error:
            reason = "invalid"
        elif options.force:
            reason = "forced"
        elif previous.get("key") == key and (options.out_dir / f"{name}.pdf").is_file():
            reason = "up to date"
        else:
            reason = "changed" if previous.get("key") else "new"
        tasks.append(Task(definition, name, account, key, reason, error))
    return tasks


def _warm() -> None:
    """Worker start: import what every report needs, once (a no-op under the forkserver,
    which preloads the same modules before it forks the workers)."""
    import valueproof.commands.batch.forkserver  # noqa: F401


def _worker_start() -> None:
    """A worker ignores Ctrl-C: the main process stops it (a worker that caught it would report
    the interruption as a result and go on to its next account)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _warm()


def _start_forkserver() -> None:
    """Start the forkserver with Ctrl-C ignored. Ignored signals survive exec and fork, so the
    server and every worker forked from it ignore the Ctrl-C a terminal sends to the whole
    process group, from their first instruction on."""
    from multiprocessing import forkserver

    with signal_handler(signal.SIG_IGN):
        forkserver.ensure_running()


def output_files(name: str, options: BatchOptions) -> list[str]:
    """The files one account writes; the PDF last, so that a present PDF means all are there."""
    return ([f"{name}.html"] if options.html else []) + ([f"{name}.json"] if options.json else []) \
        + [f"{name}.pdf"]


def render_task(task: Task, options: BatchOptions, folder: Path) -> Outcome:
    """Runs in a worker: one account, end to end, its files written into `folder` (the staging
    folder). Never raises for a user's mistake."""
    from valueproof.commands.report import make_report

    start = time.perf_counter()
    outcome = Outcome(task.account, str(task.definition), "failed")
    try:
        results = make_report(
            task.definition, folder / f"{task.name}.pdf",
            html_path=folder / f"{task.name}.html" if options.html else None,
            json_path=folder / f"{task.name}.json" if options.json else None,
            locale=options.locale, allowed_roots=options.allowed_roots,
            connections=options.connections)
    except ValueproofError as exc:
        outcome.error = exc.message
    except Exception as exc:  # a bug must not stop the other accounts; say what it was
        full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
        outcome.error = (f"{options.out_dir}: cannot write the report: {oserror_hint(exc)}" if full
                         else f"internal error: {type(exc).__name__}: {exc}")
    else:
        outcome.status = "rendered"
        outcome.experiment = results.experiment
        if results.criteria:
            outcome.criteria_met = sum(c.status == "achieved" for c in results.criteria)
            outcome.criteria_total = len(results.criteria)
        outcome.roi = results.roi.roi if results.roi else None
        outcome.pdf = f"{task.name}.pdf"
    outcome.error = outcome.error.replace(str(folder), str(options.out_dir))  # never the hidden one
    outcome.seconds = round(time.perf_counter() - start, 2)
    return outcome


def load_state(out_dir: Path) -> dict:
    """What earlier runs rendered into `out_dir`: output name -> {key, summary, definition}."""
    try:
        state = json.loads((out_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict):
        return {}
    return {name: entry for name, entry in state.items() if isinstance(entry, dict)}


def save_state(out_dir: Path, state: dict) -> None:
    from valueproof.commands.outputs import write_atomic

    write_atomic(out_dir / STATE_FILE, json.dumps(state, indent=1, sort_keys=True))


def write_summary(out_dir: Path, outcomes: list[Outcome]) -> None:
    import io

    from valueproof.commands.outputs import write_atomic

    rows = [asdict(o) for o in outcomes]  # the JSON keeps the text as it is; the CSV escapes it
    write_atomic(out_dir / "summary.json", json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(Outcome.__dataclass_fields__))
    writer.writeheader()
    writer.writerows(csv_row(row) for row in rows)
    write_atomic(out_dir / "summary.csv", buffer.getvalue())


@dataclass
class BatchRun:
    """Runs the plan, reports each finished account to `on_done` (for the progress bar) and
    writes the summary files.

    Ctrl-C or SIGTERM: the first one stops the batch (later ones are ignored so that the
    clean-up finishes); `stopped_by` says which.
    With workers, the main process notices it within POLL_SECONDS, terminates them and discards
    what they had not handed back; with --jobs 1 it interrupts the report being rendered. It is
    never acted on while an account's files are being moved into place."""

    options: BatchOptions
    tasks: list[Task]
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False
    stopped_by: int = signal.SIGINT  # the signal that interrupted the batch
    _interruptible: bool = field(default=False, init=False)  # may Ctrl-C raise one now?
    _staging: Path | None = field(default=None, init=False)  # where workers write
    _lock: object = field(default=None, init=False)  # held open: the staging folder is in use

    def run(self, on_done=lambda outcome: None) -> list[Outcome]:
        out = self.options.out_dir
        state = load_state(out)
        with signal_handler(self._on_interrupt, STOP_SIGNALS):
            todo = self._settle_known(state, on_done)
            stop = self.options.fail_fast and any(o.status == "failed" for o in self.outcomes)
            try:
                if todo and not stop:
                    remove_leftovers(out)  # a killed run's staging folder: free its space first
                    self._staging, self._lock = make_staging(out)
                    self._render(todo, state, on_done)
            except KeyboardInterrupt:
                self.interrupted = True
            finally:
                self._interruptible = False
                remove_staging(self._staging, self._lock)
                remove_leftovers(out)
                save_state(out, state)
            if self.interrupted:
                finished = {o.definition for o in self.outcomes}
                why = ("interrupted" if self.stopped_by == signal.SIGINT
                       else f"terminated ({signal_name(self.stopped_by)})")
                self.outcomes += [Outcome(t.account, str(t.definition), "interrupted",
                                          error=f"not rendered: the batch was {why}")
                                  for t in todo if str(t.definition) not in finished]
            write_summary(out, self.outcomes)
        return self.outcomes

    def _on_interrupt(self, signum, frame) -> None:
        ignore_stop_signals()  # a second Ctrl-C or SIGTERM must not break the clean-up
        self.interrupted, self.stopped_by = True, signum
        if self._interruptible:
            raise KeyboardInterrupt

    def _settle_known(self, state: dict, on_done) -> list[Task]:
        """Record the accounts that need no rendering (invalid, up to date); return the others."""
        todo = []
        for task in self.tasks:
            if task.error:
                self._finish(Outcome(task.account, str(task.definition), "failed", error=task.error),
                             on_done)
            elif task.reason == "up to date":
                summary = {key: value for key, value in state[task.name].get("summary", {}).items()
                           if key in SUMMARY_FIELDS}
                self._finish(Outcome(task.account, str(task.definition), "skipped",
                                     pdf=f"{task.name}.pdf", **summary), on_done)
            else:
                todo.append(task)
        return todo

    def _finish(self, outcome: Outcome, on_done) -> None:
        self.outcomes.append(outcome)
        on_done(outcome)

    def _record(self, task: Task, outcome: Outcome, state: dict, on_done) -> None:
        """Move a rendered account's files from the staging folder into place; remember it."""
        if outcome.status == "rendered":
            try:
                for name in output_files(task.name, self.options):
                    os.replace(self._staging / name, self.options.out_dir / name)
            except OSError as exc:
                outcome.status, outcome.pdf = "failed", ""
                outcome.error = (f"{self.options.out_dir / name}: could not be written: "
                                 f"{oserror_hint(exc)}")
        if outcome.status == "rendered":
            state[task.name] = {"key": task.key, "definition": str(task.definition), "summary": {
                name: getattr(outcome, name) for name in SUMMARY_FIELDS}}
        else:  # not up to date any more; the name stays this account's
            state[task.name] = {"definition": str(task.definition)}
        self._finish(outcome, on_done)

    def _render(self, todo: list[Task], state: dict, on_done) -> None:
        if self.options.jobs > 1:
            self._render_pool(todo, state, on_done)
            return
        self._interruptible = True
        _warm()
        for task in todo:
            self._interruptible = True
            if self.interrupted:  # it came while the last account's files were moved into place
                return
            outcome = render_task(task, self.options, self._staging)
            self._interruptible = False
            if self.interrupted:  # a library turned the Ctrl-C into an error: not a real failure
                return
            self._record(task, outcome, state, on_done)
            if self.options.fail_fast and outcome.status == "failed":
                return

    def _render_pool(self, todo: list[Task], state: dict, on_done) -> None:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["valueproof.commands.batch.forkserver"])
        _start_forkserver()
        pending, attempts = list(todo), {}
        while pending and not self.interrupted:
            pool = ProcessPoolExecutor(self.options.jobs, mp_context=context,
                                       initializer=_worker_start,
                                       max_tasks_per_child=TASKS_PER_WORKER)
            finished = False
            try:
                futures = {pool.submit(render_task, task, self.options, self._staging): task
                           for task in pending}
                pending, remaining = [], set(futures)
                while remaining and not self.interrupted:
                    done, remaining = wait(remaining, timeout=POLL_SECONDS,
                                           return_when=FIRST_COMPLETED)
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
                            return
                finished = not remaining
            finally:
                stop_pool(pool, terminate=not finished)


def batch_exit_code(outcomes: list[Outcome], interrupted: bool,
                    signum: int = signal.SIGINT) -> int:
    """0 all succeeded, 1 some failed; stopped by a signal, 128 + its number as a shell has it
    (130 Ctrl-C, 143 SIGTERM)."""
    if interrupted:
        return 128 + signum
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueproofError(f"{out_dir}: exists and is not a folder; give -o a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(out_dir, os.W_OK):
        raise ValueproofError(f"{out_dir}: is not writable")

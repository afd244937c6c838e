"""`valueproof batch` once planned: every QBR rendered in parallel; a failure never stops the rest.

The accounts planned by `valueproof.commands.batch.plan` are rendered in worker processes that
import the heavy libraries once (a forkserver that preloads them) and are replaced after a
number of reports, which bounds their memory, or on a Dask cluster (`Workers`: the one place
that chooses); then the summary files are written, in the plan's order (a shard's summary
with what `valueproof batch-merge` needs to put the shards together).

Workers write into a staging folder inside the output folder; the main process moves an account's
files into place when it records the account as rendered. So whatever stops the batch (Ctrl-C,
SIGTERM, a killed worker), the PDFs in the output folder are exactly the ones the summary lists,
and no partial file is left behind (valueproof.commands.batch.stop: signals, pool, staging folder).
"""

from __future__ import annotations

import errno
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from valueproof.commands.batch.plan import (BatchOptions, Task, deck_file, load_state,
                                            output_files, save_state)
from valueproof.commands.batch.stop import (STOP_SIGNALS, ignore_stop_signals, make_staging,
                                            remove_leftovers, remove_staging, signal_handler,
                                            signal_name, stop_pool)
from valueproof.commands.batch.summary import Outcome, write_shard_summary, write_summary
from valueproof.commands.outputs import oserror_hint
from valueproof.errors import ValueproofError

TASKS_PER_WORKER = 25  # a worker is replaced after this many reports: memory stays bounded
POLL_SECONDS = 0.1  # how often the main process looks for Ctrl-C while workers render
PRELOAD = ["valueproof.commands.batch.forkserver"]  # what every worker starts with
DECK_PRELOAD = ["pptx", "pptx.chart.data"]  # python-pptx and the charts' workbooks, for decks
DASK_RETRIES = 1  # an account whose task raised on a Dask worker is tried once more
SUMMARY_FIELDS = ("experiment", "criteria_met", "criteria_total", "roi")  # kept for skipped ones


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


def _forkserver_context(options: BatchOptions):
    """The forkserver context, its server started (once: later calls find it running) with the
    heavy libraries as its preload, and python-pptx when the batch makes decks: imported once
    in the server, not in every worker."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD + (DECK_PRELOAD if options.deck else []))
    _start_forkserver()
    return context


def start_workers(options: BatchOptions) -> None:
    """With more than one job, start the forkserver now, while the accounts are being planned:
    its preload (about 2 s of imports) then runs alongside the planning, not after it. Called
    by the planning once an account is sure to need rendering (not for a dry run, nor when
    every account is up to date); the server stops on its own when the batch exits. Not for a
    Dask cluster, whose workers are started by whoever runs it."""
    if options.jobs > 1 and not options.executor:
        _forkserver_context(options)


def render_task(task: Task, options: BatchOptions, folder: Path) -> Outcome:
    """Runs in a worker: one account, end to end, its files written into `folder` (the staging
    folder). Never raises for a user's mistake."""
    from valueproof.commands.report import make_report

    _warm()  # on a Dask worker: the thread limits of a local worker, so the same numbers
    start = time.perf_counter()
    outcome = Outcome(task.account, str(task.definition), "failed")
    deck = deck_file(task.name, options.deck)
    try:
        results = make_report(
            task.definition, folder / f"{task.name}.pdf",
            html_path=folder / f"{task.name}.html" if options.html else None,
            json_path=folder / f"{task.name}.json" if options.json else None,
            locale=options.locale, allowed_roots=options.allowed_roots,
            connections=options.connections, deck=folder / deck if deck else None)
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
        out, shard = self.options.out_dir, self.options.shard
        state = load_state(out, shard)
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
                save_state(out, state, shard)
            if self.interrupted:
                finished = {o.definition for o in self.outcomes}
                why = ("interrupted" if self.stopped_by == signal.SIGINT
                       else f"terminated ({signal_name(self.stopped_by)})")
                self.outcomes += [Outcome(t.account, str(t.definition), "interrupted",
                                          error=f"not rendered: the batch was {why}")
                                  for t in todo if str(t.definition) not in finished]
            place = {str(task.definition): task.position for task in self.tasks}
            self.outcomes.sort(key=lambda outcome: place[outcome.definition])
            if shard is None:
                write_summary(out, self.outcomes)
            else:
                write_shard_summary(self.options, self.outcomes,
                                    [place[o.definition] for o in self.outcomes])
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
        if self.options.jobs > 1 or self.options.executor:
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
        from concurrent.futures import FIRST_COMPLETED, wait

        pending, attempts = list(todo), {}
        while pending and not self.interrupted:
            pool = Workers(self.options)
            finished = False
            try:
                futures = {pool.submit(task, self.options, self._staging): task
                           for task in pending}
                pending, remaining = [], set(futures)
                while remaining and not self.interrupted:
                    done, remaining = wait(remaining, timeout=POLL_SECONDS,
                                           return_when=FIRST_COMPLETED)
                    for future in done:
                        task = futures[future]
                        outcome = pool.outcome(future, task)
                        if outcome is None:
                            # A local worker died (killed, out of memory): every unfinished
                            # account of this pool lands here. Each gets one more try in a
                            # fresh pool.
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
                pool.close(terminate=not finished)


class Workers:
    """Where the accounts render, chosen here and nowhere else: a local pool of processes
    forked from the forkserver (`--jobs`), or the workers of a Dask cluster (`--executor`),
    which read the definitions and write into the staging folder at the same paths (shared
    storage). A Dask worker that dies has its account rescheduled by Dask itself."""

    def __init__(self, options: BatchOptions) -> None:
        if options.executor:
            from valueproof.commands.batch.cluster import connect

            self.client = connect(options.executor)
            self.executor = self.client.get_executor(pure=False, retries=DASK_RETRIES)
        else:
            from concurrent.futures import ProcessPoolExecutor

            self.client = None
            self.executor = ProcessPoolExecutor(
                options.jobs, mp_context=_forkserver_context(options),  # usually running by now
                initializer=_worker_start, max_tasks_per_child=TASKS_PER_WORKER)

    def submit(self, task: Task, options: BatchOptions, staging: Path):
        return self.executor.submit(render_task, task, options, staging)

    def outcome(self, future, task: Task) -> Outcome | None:
        """The account's outcome; None when a local worker died (the pool is broken)."""
        from concurrent.futures.process import BrokenProcessPool

        try:
            return future.result()
        except BrokenProcessPool:
            return None
        except Exception as exc:  # lost on the cluster: that account fails, the others go on
            if self.client is None:
                raise
            from valueproof.commands.batch.cluster import failure

            return Outcome(task.account, str(task.definition), "failed", error=failure(exc))

    def close(self, terminate: bool) -> None:
        """Stop the workers (`terminate`: now, dropping what they were rendering)."""
        if self.client is None:
            stop_pool(self.executor, terminate)
            return
        self.executor.shutdown(wait=not terminate)
        self.client.close()


def batch_exit_code(outcomes: list[Outcome], interrupted: bool,
                    signum: int = signal.SIGINT) -> int:
    """0 all succeeded, 1 some failed; stopped by a signal, 128 + its number as a shell has it
    (130 Ctrl-C, 143 SIGTERM)."""
    if interrupted:
        return 128 + signum
    return 1 if any(o.status == "failed" for o in outcomes) else 0

"""How `valueproof batch` stops and cleans up: the signals that stop it (Ctrl-C and SIGTERM,
handled alike), its worker pool, and the staging folder the workers write into.

A staging folder is `.valueproof-*.tmp` inside the output folder. The run that made it holds a
lock on its `.lock` file for as long as it lives, so a later run can tell a folder left by a
killed run (lock free: removed) from one in use by a run still going (lock held: left alone).
"""

from __future__ import annotations

import fcntl
import shutil
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from valueproof.errors import ValueproofError

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STAGING_PREFIX, STAGING_SUFFIX, LOCK = ".valueproof-", ".tmp", ".lock"
UNLOCKED_GRACE_SECONDS = 60  # an unlocked staging folder younger than this may be starting up


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


@contextmanager
def signal_handler(handler, signums=(signal.SIGINT,)):
    """`handler` for the signals `signums` inside the block (only the main thread may set
    handlers; elsewhere the block runs with the handlers as they are)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def ignore_stop_signals() -> None:
    """From the first stop signal on, later ones must not break the clean-up."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


class Stopper:
    """Ctrl-C or SIGTERM before the batch runs (while planning): both raise KeyboardInterrupt
    between `install` and `restore`; `exit_code` is 130 or 143 as the signal was."""

    def __init__(self) -> None:
        self.signum = signal.SIGINT
        self._previous: dict = {}

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._stop) for signum in STOP_SIGNALS}

    def _stop(self, signum, frame) -> None:
        ignore_stop_signals()
        self.signum = signum
        raise KeyboardInterrupt

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def stop_pool(pool, terminate: bool) -> None:
    """Shut the pool down; with `terminate`, end its workers now instead of letting them finish
    (what they were writing is in the staging folder, which is removed)."""
    if terminate:
        stop_workers = getattr(pool, "terminate_workers", None)  # Python 3.14+
        if stop_workers is not None:
            stop_workers()
        else:  # the executor sees a worker end, marks the pool broken and ends the others
            for worker in list((getattr(pool, "_processes", None) or {}).values()):
                worker.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def make_staging(out_dir: Path):
    """A new staging folder in `out_dir`, locked for as long as the returned file stays open:
    (folder, lock file). A failure names the output folder, never the hidden folder."""
    from valueproof.commands.outputs import oserror_hint

    folder = None
    try:
        folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, suffix=STAGING_SUFFIX, dir=out_dir))
        lock = open(folder / LOCK, "wb")  # noqa: SIM115 - held open until the run ends
    except OSError as exc:
        remove_staging(folder, None)
        raise ValueproofError(f"{out_dir}: cannot write the reports into this folder: "
                              f"{oserror_hint(exc)}; nothing was written") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file: nobody else holds it
    except OSError:  # a file system without locks: the folder is removed at the end of the run
        pass
    return folder, lock


def remove_staging(folder: Path | None, lock) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    if lock is not None:
        lock.close()


def _in_use(folder: Path) -> bool:
    """Whether a live run still writes into the staging folder `folder`."""
    try:
        handle = open(folder / LOCK, "rb")  # noqa: SIM115
    except FileNotFoundError:  # made a moment ago, or by a version without the lock
        try:
            return time.time() - folder.stat().st_mtime < UNLOCKED_GRACE_SECONDS
        except OSError:
            return True
    except OSError:
        return True
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: its run is alive
            return True
        return False  # closing the file releases the lock again


def remove_leftovers(out_dir: Path) -> None:
    """What a run killed mid-write left behind (moved into place or removed otherwise): the
    temporary files of a write, and staging folders no live run holds."""
    for leftover in out_dir.glob(".*.tmp"):
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink(missing_ok=True)
        elif (leftover.is_dir() and leftover.name.startswith(STAGING_PREFIX)
              and not _in_use(leftover)):
            shutil.rmtree(leftover, ignore_errors=True)

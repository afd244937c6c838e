"""`valueproof batch --executor dask://HOST:PORT`: an existing Dask distributed cluster.

Parses the address, connects to the scheduler (the optional extra `valueproof[dask]`) and
checks that its workers can render reports: at least one worker, each with one thread, since
a report's charts and PDF are drawn by libraries that keep process-wide state. What a task
lost on the cluster tells the account's summary row is said here too.
"""

from __future__ import annotations

import re

from valueproof.errors import ValueproofError

ADDRESS = re.compile(r"dask://([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})")
CONNECT_SECONDS = 10
WORKERS_SECONDS = 30  # how long to wait for a first worker to join the scheduler
INSTALL = "pip install 'valueproof[dask]'"


def dask_address(text: str) -> str:
    """`dask://host:8786` -> the scheduler's `tcp://host:8786`; checked before any work, with
    the Dask extra installed."""
    match = ADDRESS.fullmatch(text.strip())
    if match is None or not 0 < int(match.group(2)) < 65536:
        raise ValueproofError(f"--executor {text}: give a Dask scheduler as dask://HOST:PORT "
                              "(e.g. dask://scheduler:8786)")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ValueproofError(f"--executor {text}: needs Dask's distributed scheduler; "
                              f"{INSTALL}") from None
    return f"tcp://{match.group(1)}:{match.group(2)}"


def connect(address: str):
    """A distributed Client of the scheduler at `address` (tcp://…) whose workers run one
    thread each; a ValueproofError when none answers or the workers do not fit."""
    from distributed import Client

    where = address.replace("tcp://", "dask://", 1)
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ValueproofError(f"--executor {where}: no Dask scheduler answers ({exc}); start "
                              "one (dask scheduler) or check the address") from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except (OSError, TimeoutError):
        client.close()
        raise ValueproofError(f"--executor {where}: no worker joined the scheduler within "
                              f"{WORKERS_SECONDS} s; start workers (dask worker {where} "
                              "--nthreads 1)") from None
    threaded = sorted(name for name, worker in client.scheduler_info()["workers"].items()
                      if worker.get("nthreads", 1) != 1)
    if threaded:
        client.close()
        raise ValueproofError(f"--executor {where}: worker {threaded[0]} runs several threads; "
                              "reports need one thread per worker process: start workers with "
                              "--nthreads 1 (and --nworkers for more processes)")
    return client


def failure(exc: Exception) -> str:
    """An account's error when its task was lost on the cluster."""
    if type(exc).__name__ == "KilledWorker":  # Dask retried it on other workers, then gave up
        return "the worker process rendering it died"
    return (f"the Dask cluster could not render it ({type(exc).__name__}: {exc}); check that "
            "its workers have this valueproof version, its fonts and the batch's folders")

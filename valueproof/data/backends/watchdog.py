"""The client's own clock over a conversation with a database server.

A server's `statement_timeout` stops a slow statement, but not a server that stalls after the
handshake, a network that drops packets silently, or a statement that ignores being cancelled:
one such account would block a whole batch. The conversation runs in a thread of its own;
each statement is given the timeout (`arm`), and when it runs past it (plus a grace for the
server's own timeout to answer first), the registered stops run (cancel, then shut the socket)
and `run` raises TimeoutError at once, whether or not the thread comes back.
"""

from __future__ import annotations

import contextlib
import threading
import time


class Watchdog:
    def __init__(self, timeout: float, grace: float):
        self.timeout, self.grace = timeout, grace
        self.deadline = time.monotonic() + timeout + grace
        self._stops: list = []

    def arm(self, seconds: float | None = None) -> None:
        """A new statement starts: it has `seconds` (default: the timeout), plus the grace."""
        self.deadline = time.monotonic() + (self.timeout if seconds is None else seconds) \
            + self.grace

    def on_timeout(self, stop) -> None:
        """Call `stop()` (from the watching thread) when the deadline passes."""
        self._stops.append(stop)

    def run(self, work):
        """`work()`'s result, or its exception; TimeoutError past the deadline."""
        box: dict = {}

        def target() -> None:
            try:
                box["value"] = work()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                box["error"] = exc

        thread = threading.Thread(target=target, name="valueproof-database", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(0.05)
            if thread.is_alive() and time.monotonic() > self.deadline:
                for stop in reversed(self._stops):
                    with contextlib.suppress(Exception):
                        stop()
                thread.join(min(self.grace, 1.0))  # a moment to let it end cleanly
                raise TimeoutError
        if "error" in box:
            raise box["error"]
        return box.get("value")

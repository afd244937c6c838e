"""Spark as a `Source`, and its sessions for a connection's `spark://local[N]` and
`sc://host:port` (Spark Connect).

`spark://local[N]` starts a local Spark session with N cores (`local[*]`: all), made for one
read: UTC session time zone, ANSI mode, small shuffle partitions, no UI, no progress bar, no
Hive (an in-memory catalog), no SQL on files, driver memory from `data.memory_limit`; it is
stopped when the rows are read. When the process already has an active session with the same
master (a notebook, or a test that created temporary views in it), that session is used
instead and left running: this is how its temporary views can be read.

`sc://host:port` opens a Spark Connect session (the server holds the tables); only the
session's SQL settings can be changed there.

Spark has no read-only session. What holds: only one SELECT is sent (checked with sqlglot in
the Spark dialect, `reflect`/`java_method` refused), `spark.sql.runSQLOnFiles` is off so a
query cannot read `parquet.`/any/path``, and the query's jobs run in a job group (Spark
Connect: under an operation tag) that is cancelled after `data.timeout` seconds. What does not:
a SELECT may still read every table and view the session can see (grant the Spark user no
more), a reused session keeps its other settings, and a Spark Connect server's own settings
(e.g. SQL on files) are the server's: valueproof asks for them but the server may refuse.

The needed columns (or the cells of `pushdown`) are read through ibis, which writes the SELECT
in Spark SQL; Spark runs it under a tag that a timer interrupts (`run`). pyspark is imported
only here, when a definition names a Spark connection.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import threading
from pathlib import Path

from valueproof.data import pushdown
from valueproof.data.backends.database import DatabaseSource
from valueproof.data.backends.db_errors import database_error, first_line
from valueproof.errors import DataError

LOCAL = re.compile(r"^spark://local(?:\[(\d+|\*)\])?/?$", re.IGNORECASE)
EXTRA = "pip install 'valueproof[spark]'"


def _settings(master: str, memory_limit: str) -> dict[str, str]:
    inside = master[master.find("[") + 1:-1] if "[" in master else "1"
    cores = (os.cpu_count() or 2) if inside == "*" else int(inside)
    return {
        "spark.app.name": "valueproof",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.shuffle.partitions": str(max(2, 2 * cores)),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.runSQLOnFiles": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.memory": _jvm_memory(memory_limit),
    }


def _jvm_memory(limit: str) -> str:
    """`4GB` / `512MB` (data.memory_limit) in JVM megabytes (`4096m`, `512m`), at least 512m."""
    from valueproof.config.inputs import megabytes

    return f"{max(512, int(megabytes(limit)))}m"


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        return str(java) if java.is_file() else None
    return shutil.which("java")


def _import_pyspark(label: str):
    try:
        import ibis.backends.pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError:
        raise DataError(f"{label}: reading from Spark needs pyspark and ibis's Spark backend; "
                        f"install them with {EXTRA}") from None
    return SparkSession


@contextlib.contextmanager
def session(url, label: str, memory_limit: str = "4GB", timezone: str = "UTC"):
    """A Spark session for `url` (a DatabaseUrl), stopped at the end unless it was already
    running in this process; its time zone (where a timestamp falls on its date) is
    `timezone` while valueproof reads."""
    SparkSession = _import_pyspark(label)
    with _quiet(), _session(SparkSession, url, label, memory_limit) as spark, \
            _time_zone(spark, timezone):
        yield spark


@contextlib.contextmanager
def _time_zone(spark, timezone: str):
    key = "spark.sql.session.timeZone"
    before = None
    with contextlib.suppress(Exception):
        before = spark.conf.get(key)
    spark.conf.set(key, timezone)
    try:
        yield
    finally:
        if before is not None:
            with contextlib.suppress(Exception):  # a session valueproof stopped already
                spark.conf.set(key, before)


@contextlib.contextmanager
def _quiet():
    """pyspark logs every failed query's Java stack to stderr; valueproof says what failed in
    one message, so those loggers are off while it reads."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # pyspark 3.5 has no such loggers
        yield
        return
    loggers = [PySparkLogger.getLogger(name)
               for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger")]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, disabled in zip(loggers, before):
            logger.disabled = disabled


@contextlib.contextmanager
def _session(SparkSession, url, label: str, memory_limit: str):
    scheme = url.scheme
    if scheme == "sc":
        try:
            builder = SparkSession.builder.remote(url.resolved)
            # a session of its own (getOrCreate could return, and stop, one this process uses)
            with _connect_mode_restored():
                spark = builder.create() if hasattr(builder, "create") else builder.getOrCreate()
        except ImportError as exc:
            raise DataError(f"{label}: Spark Connect needs more packages ({exc}); install "
                            f"them with {EXTRA}") from None
        except Exception as exc:  # noqa: BLE001 - grpc and pyspark errors
            raise DataError(url.redact(f"{label}: the Spark Connect server could not be "
                                       f"reached ({first_line(exc)}); check the host and "
                                       f"port of {url.origin}, and that the server is running")
                            ) from None
        try:
            for key, value in _settings("local", memory_limit).items():
                if key.startswith("spark.sql.") and "catalog" not in key:
                    with contextlib.suppress(Exception):  # the server may refuse some
                        spark.conf.set(key, value)
            yield spark
        finally:
            with contextlib.suppress(Exception):
                spark.stop()
        return

    found = LOCAL.match(url.resolved)
    if not found:
        raise DataError(f"{label}: a spark:// URL names a local session, spark://local[N] (N "
                        "cores, or *); for a Spark cluster use Spark Connect, sc://host:port")
    master = f"local[{found.group(1) or 1}]"
    active = SparkSession.getActiveSession()
    if active is not None:
        running = active.sparkContext.master
        if running != master:
            raise DataError(f"{label}: this process already runs a Spark session on "
                            f"{running}; {url.origin} asks for {master}")
        with contextlib.suppress(Exception):
            active.conf.set("spark.sql.runSQLOnFiles", "false")
        yield active
        return

    if _java() is None:
        raise DataError(f"{label}: a local Spark session needs Java (17 or newer), and none "
                        "was found; install a JRE (Debian: apt-get install "
                        "default-jre-headless) or set JAVA_HOME")
    builder = SparkSession.builder.master(master)
    for key, value in _settings(master, memory_limit).items():
        builder = builder.config(key, value)
    logging = Path(__file__).with_name("spark-log4j2.properties")  # errors only
    builder = builder.config("spark.driver.extraJavaOptions",
                             f"-Dlog4j2.configurationFile={logging.as_uri()}")
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - py4j and pyspark errors
        if "JAVA_GATEWAY_EXITED" in str(exc) or "Java gateway" in str(exc):
            raise DataError(f"{label}: Java did not start for the local Spark session "
                            f"({first_line(exc)}); check the JRE (17 or newer) or "
                            "JAVA_HOME") from None
        raise DataError(f"{label}: the local Spark session did not start "
                        f"({first_line(exc)})") from None
    try:
        spark.sparkContext.setLogLevel("OFF")  # errors reach the user as one message
        yield spark
    finally:
        with contextlib.suppress(Exception):
            spark.stop()


@contextlib.contextmanager
def _connect_mode_restored():
    """pyspark marks the whole process as Spark Connect (an environment variable) when a
    Connect session is created, and then refuses local sessions; valueproof's Connect session
    is for one read, so the mark is put back as it was."""
    before = os.environ.get("SPARK_CONNECT_MODE_ENABLED")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
        else:
            os.environ["SPARK_CONNECT_MODE_ENABLED"] = before


def run(spark, statement: str, timeout: float):
    """The rows of `statement` as an Arrow table; TimeoutError when its jobs were still running
    after `timeout` seconds (they are interrupted)."""
    tag = f"valueproof-{secrets.token_hex(6)}"
    fired, finished = threading.Event(), threading.Event()
    cancel, restore = _tagger(spark, tag)

    def watch():
        if finished.wait(timeout):
            return
        fired.set()
        while True:  # a job the query starts later (after a broadcast) is cancelled too
            with contextlib.suppress(Exception):
                cancel()
            if finished.wait(0.25):
                return

    watcher = threading.Thread(target=watch, name="valueproof-spark-timeout", daemon=True)
    watcher.start()
    try:
        frame = spark.sql(statement)
        if hasattr(frame, "toArrow"):  # pyspark 4
            return frame.toArrow()
        import pyarrow as pa

        return pa.Table.from_batches(frame._collect_as_arrow())
    except Exception:
        if fired.is_set():
            raise TimeoutError from None
        raise
    finally:
        finished.set()
        watcher.join()
        with contextlib.suppress(Exception):
            restore()


def _tagger(spark, tag: str):
    """Put the jobs this thread starts under `tag`; returns what interrupts them and what
    restores the thread as it was. Classic Spark: a job group (its job tags do not reach the
    jobs that serve a result as Arrow; the group does); Spark Connect: an operation tag."""
    try:
        context = spark.sparkContext  # classic only
    except Exception:  # noqa: BLE001 - Spark Connect has no SparkContext
        spark.addTag(tag)
        return (lambda: spark.interruptTag(tag)), (lambda: spark.removeTag(tag))
    keys = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")
    before = {key: context.getLocalProperty(key) for key in keys}
    context.setJobGroup(tag, "valueproof data.query", interruptOnCancel=True)

    def restore():
        for key, value in before.items():
            context.setLocalProperty(key, value)

    return (lambda: context.cancelJobGroup(tag)), restore


class SparkSource(DatabaseSource):
    """A table, view or query of a Spark session (`spark://local[N]` or `sc://host:port`)."""

    def _read(self):
        """The needed columns as an Arrow table, from a Spark session: ibis writes the SELECT
        in Spark SQL, Spark runs it under a tag that a timer interrupts."""
        query = self._checked_query()
        with session(self.url, self.label, self.memory_limit, self.timezone) as spark:
            try:
                import ibis

                backend = ibis.pyspark.connect(spark)
                # (ibis sets the session's zone to UTC; a timestamp falls on its date in ours)
                spark.conf.set("spark.sql.session.timeZone", self.timezone)
                if query is None:  # (ibis's table() runs USE, which global_temp refuses)
                    query = "SELECT * FROM " + ".".join(
                        "`" + part.replace("`", "``") + "`" for part in self.table.split("."))
                table = backend.sql(query)
                self._columns(list(table.columns))  # (a missing column's message first)
                checks = backend.compile(pushdown.row_checks(table, self.plan)) \
                    if self.plan is not None and self.plan.duplicates else None
                statement = backend.compile(self._selected(table))
            except DataError:
                raise
            except Exception as exc:  # noqa: BLE001 - pyspark and py4j have their own types
                raise database_error(self, exc) from None
            try:
                if checks is not None:
                    self._keep_row_checks(run(spark, checks, self.timeout))
                return run(spark, statement, self.timeout)
            except TimeoutError:
                raise DataError(self.timeout_message()) from None
            except Exception as exc:  # noqa: BLE001
                raise database_error(self, exc) from None

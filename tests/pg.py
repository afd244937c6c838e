"""A throwaway PostgreSQL cluster for the database-source tests and the benchmark.

`VALUEPROOF_TEST_PG_URL` (set by .ci/run, which starts its own cluster) names a superuser URL
with a password. When it is unset and Debian's `postgresql` binaries are installed, `cluster()`
starts one itself: initdb into a temporary folder (as the `postgres` user when run as root,
since PostgreSQL refuses to run as root), password authentication on a free local TCP port,
stopped and removed on exit.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
PASSWORD = "pg-test-Secr3t"  # a throwaway cluster's superuser password


def binaries() -> Path | None:
    """The folder of initdb/pg_ctl, or None when PostgreSQL is not installed."""
    for folder in BIN_DIRS:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def cluster() -> Iterator[str]:
    """The superuser URL of a running cluster (the environment's, or a new one)."""
    if os.environ.get("VALUEPROOF_TEST_PG_URL"):
        yield os.environ["VALUEPROOF_TEST_PG_URL"]
        return
    folder = binaries()
    if folder is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package 'postgresql')")
    root = Path(tempfile.mkdtemp(prefix="valueproof-pg-"))
    data, sockets, pwfile = root / "data", root / "socket", root / "pw"
    sockets.mkdir()
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (root, sockets, pwfile):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    try:
        subprocess.run(_as_postgres([str(folder / "initdb"), "-D", str(data), "-U", "postgres",
                                     "--auth-local=trust", "--auth-host=scram-sha-256",
                                     f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync"]),
                       check=True, **quiet)
        subprocess.run(_as_postgres([
            str(folder / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"),
            "-o", f"-p {port} -k {sockets} -h 127.0.0.1 -c fsync=off", "start"]),
                       check=True, **quiet)
        try:
            yield f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(_as_postgres([str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                         "stop"]), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def copy_csv(url: str, table: str, csv: Path, columns: dict[str, str]) -> None:
    """Create `table` (column name → PostgreSQL type) and fill it from `csv` with COPY."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(*table.split("."))))
        definition = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
            for name, kind in columns.items())
        con.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(*table.split(".")),
                                                           definition))
        copy = sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv, HEADER true)").format(
            sql.Identifier(*table.split(".")))
        with con.cursor() as cursor, cursor.copy(copy) as pipe, csv.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                pipe.write(block)

"""DuckDB connections: short read-write batches, read-only readers, both retrying on the file lock.

DuckDB lets one process hold a read-write connection and then no other process may open the
file at all. So writers connect only for a short set-based batch, and readers open read-only per
query; both retry with backoff while another process holds the lock.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

LOCK_MARKERS = (
    "could not set lock",
    "conflicting lock",
    "database is locked",
    "different configuration than existing connections",
    "unique file handle conflict",
)
_migrate_lock = threading.Lock()
# Readers retry this often while a writer holds the file: a writer's batches leave only short gaps,
# and slower polling missed them for seconds (an app page took up to 18 s during back-to-back writes).
READER_POLL_S = 0.02
WRITER_POLL_S = 0.5


class DatabaseBusy(RuntimeError):
    """The database stayed locked by another process for longer than the timeout."""


class DatabaseMissing(FileNotFoundError):
    """No database file yet (nothing collected)."""


def _is_lock_error(exc: BaseException) -> bool:
    return any(marker in str(exc).lower() for marker in LOCK_MARKERS)


def _open(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout
    delay = 0.02
    cap = READER_POLL_S if read_only else WRITER_POLL_S
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException, duckdb.Error) as exc:
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                mode = "read-only" if read_only else "read-write"
                raise DatabaseBusy(
                    f"{path} is locked by another process; gave up opening it {mode} after {timeout:.0f}s"
                ) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, cap)


@contextmanager
def write_connection(path: str | Path, timeout: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection for one short batch, inside a transaction; migrated on first use."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only=False, timeout=timeout)
    try:
        _ensure_migrated(con, path)
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


@contextmanager
def read_connection(path: str | Path, timeout: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, retried while a writer holds the file."""
    path = Path(path)
    if not path.exists():
        raise DatabaseMissing(
            f"no Resonanz database at {path}: run `resonanz run` (or `resonanz demo`) first"
        )
    con = _open(path, read_only=True, timeout=timeout)
    try:
        yield con
    finally:
        con.close()


def query(path: str | Path, sql: str, params: list | tuple | dict | None = None, timeout: float = 30.0):
    """Run one read-only query and return a pandas DataFrame."""
    with read_connection(path, timeout=timeout) as con:
        return con.execute(sql, params or []).df()


@lru_cache(maxsize=1)
def migrations() -> tuple[tuple[int, str, str], ...]:
    """All migration scripts as (version, name, sql), in order."""
    folder = resources.files("warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return tuple(sorted(found))


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR,"
        " applied_at TIMESTAMPTZ DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        log.info("applied migration %s", name)
        applied.append(name)
    return applied


def _ensure_migrated(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    except duckdb.CatalogException:
        applied = set()
    if not {m[0] for m in migrations()} <= applied:
        with _migrate_lock:
            migrate(con)


def init_db(path: str | Path) -> Path:
    """Create the database file (if needed) and bring its schema up to date."""
    with write_connection(path):
        pass
    return Path(path)

"""Warehouse connections: short read-write transactions and read-only readers, on a DuckDB file or a DuckLake.

DuckDB file (the default): one process may hold a read-write connection and then no other process
may open the file at all. So writers connect only for a short set-based batch, and readers open
read-only per query; both retry with backoff while another process holds the lock.

DuckLake (`warehouse.target`): any number of processes on any number of hosts read and write
concurrently; readers attach READ_ONLY and see committed snapshots, never a lock. Commits are
optimistic: DuckLake aborts one of two concurrent transactions that change the same table with
"Transaction conflict", and `transact` runs the loser again on the new snapshot. Concurrent
*inserts* never conflict, so a writer that must not insert a key twice claims its table group
(`claim=`): it updates that group's one-row `claim_*` table, which makes two such writers conflict.
The file backend runs the same statements (its writers are serial anyway).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

import duckdb

from .ddl import for_ducklake
from .target import ALIAS, Target, Warehouse, as_warehouse, attach

log = logging.getLogger(__name__)

LOCK_MARKERS = (
    "could not set lock",
    "conflicting lock",
    "database is locked",
    "different configuration than existing connections",
    "unique file handle conflict",
)
CONFLICT_MARKERS = (
    "transaction conflict",
    "write-write conflict",
    "database is locked",
    "could not serialize access",  # a PostgreSQL catalog: e.g. compaction flushing inlined rows a writer touched
)
CLAIMS = ("documents", "enrichment", "aggregates", "plan")
_migrate_lock = threading.Lock()
# Readers retry this often while a writer holds the file: a writer's batches leave only short gaps,
# and slower polling missed them for seconds (an app page took up to 18 s during back-to-back writes).
READER_POLL_S = 0.02
WRITER_POLL_S = 0.5
T = TypeVar("T")
RETRIED = [0]  # transactions this process ran again after a conflict (tests and benches report it)


class DatabaseBusy(RuntimeError):
    """The database stayed locked by another process for longer than the timeout."""


class DatabaseMissing(FileNotFoundError):
    """No database file yet (nothing collected), or a DuckLake catalog that was never initialised."""


class TransactionConflict(RuntimeError):
    """DuckLake aborted a commit because a concurrent transaction changed the same table; run it again."""


def _is_lock_error(exc: BaseException) -> bool:
    return any(marker in str(exc).lower() for marker in LOCK_MARKERS)


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, TransactionConflict) or any(m in str(exc).lower() for m in CONFLICT_MARKERS)


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


# One attached DuckLake per (warehouse, mode) and process; every use gets its own cursor (thread-safe).
_lakes: dict[tuple[str, bool, int], duckdb.DuckDBPyConnection] = {}
_lakes_lock = threading.Lock()
_lakes_migrated: set[tuple[str, int]] = set()


def _missing(wh: Warehouse) -> DatabaseMissing:
    return DatabaseMissing(
        f"no Resonanz warehouse at {wh}: initialise its catalog once with `resonanz warehouse init`"
    )


def _lake_cursor(wh: Warehouse, read_only: bool) -> duckdb.DuckDBPyConnection:
    key = (str(wh), read_only, os.getpid())
    with _lakes_lock:
        parent = _lakes.get(key) or _attach_new(wh, read_only)
        _lakes[key] = parent
        cursor = parent.cursor()
    cursor.execute(f"USE {ALIAS}")
    return cursor


def _attach_new(wh: Warehouse, read_only: bool) -> duckdb.DuckDBPyConnection:
    for first in (True, False):
        parent = duckdb.connect()
        try:
            attach(parent, wh, read_only=read_only)
            return parent
        except duckdb.Error as exc:
            parent.close()
            if "does not exist" not in str(exc) and "explicitly disabled" not in str(exc):
                raise
            if not first or read_only or wh.catalog_file is None:
                raise _missing(wh) from None
            init_lake(wh)  # a one-host SQLite catalog initialises itself, under a file lock
    raise AssertionError("unreachable")


def forget_lakes() -> None:
    """Close this process's attached DuckLakes (tests; a dropped catalog)."""
    with _lakes_lock:
        for con in _lakes.values():
            con.close()
        _lakes.clear()
        _lakes_migrated.clear()


def _connect(wh: Warehouse, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    if wh.is_lake:
        return _lake_cursor(wh, read_only)
    if read_only and not wh.path.exists():
        raise DatabaseMissing(
            f"no Resonanz database at {wh.path}: run `resonanz run` (or `resonanz demo`) first"
        )
    if not read_only:
        wh.path.parent.mkdir(parents=True, exist_ok=True)
    return _open(wh.path, read_only=read_only, timeout=timeout)


@contextmanager
def write_connection(
    db: Target, timeout: float = 60.0, claim: Sequence[str] = ()
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection for one short batch, inside a transaction; migrated on first use.

    `claim` names table groups (CLAIMS) this transaction must have to itself: a concurrent claimant
    fails to commit with TransactionConflict (use `transact` to run it again).
    """
    wh = as_warehouse(db)
    con = _connect(wh, read_only=False, timeout=timeout)
    try:
        _ensure_migrated(con, wh)
        con.execute("BEGIN TRANSACTION")
        try:
            for name in claim:
                if name not in CLAIMS:
                    raise ValueError(f"unknown claim {name!r}; known: {', '.join(CLAIMS)}")
                con.execute(f"UPDATE claim_{name} SET n = n + 1")
            yield con
        except BaseException:
            _rollback(con)
            raise
        try:
            con.execute("COMMIT")
        except duckdb.Error as exc:
            _rollback(con)
            if is_conflict(exc):
                raise TransactionConflict(f"{wh}: {exc}") from exc
            raise
    finally:
        con.close()


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # a failed COMMIT already ended the transaction
        con.execute("ROLLBACK")


def transact(
    db: Target,
    work: Callable[[duckdb.DuckDBPyConnection], T],
    claim: Sequence[str] = (),
    timeout: float = 120.0,
) -> T:
    """Run `work(con)` in one write transaction, again on a fresh snapshot after a DuckLake conflict.

    `work` must be safe to repeat: everything it did in a failed attempt was rolled back.
    """
    deadline = time.monotonic() + timeout
    delay, attempt = 0.02, 0
    while True:
        attempt += 1
        try:
            with write_connection(db, timeout=timeout, claim=claim) as con:
                return work(con)
        except (TransactionConflict, duckdb.Error) as exc:
            if not is_conflict(exc) or time.monotonic() >= deadline:
                raise
            RETRIED[0] += 1
            log.debug("write conflict on %s (attempt %d): %s", db, attempt, exc)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


@contextmanager
def read_connection(db: Target, timeout: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection: retried while a writer holds a DuckDB file; a READ_ONLY DuckLake snapshot."""
    con = _connect(as_warehouse(db), read_only=True, timeout=timeout)
    try:
        yield con
    finally:
        con.close()


def query(db: Target, sql: str, params: list | tuple | dict | None = None, timeout: float = 30.0):
    """Run one read-only query and return a pandas DataFrame."""
    with read_connection(db, timeout=timeout) as con:
        return con.execute(sql, params or []).df()


def current_snapshot(db: Target) -> int:
    """A DuckLake's newest snapshot id (moves with every commit); -1 when it is not initialised."""
    try:
        with read_connection(db) as con:
            return int(con.execute(f"SELECT id FROM {ALIAS}.current_snapshot()").fetchone()[0])
    except DatabaseMissing:
        return -1


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


MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR,"
    " applied_at TIMESTAMPTZ DEFAULT now())"
)


def migrate(con: duckdb.DuckDBPyConnection, lake: bool = False) -> list[str]:
    """Apply pending migrations (DuckLake: translated by `ddl.for_ducklake`); returns the names applied."""
    con.execute(for_ducklake(MIGRATIONS_TABLE) if lake else MIGRATIONS_TABLE)
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(for_ducklake(sql) if lake else sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        log.info("applied migration %s", name)
        applied.append(name)
    return applied


def pending_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the migrations not applied yet."""
    try:
        applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    except duckdb.CatalogException:
        applied = set()
    return [name for version, name, _ in migrations() if version not in applied]


def _ensure_migrated(con: duckdb.DuckDBPyConnection, wh: Warehouse) -> None:
    key = (str(wh), os.getpid())
    if wh.is_lake and key in _lakes_migrated:
        return
    if pending_migrations(con):
        with _migrate_lock:
            if wh.is_lake:
                _migrate_lake(con)
            else:
                migrate(con)
    if wh.is_lake:
        _lakes_migrated.add(key)


def _migrate_lake(con: duckdb.DuckDBPyConnection, timeout: float = 120.0) -> list[str]:
    """Migrate a DuckLake; a migration committed concurrently by another process wins, we re-check."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return migrate(con, lake=True)
        except duckdb.Error as exc:
            if time.monotonic() >= deadline or not (is_conflict(exc) or "already exists" in str(exc)):
                raise
            time.sleep(0.1 + random.random() * 0.2)


def init_lake(wh: Warehouse) -> list[str]:
    """Create a DuckLake catalog (once: the first attach of an empty catalog races) and migrate it.

    A SQLite catalog is initialised under a file lock beside it, so processes on one host may all
    call this; a PostgreSQL catalog must be initialised by one process (`resonanz warehouse init`).
    """
    data_path = wh.data_path
    if data_path is None and wh.catalog_file is not None:
        data_path = str(wh.catalog_file.with_name(wh.catalog_file.name + ".files"))
    if data_path is None:
        raise DatabaseMissing(f"{wh}: a new DuckLake needs a data path ([warehouse] data_path / --data-path)")
    if "://" not in data_path:
        Path(data_path).mkdir(parents=True, exist_ok=True)
    spec = Warehouse("ducklake", wh.location, data_path)
    lock = _init_lock(wh)
    try:
        con = duckdb.connect()
        try:
            attach(con, spec, read_only=False, create=True)
            applied = _migrate_lake(con)
        finally:
            con.close()
    finally:
        if lock is not None:
            lock.close()
    return applied


def _init_lock(wh: Warehouse):
    if wh.catalog_file is None:
        return None
    wh.catalog_file.parent.mkdir(parents=True, exist_ok=True)
    handle = wh.catalog_file.with_name(wh.catalog_file.name + ".init.lock").open("a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def init_db(path: Target) -> Target:
    """Create the database (file or DuckLake catalog) if needed and bring its schema up to date."""
    wh = as_warehouse(path)
    if wh.is_lake and not wh.exists():
        init_lake(wh)
    with write_connection(wh):
        pass
    return path if isinstance(path, Warehouse) or wh.is_lake else Path(path)

"""Warehouse administration (`resonanz warehouse init|migrate|compact`): create a DuckLake catalog once,
apply pending migrations explicitly, and compact a DuckLake (merge small files, expire snapshots,
delete files no snapshot needs any more).

Two processes attaching an empty DuckLake catalog for the first time race (one fails, one hangs), so
a catalog is initialised by one command: a PostgreSQL catalog is claimed first with a marker table
(`resonanz_catalog_init`, created atomically: a second `init` fails at once with a clear message), a
SQLite catalog under a file lock beside it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import duckdb

from .db import (
    DatabaseMissing,
    _open,
    init_db,
    init_lake,
    is_conflict,
    migrate,
    migrations,
    pending_migrations,
)
from .target import ALIAS, Target, Warehouse, WarehouseError, as_warehouse, attach, load_extensions

log = logging.getLogger(__name__)

INIT_MARKER = "resonanz_catalog_init"
T = TypeVar("T")


class AlreadyInitialised(WarehouseError):
    """`init` of a warehouse that exists (or that another process is initialising right now)."""


@dataclass(frozen=True, slots=True)
class InitResult:
    warehouse: str
    data_path: str | None
    applied: list[str]


@dataclass(frozen=True, slots=True)
class MigrateResult:
    warehouse: str
    pending: list[str]
    applied: list[str]
    dry_run: bool


@dataclass(slots=True)
class Compaction:
    """What `compact` did (or, dry run, would do) on a DuckLake."""

    warehouse: str
    dry_run: bool
    keep_days: int
    flushed_rows: dict[str, int] = field(default_factory=dict)  # table -> inlined rows written to files
    merged: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> (files in, files out)
    rewritten: dict[str, tuple[int, int]] = field(default_factory=dict)  # files with many deletes
    expired_snapshots: list[int] = field(default_factory=list)
    deleted_files: list[str] = field(default_factory=list)
    data_files: int = 0  # data files in the current snapshot (after compaction)


# --- connections ------------------------------------------------------------------------------------
@contextmanager
def admin_connection(
    wh: Warehouse, read_only: bool, timeout: float = 60.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection of its own (not the process's shared attach) to an existing warehouse."""
    if not wh.exists():
        raise DatabaseMissing(
            f"no Resonanz warehouse at {wh}: "
            + ("initialise it with `resonanz warehouse init`" if wh.is_lake else "run `resonanz run` first")
        )
    if wh.is_lake:
        con = duckdb.connect()
        try:
            attach(con, wh, read_only=read_only)
        except BaseException:
            con.close()
            raise
    else:
        con = _open(wh.path, read_only=read_only, timeout=timeout)
    try:
        yield con
    finally:
        con.close()


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest applied migration, None on a database without the migrations table."""
    try:
        return con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    except duckdb.CatalogException:
        return None


# --- init -------------------------------------------------------------------------------------------
def init_warehouse(target: Target) -> InitResult:
    """Create the warehouse once and apply every migration.

    A DuckDB file is created if missing. A DuckLake catalog must not be initialised yet: an
    existing one, or one another process is initialising right now, raises AlreadyInitialised.
    """
    wh = as_warehouse(target)
    if not wh.is_lake:
        existed = wh.exists()
        if existed:
            with admin_connection(wh, read_only=True) as con:
                pending = pending_migrations(con)
            raise AlreadyInitialised(
                f"{wh} already exists (schema {_version_text(wh)}"
                + (
                    f", {len(pending)} migration(s) pending: run `resonanz warehouse migrate`)"
                    if pending
                    else ")"
                )
            )
        init_db(wh)
        return InitResult(str(wh), None, [name for _, name, _ in migrations()])
    if wh.exists():
        raise AlreadyInitialised(
            f"{wh.name} is already initialised (schema {_version_text(wh)}); "
            "`resonanz warehouse migrate` applies new migrations"
        )
    claimed = _claim_catalog(wh)
    try:
        applied = init_lake(wh)
    except BaseException:
        if claimed:
            _release_catalog(wh)
        raise
    if not applied:  # a SQLite catalog another `init` created while this one waited for the lock
        raise AlreadyInitialised(f"{wh.name} is already initialised (by another process, just now)")
    data_path = _lake_option(wh, "data_path")
    log.info("initialised %s (data files under %s)", wh.name, data_path)
    return InitResult(str(wh), data_path, applied)


def _version_text(wh: Warehouse) -> str:
    with admin_connection(wh, read_only=True) as con:
        version = schema_version(con)
    return f"{version:04d}" if version is not None else "none"


def _lake_option(wh: Warehouse, name: str) -> str | None:
    with admin_connection(wh, read_only=True) as con:
        row = con.execute(
            f"SELECT value FROM ducklake_options('{ALIAS}') WHERE option_name = ?", [name]
        ).fetchone()
    return row[0] if row else None


@contextmanager
def _postgres(wh: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    try:
        load_extensions(con, ("postgres_scanner",))
        dsn = wh.location.removeprefix("postgres:").replace("'", "''")
        con.execute(f"ATTACH '{dsn}' AS pg (TYPE postgres)")
        yield con
    finally:
        con.close()


def _claim_catalog(wh: Warehouse) -> bool:
    """Create the PostgreSQL marker table (atomic: the second of two `init`s fails here); False for SQLite."""
    if not wh.location.startswith("postgres:"):
        return False  # init_lake holds a file lock beside a SQLite catalog
    try:
        with _postgres(wh) as con:
            con.execute(
                "CALL postgres_execute('pg', 'CREATE TABLE "
                + INIT_MARKER
                + " (started_at timestamptz NOT NULL DEFAULT now(), pid integer, client text DEFAULT inet_client_addr()::text)')"
            )
    except duckdb.Error as exc:
        if "already exists" in str(exc):
            raise AlreadyInitialised(
                f"{wh.name} is being initialised by another process (or an earlier `init` stopped half-way: "
                f"then drop the table {INIT_MARKER} in that database and run `resonanz warehouse init` again)"
            ) from None
        raise WarehouseError(f"cannot reach the DuckLake catalog {wh.name}: {_first_line(exc)}") from None
    return True


def _release_catalog(wh: Warehouse) -> None:
    try:
        with _postgres(wh) as con:
            con.execute(f"CALL postgres_execute('pg', 'DROP TABLE IF EXISTS {INIT_MARKER}')")
    except duckdb.Error as exc:  # the original error matters more
        log.warning("could not drop %s in %s: %s", INIT_MARKER, wh.name, _first_line(exc))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- migrate ----------------------------------------------------------------------------------------
def migrate_warehouse(target: Target, dry_run: bool = False) -> MigrateResult:
    """Apply the pending migrations (dry run: only list them). Writers also migrate on first use."""
    wh = as_warehouse(target)
    with admin_connection(wh, read_only=dry_run) as con:
        pending = pending_migrations(con)
        if dry_run or not pending:
            return MigrateResult(str(wh), pending, [], dry_run)
        applied = _retry(lambda: migrate(con, lake=wh.is_lake), also=("already exists",))
    return MigrateResult(str(wh), pending, applied, dry_run)


def _retry(step: Callable[[], T], timeout: float = 120.0, also: tuple[str, ...] = ()) -> T:
    """Run `step` again after a DuckLake commit conflict (another process committed first)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return step()
        except duckdb.Error as exc:
            retry = is_conflict(exc) or any(text in str(exc) for text in also)
            if not retry or time.monotonic() >= deadline:
                raise
            time.sleep(0.1 + random.random() * 0.2)


# --- compact ----------------------------------------------------------------------------------------
def compact(target: Target, keep_days: int, dry_run: bool = False, grace_minutes: int = 10) -> Compaction:
    """Compact a DuckLake: flush inlined rows, merge adjacent small files, rewrite files with many
    deletes, expire snapshots older than `keep_days`, delete files no snapshot needs since `grace_minutes`.

    Readers on an older snapshot keep working: files are deleted only `grace_minutes` after they
    became unreferenced. A dry run reports the snapshots and files that would go, and changes nothing.
    """
    wh = as_warehouse(target)
    if not wh.is_lake:
        raise WarehouseError(f"{wh} is a DuckDB file: compaction applies to a DuckLake (docs/scale.md)")
    result = Compaction(str(wh), dry_run, keep_days)
    cutoff = f"now() - INTERVAL '{int(keep_days)} days'"
    grace = f"now() - INTERVAL '{int(grace_minutes)} minutes'"
    flag = "true" if dry_run else "false"
    if not wh.exists():
        raise DatabaseMissing(f"no Resonanz warehouse at {wh}: initialise it with `resonanz warehouse init`")
    if not dry_run:
        for row in _step(wh, f"CALL ducklake_flush_inlined_data('{ALIAS}')"):
            if row[2]:
                result.flushed_rows[row[1]] = result.flushed_rows.get(row[1], 0) + int(row[2])
        for row in _step(wh, f"CALL ducklake_merge_adjacent_files('{ALIAS}')"):
            result.merged[row[1]] = (int(row[2]), int(row[3]))
        for row in _step(wh, f"CALL ducklake_rewrite_data_files('{ALIAS}')"):
            result.rewritten[row[1]] = (int(row[2]), int(row[3]))
    rows = _step(
        wh, f"CALL ducklake_expire_snapshots('{ALIAS}', dry_run => {flag}, older_than => {cutoff})", dry_run
    )
    result.expired_snapshots = sorted(int(r[0]) for r in rows)
    rows = _step(
        wh, f"CALL ducklake_cleanup_old_files('{ALIAS}', dry_run => {flag}, older_than => {grace})", dry_run
    )
    result.deleted_files = sorted(r[0] for r in rows)
    rows = _step(wh, f"SELECT coalesce(sum(file_count), 0) FROM ducklake_table_info('{ALIAS}')", True)
    result.data_files = int(rows[0][0])
    return result


def _step(wh: Warehouse, sql: str, read_only: bool = False) -> list[tuple]:
    """One maintenance call on a connection of its own, again on a fresh one after a commit conflict.

    A fresh connection each time: after PostgreSQL aborted a catalog transaction ("could not
    serialize access"), the catalog connection stays in the aborted transaction.
    """

    def attempt() -> list[tuple]:
        con = duckdb.connect()
        try:
            attach(con, wh, read_only=read_only)
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return _retry(attempt, also=("Current transaction is aborted",))

"""Copy a whole warehouse into another one (`resonanz warehouse copy --to`), e.g. the DuckDB file into
a DuckLake, and prove nothing was lost: every table's row count and content hash are compared.

The copy runs in one transaction on the target (all tables or none); the source is attached
READ_ONLY and never changed. Both sides must be at the same schema version (the target is
migrated, a source with pending migrations is refused: `resonanz warehouse migrate` it first).
A target that already holds rows is refused unless `replace=True` (its rows are deleted first).
The write-claim tables and the migrations table belong to each warehouse and are not copied.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from .db import (
    DatabaseBusy,
    DatabaseMissing,
    _is_lock_error,
    init_db,
    init_lake,
    pending_migrations,
    write_connection,
)
from .target import Target, Warehouse, WarehouseError, as_warehouse, attach

log = logging.getLogger(__name__)

SRC, DST = "copy_src", "copy_dst"
NOT_COPIED = ("schema_migrations",)
NOT_COPIED_PREFIX = "claim_"


class CopyError(WarehouseError):
    """The copy was refused (non-empty target, schema versions differ) or did not verify."""


@dataclass(frozen=True, slots=True)
class TableFingerprint:
    """A table's row count and an order-independent hash of its rows (sum of per-row hashes)."""

    rows: int
    digest: str


@dataclass(slots=True)
class CopyPlan:
    """What a copy would do: the tables with their source row counts, and what the target holds."""

    source: str
    target: str
    source_rows: dict[str, int] = field(default_factory=dict)
    target_rows: dict[str, int] = field(default_factory=dict)  # empty when the target does not exist yet
    target_exists: bool = False

    @property
    def target_total(self) -> int:
        return sum(self.target_rows.values())


@dataclass(slots=True)
class CopyResult:
    source: str
    target: str
    tables: dict[str, TableFingerprint]
    replaced_rows: int
    verified: bool

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


def _attach(con: duckdb.DuckDBPyConnection, wh: Warehouse, alias: str, read_only: bool) -> None:
    if wh.is_lake:
        attach(con, wh, read_only=read_only, alias=alias)
        return
    mode = " (READ_ONLY)" if read_only else ""
    try:
        con.execute(f"ATTACH '{str(wh.path).replace(chr(39), chr(39) * 2)}' AS {alias}{mode}")
    except duckdb.Error as exc:
        if _is_lock_error(exc):
            raise DatabaseBusy(
                f"{wh.path} is in use by another process: stop it (or wait) and copy again"
            ) from None
        raise


@contextmanager
def _session(source: Warehouse, target: Warehouse | None, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """One connection with the source attached READ_ONLY as copy_src and the target as copy_dst."""
    con = duckdb.connect()
    try:
        _attach(con, source, SRC, read_only=True)
        if target is not None:
            _attach(con, target, DST, read_only=not write)
        con.execute("USE memory")
        yield con
    finally:
        con.close()


def copied_tables(con: duckdb.DuckDBPyConnection, alias: str) -> list[str]:
    """The base tables of the warehouse attached as `alias`, without the per-warehouse bookkeeping tables."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main'"
        " AND table_type = 'BASE TABLE' ORDER BY table_name",
        [alias],
    ).fetchall()
    return [r[0] for r in rows if r[0] not in NOT_COPIED and not r[0].startswith(NOT_COPIED_PREFIX)]


def _columns(con: duckdb.DuckDBPyConnection, alias: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_schema = 'main'"
        " AND table_name = ? ORDER BY ordinal_position",
        [alias, table],
    ).fetchall()
    return [r[0] for r in rows]


def _count(con: duckdb.DuckDBPyConnection, alias: str, table: str) -> int:
    return int(con.execute(f'SELECT count(*) FROM {alias}.main."{table}"').fetchone()[0])


def fingerprint(
    con: duckdb.DuckDBPyConnection, alias: str, table: str, columns: list[str]
) -> TableFingerprint:
    """Row count and content hash of `alias.table` over `columns` (the same value on either backend)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    rows, total = con.execute(
        f'SELECT count(*), coalesce(sum(hash(row({cols}))::HUGEINT), 0) FROM {alias}.main."{table}"'
    ).fetchone()
    return TableFingerprint(int(rows), f"{int(total) & (2**128 - 1):032x}")


def _versions(con: duckdb.DuckDBPyConnection, alias: str) -> list[int]:
    try:
        return [
            r[0]
            for r in con.execute(f"SELECT version FROM {alias}.main.schema_migrations ORDER BY 1").fetchall()
        ]
    except duckdb.CatalogException:
        return []


def plan_copy(source: Target, target: Target) -> CopyPlan:
    """The tables a copy would write, with row counts on both sides (nothing is changed)."""
    src, dst = as_warehouse(source), as_warehouse(target)
    if str(src) == str(dst):
        raise CopyError(f"source and target are the same warehouse ({src.name})")
    if not src.exists():
        raise DatabaseMissing(f"no Resonanz warehouse at {src}: nothing to copy")
    with _session(src, None, write=False) as con:
        con.execute(f"USE {SRC}")
        pending = pending_migrations(con)
        con.execute("USE memory")
        if pending:
            raise CopyError(
                f"{src.name} has {len(pending)} pending migration(s) ({pending[0]} …): "
                f"run `resonanz warehouse migrate --db {src}` first (copy never changes its source)"
            )
        plan = CopyPlan(str(src), str(dst), {t: _count(con, SRC, t) for t in copied_tables(con, SRC)})
    plan.target_exists = dst.exists()
    if plan.target_exists:
        with _session(src, dst, write=False) as con:
            plan.target_rows = {t: _count(con, DST, t) for t in copied_tables(con, DST)}
    return plan


def _prepare_target(dst: Warehouse) -> None:
    """Create (DuckLake: initialise, needs its data path) and migrate the target."""
    if dst.is_lake and not dst.exists():
        init_lake(dst)
    elif not dst.is_lake:
        init_db(dst)
    with write_connection(dst):  # applies pending migrations
        pass
    from .db import forget_lakes

    forget_lakes()  # the copy attaches the target itself


def copy_warehouse(source: Target, target: Target, replace: bool = False) -> CopyResult:
    """Copy every table of `source` into `target` in one transaction, then verify counts and hashes.

    Raises CopyError when the target holds rows and `replace` is False, when the schema versions
    differ, or when a table does not verify after the copy.
    """
    src, dst = as_warehouse(source), as_warehouse(target)
    plan = plan_copy(src, dst)
    if plan.target_total and not replace:
        raise CopyError(
            f"{dst.name} is not empty ({plan.target_total} rows): pass replace=True / --force to replace its rows"
        )
    _prepare_target(dst)
    with _session(src, dst, write=True) as con:
        if _versions(con, SRC) != _versions(con, DST):
            raise CopyError(f"{src.name} and {dst.name} are at different schema versions: migrate both first")
        tables = copied_tables(con, SRC)
        missing = sorted(set(tables) - set(copied_tables(con, DST)))
        if missing:
            raise CopyError(f"{dst.name} has no table(s) {', '.join(missing)}: migrate it first")
        columns = {t: _columns(con, SRC, t) for t in tables}
        replaced = 0
        con.execute("BEGIN TRANSACTION")
        try:
            for table in copied_tables(con, DST):
                if replace:
                    replaced += _count(con, DST, table)
                    con.execute(f'DELETE FROM {DST}.main."{table}"')
            for table in tables:
                cols = ", ".join(f'"{c}"' for c in columns[table])
                con.execute(
                    f'INSERT INTO {DST}.main."{table}" ({cols}) SELECT {cols} FROM {SRC}.main."{table}"'
                )
                log.info("copied %s", table)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        expected = {t: fingerprint(con, SRC, t, columns[t]) for t in tables}
        got = {t: fingerprint(con, DST, t, columns[t]) for t in tables}
    differing = sorted(t for t in tables if expected[t] != got[t])
    if differing:
        raise CopyError(
            f"the copy in {dst.name} differs from {src.name} in {', '.join(differing)} "
            "(row count or content hash): nothing else changed the source? copy again with --force"
        )
    return CopyResult(str(src), str(dst), expected, replaced, verified=True)

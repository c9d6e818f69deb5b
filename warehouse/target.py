"""Where the warehouse lives: one DuckDB file (the embedded default) or a DuckLake.

A `Warehouse` is a small, picklable spec that every warehouse function accepts in place of a
path, so flows, the app, Prefect workers and Dask workers can pass it around. Its text form is
what `--db`, `$RESONANZ_DB` and flow parameters carry:

- a file path (`resonanz.duckdb`): the single DuckDB file;
- `ducklake:postgres:dbname=resonanz host=db1 user=resonanz`: a DuckLake whose catalog is in
  PostgreSQL (several hosts); `ducklake:sqlite:/srv/resonanz/lake.sqlite`: a SQLite catalog
  (several processes on one host). The data path (Parquet files) is stored in the catalog when
  it is initialised (`resonanz warehouse init`), so the text form does not carry it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

log = logging.getLogger(__name__)

DUCKLAKE_PREFIX = "ducklake:"
CATALOG_KINDS = ("postgres:", "sqlite:")
ALIAS = "lake"  # the name the DuckLake is attached as (every unqualified name resolves into it)
EXTENSIONS = {"postgres:": "postgres_scanner", "sqlite:": "sqlite_scanner"}
_extension_lock = threading.Lock()


class WarehouseError(ValueError):
    """A warehouse spec that cannot be used; the message names it and what to do."""


@dataclass(frozen=True, slots=True)
class Warehouse:
    """A DuckDB file (`backend='duckdb'`, `location` = its path) or a DuckLake (`location` = its catalog)."""

    backend: Literal["duckdb", "ducklake"]
    location: str
    data_path: str | None = None  # DuckLake: where Parquet files go; only needed to initialise

    @classmethod
    def file(cls, path: str | Path) -> Warehouse:
        return cls("duckdb", str(Path(path).expanduser().resolve()))

    @classmethod
    def lake(cls, catalog: str, data_path: str | Path | None = None) -> Warehouse:
        catalog = catalog.strip().removeprefix(DUCKLAKE_PREFIX)
        if not catalog.startswith(CATALOG_KINDS):
            raise WarehouseError(
                f"DuckLake catalog {catalog!r}: use 'postgres:dbname=... host=... user=...' (several hosts) "
                "or 'sqlite:/path/to/catalog.sqlite' (one host)"
            )
        if catalog.startswith("sqlite:"):
            catalog = "sqlite:" + str(Path(catalog.removeprefix("sqlite:")).expanduser().resolve())
        data = data_path if data_path is None or "://" in str(data_path) else Path(data_path).resolve()
        return cls("ducklake", catalog, str(data) if data is not None else None)

    @property
    def is_lake(self) -> bool:
        return self.backend == "ducklake"

    @property
    def path(self) -> Path:
        """The DuckDB file (file backend only)."""
        if self.is_lake:
            raise WarehouseError(f"{self} is a DuckLake, not a DuckDB file")
        return Path(self.location)

    @property
    def name(self) -> str:
        """A short label for the app and logs (no credentials)."""
        if not self.is_lake:
            return Path(self.location).name
        if self.location.startswith("sqlite:"):
            return f"DuckLake {Path(self.location.removeprefix('sqlite:')).name}"
        fields = dict(p.split("=", 1) for p in self.location.removeprefix("postgres:").split() if "=" in p)
        return f"DuckLake {fields.get('dbname', '?')}@{fields.get('host', 'localhost')}"

    def __str__(self) -> str:
        return DUCKLAKE_PREFIX + self.location if self.is_lake else self.location

    def __fspath__(self) -> str:  # a file warehouse still works where a path is expected
        return str(self.path)

    @property
    def catalog_file(self) -> Path | None:
        """The SQLite catalog file of a one-host DuckLake."""
        if self.is_lake and self.location.startswith("sqlite:"):
            return Path(self.location.removeprefix("sqlite:"))
        return None

    def exists(self) -> bool:
        """The file exists / the DuckLake catalog was initialised."""
        if not self.is_lake:
            return Path(self.location).exists()
        if self.catalog_file is not None and not self.catalog_file.exists():
            return False
        con = duckdb.connect()
        try:
            attach(con, self, read_only=True)
            return True
        except duckdb.Error as exc:
            if "does not exist" in str(exc) or "creating a new DuckLake is explicitly disabled" in str(exc):
                return False
            if "unable to connect" in str(exc).lower():
                reason = str(exc).strip().splitlines()[0].rsplit(":", 1)[-1].strip()
                raise WarehouseError(
                    f"cannot reach the DuckLake catalog {self.name} ({reason}): check [warehouse] catalog / --db"
                ) from None
            raise
        finally:
            con.close()

    def run_lock_path(self) -> Path:
        """The advisory file that keeps one pipeline run per warehouse on this host."""
        if not self.is_lake:
            path = Path(self.location)
            return path.with_name(path.name + ".run.lock")
        if self.catalog_file is not None:
            return self.catalog_file.with_name(self.catalog_file.name + ".run.lock")
        digest = hashlib.sha256(self.location.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"resonanz-{digest}.run.lock"


Target = str | os.PathLike[str] | Warehouse


def as_warehouse(target: Target) -> Warehouse:
    """A Warehouse from a spec, a `ducklake:` string or a file path."""
    if isinstance(target, Warehouse):
        return target
    text = os.fspath(target)
    if text.startswith(DUCKLAKE_PREFIX):
        return Warehouse.lake(text)
    return Warehouse.file(text)


def load_extensions(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> None:
    """LOAD DuckDB extensions, installing them from their PyPI packages (`duckdb-extension-*`) if needed.

    `INSTALL` from the internet is never tried: the `scale` extra ships them for duckdb 1.5.5.
    """
    for name in names:
        try:
            con.execute(f"LOAD {name}")
            continue
        except duckdb.Error:
            pass
        with _extension_lock:
            try:
                from duckdb_extensions import import_extension

                import_extension(name, con=con)
            except ImportError as exc:
                raise WarehouseError(
                    f"the DuckDB extension {name!r} is not installed: "
                    f"pip install 'resonanz[scale]' (duckdb-extension-{name.replace('_', '-')}==1.5.5)"
                ) from exc
        con.execute(f"LOAD {name}")


def attach(
    con: duckdb.DuckDBPyConnection, wh: Warehouse, read_only: bool, create: bool = False, alias: str = ALIAS
) -> None:
    """ATTACH the DuckLake `wh` as `alias` (`lake`) and make it the default catalog.

    Only `create=True` (resonanz warehouse init) may create the catalog: two processes attaching
    an empty catalog for the first time race, so workers never do.
    """
    kind = next(k for k in CATALOG_KINDS if wh.location.startswith(k))
    load_extensions(con, ("ducklake", EXTENSIONS[kind]))
    options = ["READ_ONLY"] if read_only else []
    if create:
        if wh.data_path:
            options.append(f"DATA_PATH '{_quote(wh.data_path)}'")
    else:
        options.append("CREATE_IF_NOT_EXISTS false")
    con.execute(f"ATTACH '{_quote(DUCKLAKE_PREFIX + wh.location)}' AS {alias} ({', '.join(options)})")
    con.execute(f"USE {alias}")


def _quote(text: str) -> str:
    return text.replace("'", "''")

"""The app's data access: the database path and cached read-only queries keyed on the data version."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from resonanz.config import ENV_DB, Config, ConfigError, load_config

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def app_config() -> Config | None:
    """The config named by $RESONANZ_CONFIG or ./resonanz.toml, if any."""
    try:
        return load_config()
    except ConfigError:
        return None


def db_path() -> Path:
    """$RESONANZ_DB, else the config's database, else ./resonanz.duckdb."""
    if os.environ.get(ENV_DB):
        return Path(os.environ[ENV_DB]).expanduser().resolve()
    cfg = app_config()
    return cfg.db_path if cfg else Path("resonanz.duckdb").resolve()


def data_version(db: Path) -> tuple[float, float]:
    """Changes whenever the database is written (file and WAL modification times)."""
    stamps = []
    for path in (db, db.with_name(db.name + ".wal")):
        try:
            stamps.append(path.stat().st_mtime)
        except FileNotFoundError:
            stamps.append(0.0)
    return tuple(stamps)  # type: ignore[return-value]


_REGISTRY: dict[str, Callable[..., Any]] = {}


@st.cache_data(show_spinner=False, max_entries=512)
def _call(key: str, db: str, version: tuple[float, float], args: tuple, kwargs: dict) -> Any:
    return _REGISTRY[key](db, *args, **kwargs)


def cached(fn: Callable[..., T]) -> Callable[..., T]:
    """Cache a read function `fn(db, *args)` per database and data version (any write invalidates)."""
    key = f"{fn.__module__}.{fn.__qualname__}"
    _REGISTRY[key] = fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        db = db_path()
        return _call(key, str(db), data_version(db), args, kwargs)

    return wrapper

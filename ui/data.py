"""The app's data access: the database path and cached read-only queries keyed on the data version."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import streamlit as st

from resonanz.config import ENV_DB, Config, ConfigError, Stakeholder, load_config
from warehouse.alerts import AlertSettings
from warehouse.db import current_snapshot
from warehouse.insights import aggregate_info
from warehouse.target import Warehouse, as_warehouse

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def app_config() -> Config | None:
    """The config named by $RESONANZ_CONFIG or ./resonanz.toml, if any."""
    try:
        return load_config()
    except ConfigError:
        return None


def db_path() -> Warehouse:
    """$RESONANZ_DB (a file or a `ducklake:` catalog), else the config's warehouse, else ./resonanz.duckdb."""
    if os.environ.get(ENV_DB):
        return as_warehouse(os.environ[ENV_DB])
    cfg = app_config()
    return cfg.db if cfg else Warehouse.file("resonanz.duckdb")


def data_version(db: Warehouse) -> tuple[float, ...]:
    """Changes whenever the warehouse is written: file and WAL modification times, a DuckLake's snapshot id."""
    if db.is_lake:
        return (float(current_snapshot(db)),)
    stamps = []
    for path in (db.path, db.path.with_name(db.path.name + ".wal")):
        try:
            stamps.append(path.stat().st_mtime)
        except FileNotFoundError:
            stamps.append(0.0)
    return tuple(stamps)


_REGISTRY: dict[str, Callable[..., Any]] = {}


@st.cache_data(show_spinner=False, max_entries=512)
def _call(key: str, db: str, version: tuple[float, ...], args: tuple, kwargs: dict) -> Any:
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


def stakeholders() -> list[Stakeholder]:
    """The configured stakeholders (none without a config)."""
    cfg = app_config()
    return list(cfg.stakeholders) if cfg else []


def alert_settings() -> AlertSettings:
    """The `[alerts]` thresholds of the config (defaults without one)."""
    cfg = app_config()
    return AlertSettings(**cfg.alerts.model_dump()) if cfg else AlertSettings()


_aggregate_info = cached(aggregate_info)


def aggregates_built() -> bool:
    """Whether the app's aggregates were ever refreshed on this database."""
    return "refreshed_at" in _aggregate_info()


def as_of() -> date:
    """The reference day of the aggregates (the day of the last refresh), else today (UTC)."""
    info = _aggregate_info()
    return date.fromisoformat(info["as_of"]) if info.get("as_of") else datetime.now(UTC).date()

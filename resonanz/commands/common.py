"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from warehouse.target import Warehouse, as_warehouse

from ..config import DEFAULT_DB, ENV_DB, Config, load_config


def config_from(args: argparse.Namespace) -> Config:
    """The config named by --config / $RESONANZ_CONFIG / ./resonanz.toml."""
    return load_config(getattr(args, "config", None))


def db_from(args: argparse.Namespace, config: Config | None = None) -> Warehouse:
    """--db, else $RESONANZ_DB, else the config's warehouse, else ./resonanz.duckdb.

    --db and $RESONANZ_DB take a file path or a `ducklake:` catalog (docs/scale.md).
    """
    if getattr(args, "db", None):
        return as_warehouse(args.db)
    if os.environ.get(ENV_DB):
        return as_warehouse(os.environ[ENV_DB])
    if config is not None:
        return config.db
    return Warehouse.file(DEFAULT_DB)


def optional_config(args: argparse.Namespace) -> Config | None:
    """The config if one is named or ./resonanz.toml exists, else None."""
    if getattr(args, "config", None) or os.environ.get("RESONANZ_CONFIG") or Path("resonanz.toml").exists():
        return config_from(args)
    return None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")

"""Shared pytest fixtures: ../shared data, temporary databases, Prefect harness."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from demo.server import DemoWeb
from resonanz.commands.demo_run import demo_config_text

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RESONANZ_SHARED", ROOT.parent / "shared"))

# Tests never reach the network (127.0.0.1 only) and never download models.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder with evaluation data; skips the test when it is absent."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"../shared not available at {SHARED}")
    return SHARED


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """Path of a fresh (not yet created) DuckDB file."""
    return tmp_path / "resonanz.duckdb"


@pytest.fixture(scope="module")
def demo_web() -> Iterator[DemoWeb]:
    """The bundled demo blogosphere on ephemeral 127.0.0.1 ports (one per test module: tests may publish)."""
    with DemoWeb(base_port=0) as web:
        yield web


def write_demo_config(web: DemoWeb, folder: Path, **overrides: dict) -> Path:
    """A config for `web` (the example config's sources) with a database in `folder`; sections overridden.

    Tests use fast crawl settings: no AutoThrottle, no delay, no retries.
    """
    data = tomllib.loads(demo_config_text(web.sites))
    data["resonanz"].update(database=str(folder / "resonanz.duckdb"), data_dir=str(folder / "work"))
    data["crawl"].update(autothrottle=False, download_delay=0.0, retries=0, timeout_s=10)
    for section, values in overrides.items():
        if isinstance(values, dict) and isinstance(data.get(section), dict):
            data[section].update(values)
        else:
            data[section] = values
    path = folder / "resonanz.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory):
    """One Prefect test harness (temporary server + SQLite) for the whole session."""
    from flows.prefect_env import configure_prefect

    configure_prefect(tmp_path_factory.mktemp("prefect-home"))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield

"""Shared pytest fixtures: ../shared data, temporary databases, Prefect harness."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory):
    """One Prefect test harness (temporary server + SQLite) for the whole session."""
    from flows.prefect_env import configure_prefect

    configure_prefect(tmp_path_factory.mktemp("prefect-home"))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield

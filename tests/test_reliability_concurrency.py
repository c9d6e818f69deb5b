"""Concurrency: the app reads while a pipeline writes; of two runs started at once one runs, one stops cleanly.

DuckDB lets one process write and then no other open the file, so writers keep transactions short
and readers open read-only per query, retrying while the file is locked (warehouse/db.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.insight_db import copy_db, shared_insight_db
from httpserver import make_server  # noqa: F401
from reliability import ROOT, ResonanzProcess, prefect_env, rss, wait_until, write_config
from streamlit.testing.v1 import AppTest

from flows.lock import run_lock
from warehouse.db import query

PAGES = ("overview", "crowd", "feedback", "questions", "sources", "plan", "digest", "alerts", "runs")


def _problems(name: str, at: AppTest) -> list[str]:
    """Exceptions, and the app's 'database is busy' warning (a reader that gave up)."""
    return [f"{name}: {e.value}" for e in at.exception] + [
        f"{name}: {w.value}" for w in at.warning if "busy" in str(w.value)
    ]


def test_app_pages_render_while_a_pipeline_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, _ = shared_insight_db()
    db = copy_db(source, tmp_path / "app.duckdb")
    stop = tmp_path / "stop"
    monkeypatch.setenv("RESONANZ_DB", str(db))
    monkeypatch.delenv("RESONANZ_CONFIG", raising=False)
    code = (
        "import sys; sys.path.insert(0, 'tests'); from reliability import write_loop; "
        f"write_loop({str(db)!r}, {str(stop)!r})"
    )  # back-to-back runs, the worst case for readers
    writer = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    problems: list[str] = []
    slowest = 0.0
    try:
        assert writer.stdout is not None and writer.stdout.readline().startswith("round 1")  # it writes
        for name in PAGES * 2:  # with a cold data cache: every write changes the data version
            started = time.monotonic()
            at = AppTest.from_string(
                f"from ui.pages import {name}\n{name}.render()", default_timeout=60
            ).run()
            slowest = max(slowest, time.monotonic() - started)
            problems += _problems(name, at)
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        problems += _problems("app", app)
        stop.touch()
        rounds = 1 + writer.stdout.read().count("round")
        assert writer.wait(timeout=60) == 0
    finally:
        stop.touch()
        writer.kill()
    assert problems == []
    assert rounds >= 5, "the writer was starved"
    assert slowest < 30, f"a page took {slowest:.1f} s"
    assert query(db, "SELECT count(*) n FROM runs WHERE status = 'ok'")["n"][0] >= rounds


def test_two_runs_started_at_once(tmp_path: Path, make_server, prefect_harness) -> None:  # noqa: F811
    """One run collects; the other stops with the run-lock message (exit 3), first, and writes nothing."""
    server = make_server()
    items = [(f"/p/{i}/", f"Post {i}", f"Text of post {i}.") for i in range(5)]
    feed = server.slow("/feed.xml", 4.0, rss(server.base_url, items), content_type="application/rss+xml")
    config = write_config(tmp_path, feeds=[{"id": "slow", "url": feed, "full_text": "never"}])
    db = tmp_path / "resonanz.duckdb"
    args = ["run", "--no-enrich", "--config", str(config)]
    with (
        ResonanzProcess(args, prefect_env(tmp_path)) as one,
        ResonanzProcess(args, prefect_env(tmp_path)) as two,
    ):
        first = wait_until(
            lambda: next((p for p in (one, two) if p.proc.poll() is not None), None),
            120,
            "one of the runs to end",
        )
        other = two if first is one else one
        assert first.finish(5) == 3, first.output
        assert "another Resonanz run is in progress" in first.output and '"pid"' in first.output  # the holder
        assert other.finish(120) == 0, other.output
    assert query(db, "SELECT status FROM runs")["status"].tolist() == ["ok"]  # the second never started one
    assert query(db, "SELECT count(*) n FROM documents")["n"][0] == len(items)
    assert len(server.requests_for("/feed.xml")) == 1
    with run_lock(db):  # released
        pass


def test_a_run_while_one_holds_the_lock_stops_before_starting_prefect(tmp_path: Path) -> None:
    config = write_config(tmp_path, feeds=[{"id": "x", "url": "http://127.0.0.1:9/feed.xml"}])
    db = tmp_path / "resonanz.duckdb"
    env = {**prefect_env(tmp_path), "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # no Prefect reachable
    with run_lock(db), ResonanzProcess(["run", "--config", str(config)], env) as run:
        assert run.finish(60) == 3
    assert f"another Resonanz run is in progress on {db}" in run.output and str(os.getpid()) in run.output
    assert not db.exists()  # nothing written

"""Run history and health: runs_history, failing_sources, the after-run upkeep and `resonanz health`."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from crawlers.records import FetchOutcome
from flows.maintenance import after_run
from resonanz.cli import main
from resonanz.config import parse_config
from warehouse.health import failing_sources, run_sources, runs_history
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.runs import finish_run, start_run

SOURCES = [
    SourceSpec("good", "Good blog", "feed", "http://127.0.0.1:9/good"),
    SourceSpec("flaky", "Flaky blog", "feed", "http://127.0.0.1:9/flaky"),
    SourceSpec("dead", "Dead blog", "feed", "http://127.0.0.1:9/dead"),
]


def _runs(db: Path, n: int) -> list[str]:
    """N runs: 'good' always ok, 'flaky' fails in the last two, 'dead' fails from the start."""
    sync_sources(db, SOURCES)
    ids = []
    for i in range(n):
        run = start_run(db)
        ingest_outcome(db, FetchOutcome("good", "u", "ok", 200, pages=1, elapsed_s=0.25), run)
        flaky_fails = i >= n - 2
        ingest_outcome(
            db,
            FetchOutcome(
                "flaky",
                "u",
                "error" if flaky_fails else "ok",
                503 if flaky_fails else 200,
                error="HTTP 503" if flaky_fails else None,
                elapsed_s=0.01,
            ),
            run,
        )
        ingest_outcome(
            db, FetchOutcome("dead", "u", "error", 410, error="HTTP 410 Gone", elapsed_s=0.01), run
        )
        finish_run(db, run, "partial", {"run": i})
        ids.append(run)
    return ids


def test_failing_sources_flags_streaks_at_the_threshold(tmp_db: Path):
    _runs(tmp_db, 4)
    flagged = failing_sources(tmp_db, threshold=3)
    assert flagged["source_id"].tolist() == ["dead"]
    row = flagged.iloc[0]
    assert (row["consecutive_failures"], row["last_error"]) == (4, "HTTP 410 Gone")
    assert failing_sources(tmp_db, threshold=2)["source_id"].tolist() == ["dead", "flaky"]
    flaky = failing_sources(tmp_db, threshold=2).set_index("source_id").loc["flaky"]
    assert flaky["failing_since"] > flagged.iloc[0]["failing_since"]  # the streak began two runs ago


def test_runs_history_sums_fetch_log_per_run(tmp_db: Path):
    ids = _runs(tmp_db, 3)
    history = runs_history(tmp_db, limit=2)
    assert history["run_id"].tolist() == ids[::-1][:2]
    newest = history.iloc[0]
    assert (newest["sources"], newest["failed_sources"], list(newest["failed"])) == (3, 2, ["dead", "flaky"])
    assert newest["fetch_s"] == pytest.approx(0.27)
    assert newest["status"] == "partial" and newest["duration_s"] >= 0
    detail = run_sources(tmp_db, ids[-1])
    assert detail["source_id"].tolist() == ["dead", "flaky", "good"]
    assert detail.set_index("source_id").loc["good", "elapsed_s"] == pytest.approx(0.25)


def test_after_run_purges_and_reports_failing_sources(tmp_db: Path, caplog: pytest.LogCaptureFixture):
    _runs(tmp_db, 3)
    cfg = parse_config("[operations]\nfailure_threshold = 3\n[privacy]\nretention_days = 30\n", "c.toml")
    with caplog.at_level(logging.WARNING, logger="flows.maintenance"):
        result = after_run(cfg, tmp_db)
    assert result["failing_sources"] == ["dead"]
    assert result["retention"]["days"] == 30 and result["retention"]["documents"] == 0
    assert "source dead has failed 3 runs in a row" in caplog.text
    assert "retention" not in after_run(parse_config("", "c.toml"), tmp_db)


def test_health_cli(tmp_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    _runs(tmp_db, 3)
    assert main(["health", "--db", str(tmp_db), "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert (
        "last 1 run:" in out and "3 sources (2 failed)" in out and re.search(r" CES?T ", out)
    )  # Europe/Berlin
    assert "✗ dead" in out and "3 in a row" in out
    assert main(["health", "--db", str(tmp_db), "--check"]) == 1
    capsys.readouterr()
    config = tmp_path / "resonanz.toml"
    config.write_text("[operations]\nfailure_threshold = 5\n", encoding="utf-8")
    assert main(["health", "--db", str(tmp_db), "--config", str(config), "--check", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["threshold"], data["failing_sources"], len(data["runs"])) == (5, [], 3)
    assert data["runs"][0]["failed"] == ["dead", "flaky"] and data["runs"][0]["error"] is None
    assert main(["health", "--db", str(tmp_path / "missing.duckdb")]) == 1
    assert "no Resonanz database" in capsys.readouterr().err

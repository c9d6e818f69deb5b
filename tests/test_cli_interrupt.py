"""Interrupts: Ctrl-C (SIGINT to the process group) and SIGTERM stop `resonanz run` within 5 s, cleanly.

`resonanz run` subprocesses on the demo web without PREFECT_API_URL, so each starts its temporary
Prefect server (which must survive the Ctrl-C long enough for the run to report, and then go). The
run is interrupted during collection (SIGINT), again during collection (SIGTERM to the process only,
as a service manager does) and during enrichment (SIGINT); the last run completes with the documents
and results of an uninterrupted run. One module fixture does the runs; the tests assert on what it saw.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest
from reliability import ResonanzProcess, demo_subset_config

from flows.interrupt import MESSAGE
from flows.lock import run_lock
from warehouse.db import query

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
TASKS = ("language", "sentiment", "questions", "embedding", "topics")
STOP_WITHIN_S = 5.0


RESULTS = {
    "documents": "SELECT doc_id, canonical_url, kind, content_hash FROM documents",
    "language": "SELECT doc_id, lang FROM doc_language",
    "sentiment": "SELECT doc_id, label FROM doc_sentiment",
    "topics": "SELECT doc_id, topic FROM doc_topics WHERE assigned",
    "questions": "SELECT doc_id, idx, question FROM doc_questions",
}


def _results(db: Path) -> dict[str, set[tuple]]:
    """Documents and the enrichment results stored for them (labels, not scores)."""
    return {key: set(query(db, sql).itertuples(index=False, name=None)) for key, sql in RESULTS.items()}


def _enriched(db: Path) -> dict[str, int]:
    rows = query(db, "SELECT task, count(*) n FROM nlp_status GROUP BY task")
    return {task: int(n) for task, n in rows.itertuples(index=False, name=None)}


def _interrupt(run: ResonanzProcess, sig: int, group: bool) -> dict[str, object]:
    """Send `sig` (to the process group, as a terminal's Ctrl-C does, or to the process) and time the exit."""
    children = psutil.Process(run.pid).children(recursive=True)
    sent = time.monotonic()
    (os.killpg if group else os.kill)(run.pid, sig)
    code = run.finish(60)
    took = time.monotonic() - sent

    def alive(p: psutil.Process) -> bool:
        try:
            return p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 10
    while any(alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    return {
        "exit": code,
        "seconds": took,
        "output": run.output,
        "children_left": [" ".join(c.cmdline()[:6]) for c in children if alive(c)],
    }


@pytest.fixture(scope="module")
def interrupts(demo_web, tmp_path_factory, prefect_harness) -> dict:
    from flows.pipeline import run_pipeline
    from nlp.tiny import build_tiny_bert

    root = tmp_path_factory.mktemp("interrupt")
    tiny = str(build_tiny_bert(root / "tiny", ["negative", "neutral", "positive"]))
    reference = run_pipeline(str(demo_subset_config(demo_web, root / "reference", tiny)))
    config = demo_subset_config(demo_web, root / "interrupted", tiny)
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(root / "prefect-home"), PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    args = ["run", "--config", str(config)]
    seen: dict = {"reference": reference, "db": root / "interrupted" / "resonanz.duckdb"}
    with ResonanzProcess(args, env) as run:  # Ctrl-C while collecting: one source stored, others in flight
        run.wait_for(r"flows\.collect: \S+: ok \(\+\d+ new", 120)
        seen["collect_sigint"] = _interrupt(run, signal.SIGINT, group=True)
    with ResonanzProcess(args, env) as run:  # SIGTERM to the process alone while the crawl runs
        run.wait_for(r"flows\.collect: \S+: ok \(\+\d+ new", 120)
        seen["collect_sigterm"] = _interrupt(run, signal.SIGTERM, group=False)
    with ResonanzProcess(args, env) as run:  # Ctrl-C during enrichment, after its first pass was written
        run.wait_for(r"enrich: language\+sentiment\+questions\+embedding — \d+ documents", 180)
        seen["enrich_sigint"] = _interrupt(run, signal.SIGINT, group=True)
    with ResonanzProcess(args, env) as run:
        seen["final_exit"] = run.finish(240)
        seen["final_output"] = run.output
    return seen


@pytest.mark.parametrize("case", ["collect_sigint", "collect_sigterm", "enrich_sigint"])
def test_an_interrupt_stops_the_run_within_seconds_without_traceback(interrupts, case: str) -> None:
    seen = interrupts[case]
    print(f"{case}: exit {seen['exit']} after {seen['seconds']:.2f} s")  # the figure quoted in reports (-s)
    assert seen["exit"] == 130, seen["output"]
    assert seen["seconds"] <= STOP_WITHIN_S, f"{seen['seconds']:.1f} s:\n{seen['output']}"
    assert seen["output"].splitlines()[-1] == MESSAGE, seen["output"]
    assert "Traceback" not in seen["output"] and "ConnectError" not in seen["output"], seen["output"]
    assert not seen["children_left"], seen["children_left"]  # crawl child, temporary Prefect server


def test_interrupted_runs_are_recorded_and_the_lock_is_free(interrupts) -> None:
    db = interrupts["db"]
    runs = query(db, "SELECT status, error FROM runs ORDER BY started_at")
    assert runs["status"].tolist() == ["interrupted", "interrupted", "interrupted", "ok"]
    assert runs["error"][:3].tolist() == [
        "interrupted by SIGINT",
        "interrupted by SIGTERM",
        "interrupted by SIGINT",
    ]
    with run_lock(db):
        pass


def test_the_rerun_completes_with_the_documents_and_results_of_an_uninterrupted_run(interrupts) -> None:
    assert interrupts["final_exit"] == 0, interrupts["final_output"]
    reference = interrupts["reference"]
    assert reference.status == "ok"
    expected, got = _results(Path(reference.db)), _results(interrupts["db"])
    assert len(expected["documents"]) > 300
    assert _enriched(interrupts["db"]) == dict.fromkeys(TASKS, len(expected["documents"]))
    for key in RESULTS:
        assert got[key] == expected[key], f"{key}: {len(got[key] ^ expected[key])} rows differ"

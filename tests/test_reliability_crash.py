"""Crash safety: `resonanz run` on the demo web killed with SIGKILL during collect, the crawl and enrichment.

The next run completes with the documents of a clean run, nothing twice, enrichment resumed where it
stopped, the abandoned runs closed as failed and the run lock free. One module fixture does the
kills; the tests assert on what it saw.
"""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest
from httpserver import make_server  # noqa: F401
from reliability import ResonanzProcess, demo_subset_config, prefect_env, wait_until, write_config

from flows.collect import CRAWL_PENDING
from flows.lock import run_lock
from warehouse.db import query

pytestmark = pytest.mark.slow
TASKS = ("language", "sentiment", "questions", "embedding", "topics")
PAGES = Path(__file__).parent / "fixtures" / "pages"
POST = "/2026/10/e-rechnung-empfang/"


def _documents(db: Path) -> set[tuple[str, str]]:
    return set(query(db, "SELECT canonical_url, kind FROM documents").itertuples(index=False, name=None))


def _enriched(db: Path) -> dict[str, int]:
    rows = query(db, "SELECT task, count(*) n FROM nlp_status GROUP BY task")
    return {task: int(n) for task, n in rows.itertuples(index=False, name=None)}


def _items_written(work: Path) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in (work / "crawl").glob("crawl-*/items.jsonl"))


def _crawl_children(pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [c for c in children if "crawlers.runner" in " ".join(_cmdline(c))]


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return []


def _gone(processes: list[psutil.Process]) -> bool:
    def dead(p: psutil.Process) -> bool:
        try:
            return p.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    return all(dead(p) for p in processes)


@pytest.fixture(scope="module")
def crashes(demo_web, tmp_path_factory, prefect_harness) -> dict:
    from flows.pipeline import run_pipeline
    from nlp.tiny import build_tiny_bert

    root = tmp_path_factory.mktemp("crash")
    tiny = str(build_tiny_bert(root / "tiny", ["negative", "neutral", "positive"]))
    reference = run_pipeline(str(demo_subset_config(demo_web, root / "reference", tiny)), enrich=False)
    config = demo_subset_config(demo_web, root / "crashed", tiny)
    db, work = root / "crashed" / "resonanz.duckdb", root / "crashed" / "work"
    env = {**prefect_env(root), "OMP_NUM_THREADS": "1"}  # two cores: no torch threads fighting pytest
    args = ["run", "--config", str(config)]
    seen: dict = {"reference": reference, "db": db, "reference_db": Path(reference.db)}

    with ResonanzProcess(args, env) as run:  # 1: collect, right after the first source was stored
        run.wait_for(r"flows\.collect: \S+: ok \(\+\d+ new", 90)
        run.kill()
    seen["after_collect"] = len(_documents(db))

    with ResonanzProcess(args, env) as run:  # 2: the crawl child is writing pages
        wait_until(lambda: _items_written(work) >= 30, 90, "the crawl to write 30 pages")
        children = _crawl_children(run.pid)
        run.kill()
        seen["crawl_children"] = len(children)
        seen["crawl_children_gone"] = bool(wait_until(lambda: _gone(children), 10, "the crawl child to end"))
    seen["pending_after_crawl_kill"] = (work / CRAWL_PENDING).exists()

    with ResonanzProcess(args, env) as run:  # 3: enrichment, after its first pass was written
        run.wait_for(r"enrich: language\+sentiment\+questions\+embedding — \d+ documents", 120)
        run.kill()
    seen["enriched_at_kill"] = _enriched(db)
    seen["documents_at_kill"] = len(_documents(db))

    with ResonanzProcess(args, env) as run:  # 4: to the end
        seen["exit"] = run.finish(180)
        seen["output"] = run.output
    return seen


def test_killed_runs_leave_no_crawl_process_and_an_interrupted_crawl_is_redone(crashes) -> None:
    assert crashes["after_collect"] > 0
    assert crashes["crawl_children"] >= 1 and crashes["crawl_children_gone"]
    assert crashes["pending_after_crawl_kill"]  # the next crawl extracts every page again


def test_rerun_completes_with_the_documents_of_a_clean_run(crashes) -> None:
    assert crashes["exit"] == 0, crashes["output"]
    db = crashes["db"]
    reference = _documents(crashes["reference_db"])
    assert crashes["reference"].status == "ok" and len(reference) > 300
    assert _documents(db) == reference
    counts = query(db, "SELECT count(*) n, count(DISTINCT canonical_url) u FROM documents").iloc[0]
    assert counts["n"] == counts["u"] == len(reference)
    assert query(db, "SELECT count(*) n FROM document_versions")["n"][0] == 0  # nothing stored as an edit


def test_every_document_is_enriched_once_per_task_and_enrichment_resumed(crashes) -> None:
    db = crashes["db"]
    total = len(_documents(db))
    assert _enriched(db) == dict.fromkeys(TASKS, total)
    for table in ("doc_language", "doc_sentiment", "doc_embeddings"):
        assert (
            query(db, f"SELECT count(*) n, count(DISTINCT doc_id) d FROM {table}").iloc[0].tolist()
            == [total] * 2
        )
    assert query(db, "SELECT count(DISTINCT doc_id) n FROM doc_topics")["n"][0] == total
    at_kill = crashes["enriched_at_kill"]
    assert (
        crashes["documents_at_kill"] == total and at_kill["language"] == total
    )  # the first pass was written
    final = query(db, "SELECT summary FROM runs WHERE status <> 'failed' ORDER BY started_at DESC LIMIT 1")
    enriched = json.loads(final["summary"][0])["enrich"]["enriched"]
    assert enriched == {task: total - at_kill.get(task, 0) for task in TASKS}  # only what was missing


def test_abandoned_runs_are_closed_and_the_lock_is_free(crashes) -> None:
    db = crashes["db"]
    runs = query(db, "SELECT status, error FROM runs ORDER BY started_at")
    assert runs["status"].tolist() == ["failed", "failed", "failed", "ok"]
    assert runs["error"][:3].str.startswith("abandoned").all()
    with run_lock(db):
        pass
    assert not (db.parent / "work" / CRAWL_PENDING).exists()


def test_a_crawl_that_never_reached_the_warehouse_is_extracted_again(
    tmp_path: Path,
    make_server,  # noqa: F811
    prefect_harness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page re-crawled (new comment, now in the HTTP cache) by a run that died before storing it is not lost.

    Without the pending-crawl marker the next run gets 304 for the cached page, knows the post and
    skips the page, so the new comment would never arrive.
    """
    import flows.collect
    from flows.pipeline import run_pipeline

    page = (PAGES / "wordpress.html").read_text(encoding="utf-8")
    start = page.index('<li id="comment-7"')
    first = page[:start] + page[page.index("</li>", start) + len("</li>") :]
    server = make_server()
    server.add("/", '<html><body><a href="/2026/10/e-rechnung-empfang/">E-Rechnung</a></body></html>')
    server.add(POST, first, etag='"v1"')
    config = write_config(
        tmp_path, sites=[{"id": "blog", "start_urls": [server.url("/")]}], crawl={"revisit_days": 0}
    )  # re-check old posts for comments every run

    def comments() -> set[str]:
        rows = query(
            tmp_path / "resonanz.duckdb", "SELECT canonical_url FROM documents WHERE kind = 'comment'"
        )
        return {url.rsplit("#", 1)[1] for url in rows["canonical_url"]}

    assert run_pipeline(str(config), enrich=False).status == "ok"
    assert comments() == {"comment-5", "comment-6"}
    server.add(POST, page, etag='"v2"')  # a new comment
    real_ingest = flows.collect.ingest_outcome

    def dies_before_storing_the_crawl(db, outcome, *args, **kwargs):
        if outcome.source_id == "blog":
            raise KeyboardInterrupt("killed")  # what a kill leaves: the crawl cached, nothing stored
        return real_ingest(db, outcome, *args, **kwargs)

    monkeypatch.setattr(flows.collect, "ingest_outcome", dies_before_storing_the_crawl)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(str(config), enrich=False)
    monkeypatch.setattr(flows.collect, "ingest_outcome", real_ingest)
    assert (tmp_path / "work" / CRAWL_PENDING).exists()
    server.clear_log()
    assert run_pipeline(str(config), enrich=False).status == "ok"
    assert server.requests_for(POST)[-1].headers.get("if-none-match") == '"v2"'  # answered 304 from the cache
    assert comments() == {"comment-5", "comment-6", "comment-7"}
    assert not (tmp_path / "work" / CRAWL_PENDING).exists()

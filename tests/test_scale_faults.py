"""Scale-out faults (issue 14): runs on two "hosts" started at once, a crawler killed with -9 mid-crawl.

Two hosts are emulated by two processes with different TMPDIRs: a DuckLake with a PostgreSQL catalog
keeps its host-local run-lock file there, so only the Redis lock stands between them, as between hosts.
Services (redis-server, PostgreSQL for the catalog) come from the session fixtures.
"""

from __future__ import annotations

import time
from pathlib import Path

import psutil
from httpserver import make_server  # noqa: F401
from reliability import ResonanzProcess, prefect_env, rss, wait_until, write_config

from warehouse.db import query

DEMO_SITES = ("mittelstand-digital-web", "datenschutz-praxis")


def _lake_sections(lake, redis_url: str, **scale) -> dict:
    return {
        "warehouse": {"backend": "ducklake", "catalog": lake.location},
        "scale": {"redis_url": redis_url, **scale},
    }


def test_two_runs_started_at_once_on_two_hosts(
    tmp_path: Path,
    make_server,  # noqa: F811
    lake,
    redis_url: str,
    prefect_harness,
) -> None:
    """One run collects; the other stops with the run-lock message (exit 3) and writes nothing."""
    server = make_server()
    items = [(f"/p/{i}/", f"Post {i}", f"Text of post {i}.") for i in range(5)]
    feed = server.slow("/feed.xml", 4.0, rss(server.base_url, items), content_type="application/rss+xml")
    config = write_config(
        tmp_path, feeds=[{"id": "slow", "url": feed, "full_text": "never"}], **_lake_sections(lake, redis_url)
    )
    args = ["run", "--no-enrich", "--config", str(config)]
    hosts = []
    for name in ("host-a", "host-b"):
        (tmp_path / name).mkdir()
        hosts.append({**prefect_env(tmp_path / name), "TMPDIR": str(tmp_path / name)})
    with ResonanzProcess(args, hosts[0]) as one, ResonanzProcess(args, hosts[1]) as two:
        first = wait_until(
            lambda: next((p for p in (one, two) if p.proc.poll() is not None), None), 180, "one run to end"
        )
        other = two if first is one else one
        assert first.finish(5) == 3, first.output
        assert "another Resonanz run is in progress" in first.output and '"host"' in first.output
        assert other.finish(180) == 0, other.output
    assert query(lake, "SELECT status FROM runs")["status"].tolist() == ["ok"]
    docs = query(lake, "SELECT count(*) n, count(DISTINCT doc_id) d FROM documents")
    assert docs["n"][0] == docs["d"][0] == len(items)
    assert len(server.requests_for("/feed.xml")) == 1


def _crawler(work: Path, spec: str) -> psutil.Process | None:
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "crawlers.runner" in cmdline and any(str(work) in a and a.endswith(spec) for a in cmdline):
            return proc
    return None


def _stored(db) -> tuple[set[tuple[str, str]], int, int]:
    rows = query(db, "SELECT canonical_url, content_hash, doc_id FROM documents WHERE kind = 'post'")
    every = query(db, "SELECT count(*) n, count(DISTINCT doc_id) d FROM documents")
    return set(zip(rows.canonical_url, rows.content_hash, strict=True)), every["n"][0], every["d"][0]


def test_a_crawler_killed_mid_crawl_loses_nothing_after_the_rerun(
    tmp_path: Path, demo_web, lake, redis_url: str, prefect_harness
) -> None:
    """Two crawler processes share a frontier; kill -9 one mid-crawl: the run ends, the rerun completes."""
    import tomllib

    from resonanz.commands.demo_run import demo_config_text

    sites = [s for s in tomllib.loads(demo_config_text(demo_web.sites))["sites"] if s["id"] in DEMO_SITES]
    reference = write_config(tmp_path / "reference", sites=sites)
    env = prefect_env(tmp_path)
    with ResonanzProcess(["run", "--no-enrich", "--config", str(reference)], env) as run:
        assert run.finish(240) == 0, run.output
    expected, _, _ = _stored(tmp_path / "reference" / "resonanz.duckdb")
    assert len(expected) > 20

    crawl = {"download_delay": 0.2}  # a gap per host across both processes: the crawl lasts some seconds
    config = write_config(
        tmp_path / "shared", sites=sites, crawl=crawl, **_lake_sections(lake, redis_url, crawl_processes=2)
    )
    work = tmp_path / "shared" / "work"
    with ResonanzProcess(["run", "--no-enrich", "--config", str(config)], env) as run:
        victim = wait_until(lambda: _crawler(work, "spec-1.json"), 120, "the second crawler process")
        items = Path(victim.cmdline()[-1]).with_name("items-1.jsonl")
        wait_until(lambda: items.exists() and items.read_text().count("\n") >= 5, 120, "its first pages")
        assert _crawler(work, "spec-0.json") is not None  # the other one crawls on
        victim.kill()  # SIGKILL
        assert run.finish(240) == 0, run.output
    first, _, _ = _stored(lake)
    assert first and first <= expected  # what the first run stored is right, maybe not all of it
    time.sleep(0.5)
    with ResonanzProcess(["run", "--no-enrich", "--config", str(config)], env) as rerun:
        assert rerun.finish(240) == 0, rerun.output
    stored, rows, distinct = _stored(lake)
    assert stored == expected  # nothing lost
    assert rows == distinct  # no duplicate
    statuses = query(lake, "SELECT status FROM runs ORDER BY started_at")["status"].tolist()
    assert statuses[-1] == "ok", statuses

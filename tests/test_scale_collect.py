"""Sharded collection and the cross-host run lock (issue 14): unit checks, then runs of the real CLI.

The end-to-end tests start what they need (redis-server on a unix socket, a PostgreSQL cluster for the
DuckLake catalog) through the session fixtures and stop it; outside CI they skip when a binary is missing.
"""

from __future__ import annotations

import pytest

from flows.lock import REDIS_LOCK_TTL_S, RunLocked, redis_lock_key, redis_run_lock
from flows.plan import collect_plan
from flows.shard import shard_of, shard_plan
from resonanz.config import parse_config

CONFIG = """
[resonanz]
database = "r.duckdb"
data_dir = "work"
[scale]
redis_url = "unix:///tmp/redis.sock"
collect_shards = 3
"""


def _config(n: int = 12):
    feeds = "".join(f'[[feeds]]\nid = "feed-{i}"\nurl = "http://127.0.0.1:9/f{i}.xml"\n' for i in range(n))
    sites = "".join(
        f'[[sites]]\nid = "site-{i}"\nstart_urls = ["http://127.0.0.1:{9000 + i}/"]\n' for i in range(n)
    )
    return parse_config(CONFIG + feeds + sites, "/srv/resonanz/resonanz.toml")


def test_shards_split_the_sources_stably_and_keep_them_all_known() -> None:
    cfg = _config()
    plan = collect_plan(cfg)
    parts = [shard_plan(plan, k, 3, "round-1") for k in range(3)]
    feeds = [f.source_id for p in parts for f in p.feeds]
    sites = [s.source_id for p in parts for s in p.sites]
    assert sorted(feeds) == sorted(f.source_id for f in plan.feeds)  # each exactly once
    assert sorted(sites) == sorted(s.source_id for s in plan.sites)
    assert all(len(p.feeds) + len(p.sites) > 0 for p in parts)  # 24 sources: no shard is empty
    assert all(p.sources == plan.sources for p in parts)  # no shard retires another's sources
    for k, part in enumerate(parts):
        assert {shard_of(s.source_id, 3) for s in part.sites} <= {k}
        assert part.work_dir == plan.work_dir / f"shard-{k}"
        assert part.crawl.cache_dir == part.work_dir / "httpcache"
        assert part.crawl.frontier_key == f"resonanz:crawl:round-1:{k}"
        assert part.crawl.redis_url == "unix:///tmp/redis.sock"
    assert shard_plan(plan, 1, 3, "round-1") == parts[1]  # the same split on every host, every time


def test_redis_run_lock_is_exclusive_per_database_and_scope(redis_url: str, tmp_path) -> None:
    db, other = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    with redis_run_lock(db, redis_url) as key:
        with pytest.raises(RunLocked, match=r"another Resonanz run is in progress.*\"pid\""):
            with redis_run_lock(db, redis_url):
                pass
        with redis_run_lock(other, redis_url), redis_run_lock(db, redis_url, scope="shard-0-of-2"):
            pass  # another database, or one shard: locks of their own
        import redis

        ttl = redis.Redis.from_url(redis_url).ttl(key)
        assert 0 < ttl <= REDIS_LOCK_TTL_S  # a killed holder's lock expires by itself
    with redis_run_lock(db, redis_url):  # released
        pass
    assert key == redis_lock_key(db)


def test_a_run_without_its_redis_stops_before_writing(tmp_path) -> None:
    from reliability import ResonanzProcess, prefect_env, write_config

    missing = f"unix://{tmp_path}/no-redis.sock"
    config = write_config(
        tmp_path, feeds=[{"id": "x", "url": "http://127.0.0.1:9/feed.xml"}], scale={"redis_url": missing}
    )
    with ResonanzProcess(["run", "--no-enrich", "--config", str(config)], prefect_env(tmp_path)) as run:
        assert run.finish(120) == 1
    assert f"resonanz: cannot reach Redis at {missing} ([scale] redis_url) for the run lock" in run.output
    assert "Traceback" not in run.output
    assert not (tmp_path / "resonanz.duckdb").exists()  # nothing written

"""Scope and politeness through the pipeline: configured sites only, robots.txt and Crawl-delay obeyed,
the User-Agent with its contact on every request, at most `concurrency_per_domain` requests per host:port.
"""

from __future__ import annotations

import itertools

import pytest
from httpserver import LocalServer
from reliability import rss, write_config

UA = "ResonanzTest/1.0 (+https://example.org/bot; contact: ops@example.org)"
CRAWL_DELAY = 1.0


def _page(text: str, links: list[str] = ()) -> str:
    anchors = " ".join(f'<a href="{href}">{href}</a>' for href in links)
    return f"<html><body><p>{text}</p>{anchors}</body></html>"


@pytest.fixture(scope="module")
def polite(tmp_path_factory, prefect_harness) -> dict:
    from flows.pipeline import run_pipeline

    servers = {name: LocalServer() for name in ("site", "other", "busy", "feeds")}
    site, other, busy, feeds = servers.values()
    try:
        site.add(
            "/robots.txt",
            f"User-agent: *\nDisallow: /private/\nCrawl-delay: {CRAWL_DELAY:g}\n",
            content_type="text/plain",
        )
        pages = [f"/p/{i}/" for i in range(5)]
        offsite = [other.url("/linked/"), f"http://localhost:{site.port}/same-server-other-name/"]
        site.add("/", _page("home", [*pages, "/private/secret/", *offsite]))
        for path in [*pages, "/private/secret/"]:
            site.add(path, _page(f"page {path}"))
        busy_pages = [f"/b/{i}/" for i in range(12)]
        busy.add("/", _page("busy home", busy_pages))
        for path in busy_pages:
            busy.slow(path, 0.3, _page(f"slow page {path}"))
        feed_urls = {
            f"feed-{i}": feeds.slow(
                f"/{i}/feed.xml",
                0.3,
                rss(feeds.base_url, [(f"/{i}/a/", "A", "Text.")]),
                content_type="application/rss+xml",
            )
            for i in range(6)
        }
        config = write_config(
            tmp_path_factory.mktemp("polite"),
            crawl={"autothrottle": True, "concurrency_per_domain": 2, "timeout_s": 5},
            feeds=[{"id": sid, "url": url, "full_text": "never"} for sid, url in feed_urls.items()],
            sites=[
                {"id": "site", "start_urls": [site.url("/")]},
                {"id": "busy", "start_urls": [busy.url("/")]},
            ],
        )
        summary = run_pipeline(str(config), enrich=False)
    finally:
        for server in servers.values():
            server.close()
    return {"summary": summary, **servers}


def test_the_crawl_never_leaves_the_configured_site(polite) -> None:
    assert polite["summary"].status == "ok"
    assert polite["other"].log == []  # another port is another site
    hosts = {entry.headers.get("host") for entry in polite["site"].log}
    assert hosts == {polite["site"].netloc}  # a link to the same server under another name is not followed


def test_robots_txt_and_its_crawl_delay_are_obeyed(polite) -> None:
    site = polite["site"]
    assert site.requests_for("/robots.txt")
    assert not [p for p in site.paths() if p.startswith("/private/")]
    pages = sorted(e.at for e in site.log if e.path != "/robots.txt")  # pages and the sitemap
    assert {"/", "/p/4/", "/sitemap.xml"} <= set(site.paths()) and len(pages) == 7
    gaps = [b - a for a, b in itertools.pairwise(pages[1:])]  # once robots.txt was read
    assert min(gaps) >= 0.95 * CRAWL_DELAY, gaps


def test_every_request_carries_the_user_agent_with_contact(polite) -> None:
    agents = {e.headers.get("user-agent") for name in ("site", "busy", "feeds") for e in polite[name].log}
    assert agents == {UA} and "contact:" in UA


def test_requests_per_host_are_limited(polite) -> None:
    assert polite["busy"].max_in_flight == 2  # [crawl] concurrency_per_domain, reached and never exceeded
    assert polite["feeds"].max_in_flight <= 2  # six feeds on one host share the same limit
    assert len(polite["feeds"].log) == 6

"""crawl_sites end to end against local servers: scope per port, robots.txt, comments, incremental runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from httpserver import LocalServer, make_server  # noqa: F401

from crawlers.crawl import CrawlSettings, SiteSpec, crawl_sites

PAGES = Path(__file__).parent / "fixtures" / "pages"
UA = "ResonanzTest/1.0 (+https://example.org/bot; tests)"
LASTMOD = "Mon, 05 Oct 2026 10:00:00 GMT"


def settings(tmp_path: Path, **overrides) -> CrawlSettings:
    values = {
        "user_agent": UA,
        "download_delay": 0.0,
        "autothrottle": False,
        "concurrency_per_domain": 4,
        "cache_dir": tmp_path / "cache",
        "revisit_days": 3650,
        "extract_workers": 1,
    }
    values.update(overrides)
    return CrawlSettings(**values)


def crawl_one(spec: SiteSpec, tmp_path: Path, timeout_s: float, **overrides):
    """crawl_sites on one site with the test settings (plus overrides); its outcome."""
    [outcome] = crawl_sites(
        [spec],
        work_dir=tmp_path,
        known_urls=(),
        settings=settings(tmp_path, **overrides),
        timeout_s=timeout_s,
    )
    return outcome


def slow_site(server: LocalServer, source_id: str, pages: int, delay_s: float) -> SiteSpec:
    """A home page linking `pages` pages under /s/, each answered after `delay_s`; its SiteSpec."""
    links = " ".join(f'<a href="/s/{i}/">{i}</a>' for i in range(pages))
    server.add("/", f"<html><body>{links}</body></html>")
    for i in range(pages):
        server.slow(f"/s/{i}/", delay_s, f"<html><body><p>slow page {i}</p></body></html>")
    return SiteSpec(source_id, [server.url("/")], [server.netloc], max_pages=50, max_depth=2)


def blog_a(server: LocalServer, elsewhere: str) -> None:
    """A WordPress-like blog with a handmade archive page; robots.txt forbids /private/."""
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.add(
        "/",
        f"""<html><head><meta property="og:type" content="website">
        <link rel="alternate" type="application/rss+xml" href="/feed/"></head><body>
        <a href="/2026/10/e-rechnung-empfang/?utm_source=home">E-Rechnung</a> <a href="/private/secret/">x</a>
        <a href="/archiv/handmade.html#top">Archiv</a> <a href="{elsewhere}">other port</a>
        <a href="https://example.com/outside">outside</a> <a href="/missing/">gone</a></body></html>""",
        etag='"home"',
    )
    server.add("/2026/10/e-rechnung-empfang/", (PAGES / "wordpress.html").read_bytes(), last_modified=LASTMOD)
    server.add(
        "/archiv/handmade.html", (PAGES / "handmade.html").read_bytes(), content_type="text/html", etag='"hm"'
    )
    server.add("/private/secret/", "<html><body>secret</body></html>")
    server.add(
        "/feed/",
        f"""<?xml version="1.0"?><rss version="2.0"><channel><title>A</title>
        <item><title>E-Rechnung</title><link>{server.url("/2026/10/e-rechnung-empfang/")}</link></item>
        </channel></rss>""",
        content_type="application/rss+xml",
        etag='"feed"',
    )


def blog_b(server: LocalServer) -> None:
    """A Ghost-like and a Medium-like post, found only through the sitemap named in robots.txt."""
    server.add(
        "/robots.txt",
        f"User-agent: *\nAllow: /\nSitemap: {server.url('/sitemap.xml')}\n",
        content_type="text/plain",
    )
    server.add("/", "<html><head><title>B</title></head><body><p>Welcome</p></body></html>", etag='"b"')
    server.add(
        "/sitemap.xml",
        f"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <url><loc>{server.url("/ai-humans/")}</loc></url><url><loc>{server.url("/@tomasz/pricing")}</loc></url>
        </urlset>""",
        content_type="application/xml",
        etag='"sm"',
    )
    server.add("/ai-humans/", (PAGES / "ghost.html").read_bytes(), etag='"g"')
    server.add("/@tomasz/pricing", (PAGES / "medium.html").read_bytes(), etag='"m"')


def summary(outcome) -> tuple:
    kinds = [d.kind for d in outcome.documents]
    return outcome.status, kinds.count("post"), kinds.count("comment")


@pytest.fixture
def two_blogs(make_server) -> tuple[LocalServer, LocalServer]:  # noqa: F811
    a, b = make_server(), make_server()
    blog_a(a, elsewhere=b.url("/only-linked-from-a/"))
    blog_b(b)
    return a, b


def test_crawl_scope_robots_comments_and_incremental(tmp_path: Path, two_blogs) -> None:
    a, b = two_blogs
    sites = [
        SiteSpec("blog-a", [a.url("/")], [a.netloc], max_pages=20, max_depth=3),
        SiteSpec("blog-b", [b.url("/")], [b.netloc], max_pages=20, max_depth=3, own=True),
        SiteSpec("dead", ["http://127.0.0.1:9/"], ["127.0.0.1:9"], max_pages=5, max_depth=1),
    ]
    first = crawl_sites(sites, work_dir=tmp_path, known_urls=(), settings=settings(tmp_path), timeout_s=90)
    out_a, out_b, dead = first
    assert summary(out_a) == ("ok", 2, 5)
    assert summary(out_b) == ("ok", 2, 4)
    assert (dead.status, dead.documents) == ("error", [])
    assert dead.error.startswith("http://127.0.0.1:9/: ") and "refused" in dead.error.lower()
    assert out_a.http_status == 200 and out_a.meta["robots_blocked"] == 1 and out_a.meta["broken_links"] >= 1
    assert "/missing/" in a.paths()  # a dead link is counted, not an error of the site

    assert not any(p.startswith("/private/") for p in a.paths())  # robots.txt obeyed
    assert "/only-linked-from-a/" not in b.paths()  # another port is another site
    assert {e.headers["user-agent"] for e in a.log} == {UA}
    post = next(d for d in out_a.documents if d.kind == "post" and "e-rechnung" in d.url)
    assert post.canonical_url == a.url("/2026/10/e-rechnung-empfang/")
    assert (post.title, post.author, post.via, post.own) == (
        "E-Rechnung im Mittelstand: ein Jahr Empfangspflicht",
        "Jana Keller",
        "crawl",
        False,
    )
    comments_b = [d for d in out_b.documents if d.kind == "comment"]
    assert {c.parent_url for c in comments_b} == {b.url("/ai-humans/"), b.url("/@tomasz/pricing")}
    assert all(c.own and c.via == "comment-page" and c.author and c.published_at for c in comments_b)

    # second run, everything known: pages revalidated with conditional GET (304), nothing extracted
    known = {d.canonical_url for o in first for d in o.documents}
    a.clear_log()
    second = crawl_sites(
        sites[:2], work_dir=tmp_path, known_urls=known, settings=settings(tmp_path), timeout_s=90
    )
    assert [summary(o) for o in second] == [("not_modified", 0, 0), ("not_modified", 0, 0)]
    assert all(o.meta["extracted"] == 0 for o in second)
    post_requests = a.requests_for("/2026/10/e-rechnung-empfang/")
    assert post_requests and post_requests[-1].headers.get("if-modified-since") == LASTMOD

    # the warehouse lost everything (crash before ingest): cached pages are extracted again
    third = crawl_sites(
        sites[:1], work_dir=tmp_path, known_urls=(), settings=settings(tmp_path), timeout_s=90
    )
    assert summary(third[0]) == ("ok", 2, 5)

    # known articles older than revisit_days are not requested at all
    a.clear_log()
    crawl_sites(
        sites[:1],
        work_dir=tmp_path,
        known_urls=known,
        settings=settings(tmp_path, revisit_days=1),
        timeout_s=90,
    )
    assert "/" in a.paths()
    assert "/2026/10/e-rechnung-empfang/" not in a.paths() and "/archiv/handmade.html" not in a.paths()


def test_page_budget_and_depth(tmp_path: Path, make_server) -> None:  # noqa: F811
    server = make_server()
    links = " ".join(f'<a href="/p/{i}/">{i}</a>' for i in range(30))
    server.add("/", f"<html><body>{links} <a href='/deep/1/'>deep</a></body></html>")
    for i in range(30):
        server.add(f"/p/{i}/", f"<html><body><p>page {i}</p></body></html>")
    server.add("/deep/1/", "<html><body><a href='/deep/2/'>next</a></body></html>")
    server.add("/deep/2/", "<html><body><a href='/deep/3/'>next</a></body></html>")
    budget = SiteSpec("budget", [server.url("/")], [server.netloc], max_pages=6, max_depth=5)
    [outcome] = crawl_sites(
        [budget], work_dir=tmp_path, known_urls=(), settings=settings(tmp_path), timeout_s=60
    )
    pages = [p for p in server.paths() if p.startswith(("/p/", "/deep/")) or p == "/"]
    assert len(pages) == 6 and outcome.meta["budget_exhausted"] > 0
    shallow = SiteSpec("shallow", [server.url("/")], [server.netloc], max_pages=100, max_depth=1)
    server.clear_log()
    crawl_sites(
        [shallow], work_dir=tmp_path / "2", known_urls=(), settings=settings(tmp_path / "2"), timeout_s=60
    )
    assert "/deep/1/" in server.paths() and "/deep/2/" not in server.paths()


def test_crawl_timeout_is_reported(tmp_path: Path, make_server) -> None:  # noqa: F811
    server = make_server()
    spec = slow_site(server, "slow", pages=20, delay_s=1.0)
    outcome = crawl_one(spec, tmp_path, timeout_s=6, concurrency_per_domain=1)
    assert outcome.status == "partial"
    assert "time limit" in outcome.error


def test_hostile_pages_are_recorded_and_the_rest_lands(tmp_path: Path, make_server) -> None:  # noqa: F811
    server = make_server()
    spec = SiteSpec("hostile", [server.hostile_site()], [server.netloc], max_pages=20, max_depth=2)
    outcome = crawl_one(spec, tmp_path, timeout_s=60, max_page_bytes=100_000)
    assert outcome.status == "partial"
    assert "requests failed" in outcome.error
    titles = {d.title for d in outcome.documents if d.kind == "post"}
    assert titles == {
        "E-Rechnung im Mittelstand: ein Jahr Empfangspflicht",
        "Why AI bookkeeping still needs humans",
    }
    ghost = next(d for d in outcome.documents if d.title and d.title.startswith("Why AI"))
    assert "Ask for the DPA annex – it should say so" in next(
        d.text for d in outcome.documents if d.parent_url == ghost.canonical_url and "DPA" in d.text
    )
    assert "/huge/: page too large (over 100,000 bytes)" in outcome.error
    assert outcome.meta["errors"] == 2 and outcome.meta["non_html"] == 1  # huge, 503 (retried); the image
    assert server.paths().count("/loop/") == 1  # the redirect back is a duplicate: dropped, no loop


def test_no_delay_keeps_the_per_host_limit(tmp_path: Path, make_server) -> None:  # noqa: F811
    """Scrapy alone starts all 12 slow pages at once when download_delay is 0 (crawlers/scraping/downloader.py)."""
    server = make_server()
    spec = slow_site(server, "busy", pages=12, delay_s=0.3)
    outcome = crawl_one(spec, tmp_path, timeout_s=60, concurrency_per_domain=2)
    assert outcome.status == "ok"
    assert len([p for p in server.paths() if p.startswith("/s/")]) == 12
    assert server.max_in_flight == 2  # reached, never exceeded

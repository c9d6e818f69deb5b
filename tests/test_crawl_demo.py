"""crawl_sites on the bundled demo web: every theme's comments, the hostile comment, robots.txt, 304s."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from protego import Protego

from crawlers.crawl import CrawlSettings, SiteSpec, crawl_sites

UA = "ResonanzTest/1.0"
# one blog per theme: wordpress (with the hostile comment), handmade in ISO-8859-1, medium, ghost + robots
BLOGS = {"mittelstand-digital": 100, "datenschutz-praxis": 25, "ki-im-buero": 25, "erp-insider": 25}


def test_demo_crawl(demo_web, tmp_path: Path) -> None:
    sites = [
        SiteSpec(
            slug,
            [demo_web.sites[slug] + "/"],
            [urlsplit(demo_web.sites[slug]).netloc],
            max_pages=pages,
            max_depth=4,
        )
        for slug, pages in BLOGS.items()
    ]
    settings = CrawlSettings(
        user_agent=UA,
        download_delay=0,
        autothrottle=False,
        concurrency_per_domain=4,
        cache_dir=tmp_path / "cache",
    )
    outcomes = crawl_sites(sites, work_dir=tmp_path, known_urls=(), settings=settings, timeout_s=240)
    for outcome in outcomes:
        posts = [d for d in outcome.documents if d.kind == "post"]
        comments = [d for d in outcome.documents if d.kind == "comment"]
        assert outcome.status == "ok", (outcome.source_id, outcome.error)
        assert len(posts) >= 3 and len(comments) >= 3, outcome.source_id
        assert all(c.author and c.published_at and c.text for c in comments), outcome.source_id
        assert {c.parent_url for c in comments} <= {p.canonical_url for p in posts}
    docs = [d for o in outcomes for d in o.documents]
    assert any("ä" in d.text or "ü" in d.text for d in docs if d.source_id == "datenschutz-praxis")
    # the demo blog escapes the injected comment, so its markup arrives as visible text (the app must escape it)
    injected = [d for d in docs if "<script>alert(" in d.text]
    assert len(injected) == 1 and injected[0].kind == "comment" and "onerror=" in injected[0].text
    for slug in BLOGS:  # robots.txt: disallowed paths never requested
        robots = Protego.parse(demo_web.site(slug).get("/robots.txt").body.decode())
        base = demo_web.sites[slug]
        paths = [e.path for e in demo_web.request_log if e.site == slug]
        assert not [p for p in paths if not robots.can_fetch(base + p, UA)], slug

    # second run: known pages are revalidated (304) or skipped, never extracted again; a page budget
    # left over by skipped pages may reach pages the first run did not
    known = {d.canonical_url for d in docs}
    again = crawl_sites(sites, work_dir=tmp_path, known_urls=known, settings=settings, timeout_s=240)
    assert all(o.status in ("ok", "not_modified") for o in again), [(o.status, o.error) for o in again]
    assert not known & {d.canonical_url for o in again for d in o.documents}
    assert sum(o.meta.get("known_unchanged", 0) for o in again) >= 4
    assert again[0].status == "not_modified"  # mittelstand-digital fits its budget: nothing new at all

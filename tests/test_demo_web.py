"""The demo blogosphere server: themes, feeds, HTTP caching, robots, publishing, encodings (127.0.0.1 only)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import feedparser
import pytest
from parsel import Selector

from demo.generate import synthetic_blogs
from demo.model import BERLIN, CONTENT_DIR, slugify
from demo.server import DemoWeb
from demo.sites import SITES, port_offsets

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "demo_blog.json"
ANCHOR = date(2026, 3, 15)
ENGLISH = {"ki-im-buero", "finance-ops-weekly", "cloud-native-notes"}
COMMENTED = "e-rechnung-empfang-praxis"  # fixture post with comments 1, 2 (reply to 1) and 3
HOSTILE = "dsgvo-auftragsverarbeitung"


class Fetched(NamedTuple):
    status: int
    headers: Message
    body: bytes


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Fetched:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        response = conn.getresponse()
        return Fetched(response.status, response.headers, response.read())
    finally:
        conn.close()


def write_fixture_content(folder: Path) -> Path:
    """The fixture blog under every slug of the fixed layout (so every layout is tested)."""
    blog = json.loads(FIXTURE.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    for spec in SITES:
        data = {
            **blog,
            "slug": spec.slug,
            "name": spec.slug.replace("-", " ").title(),
            "own": spec.slug == "kontor-blog",
            "lang": "en" if spec.slug in ENGLISH else "de",
        }
        (folder / f"{spec.slug}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fixture_content(tmp_path_factory.mktemp("demo-content"))


@pytest.fixture(scope="module")
def web(content: Path) -> Iterator[DemoWeb]:
    """One read-only demo web for the module (tests that publish start their own)."""
    with DemoWeb(content_dir=content, anchor=ANCHOR, base_port=0) as served:
        yield served


@pytest.fixture
def fresh_web(content: Path) -> Iterator[DemoWeb]:
    with DemoWeb(content_dir=content, anchor=ANCHOR, base_port=0) as served:
        yield served


def page(url: str) -> Selector:
    got = fetch(url)
    assert got.status == 200, url
    charset = got.headers.get_content_charset() or "utf-8"
    return Selector(text=got.body.decode(charset))


def parsed_feed(url: str) -> feedparser.FeedParserDict:
    got = fetch(url)
    assert got.status == 200, url
    return feedparser.parse(got.body)


# --- layout ---------------------------------------------------------------------------------------
def test_ports_follow_the_fixed_order_with_gaps_and_extras_after():
    offsets = port_offsets(["procurement-pulse", "kontor-blog", "zz-extra", "aa-extra"])
    assert offsets == {"kontor-blog": 1, "procurement-pulse": 11, "zz-extra": 12, "aa-extra": 13}


def test_example_config_matches_the_default_port_layout():
    config = tomllib.loads((ROOT / "resonanz" / "example-config.toml").read_text(encoding="utf-8"))
    offsets = port_offsets([s.slug for s in SITES])
    expected = {
        s.slug: f"http://127.0.0.1:{8750 + offsets[s.slug]}{s.feed_path}" for s in SITES if s.feed_path
    }
    for feed in config.get("feeds", []):
        assert expected[feed["id"]] == feed["url"]
    assert config["own_blog"]["feed"] == expected["kontor-blog"]


def test_every_blog_gets_its_own_origin(web: DemoWeb):
    ports = {urlsplit(url).port for url in [web.hub_url, *web.sites.values()]}
    assert len(ports) == len(SITES) + 1
    assert list(web.sites) == [s.slug for s in SITES]
    assert "datenschutz-praxis" not in web.feed_urls
    assert web.comment_feed_urls == {
        slug: web.sites[slug] + "/comments/feed/" for slug in ("kontor-blog", "mittelstand-digital")
    }


# --- pages ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", SITES, ids=[s.slug for s in SITES])
def test_article_and_listing_pages_render(web: DemoWeb, spec):
    site = web.site(spec.slug)
    post = site.state.posts[site.state.posts.find(COMMENTED)]
    url = site.post_url(post)
    article = page(url)
    assert article.css("html::attr(lang)").get().startswith("en" if spec.slug in ENGLISH else "de")
    assert article.css("link[rel=canonical]::attr(href)").get() == url
    assert article.css("meta[property='og:title']::attr(content)").get() == post.title
    assert (
        article.css("meta[property='article:published_time']::attr(content)").get()
        == "2025-12-25T09:00:00+01:00"
    )
    assert post.author in article.get() and "E-Rechnung" in article.get()
    assert bool(article.css("script[type='application/ld+json']")) == spec.json_ld
    if spec.json_ld:
        data = json.loads(article.css("script[type='application/ld+json']::text").get())
        assert data["@type"] == "BlogPosting" and data["headline"] == post.title
    feed_links = article.css("link[rel=alternate]::attr(href)").getall()
    assert (site.feed_url in feed_links) if site.feed_url else not feed_links
    home = page(site.url("/"))
    page_two = site.url("/page/2/")
    assert page_two in home.css("a::attr(href)").getall()
    # the post is linked (an <a href>, not merely mentioned) from the first or the second listing page
    assert home.css(f"a[href='{url}']") or page(page_two).css(f"a[href='{url}']")
    assert url in page(site.tag_url("E-Rechnung")).get()
    assert url in page(site.author_url(post.author)).get()


def test_themes_differ_in_structure(web: DemoWeb):
    marks = {
        "wordpress": "sharedaddy",
        "ghost": "gh-content",
        "medium": "pw-post-body",
        "handmade": 'id="inhalt"',
        "corporate": "cta-box",
    }
    for spec in SITES:
        site = web.site(spec.slug)
        html = fetch(site.post_url(site.state.posts[0])).body.decode(spec.charset)
        for theme, mark in marks.items():
            assert (mark in html) == (theme == spec.theme), (spec.slug, mark)
        assert "cookie" in html.lower()


def _comment_times() -> dict[str, str]:
    posted = datetime(2025, 12, 25, 9, tzinfo=BERLIN)
    return {cid: (posted + timedelta(hours=h)).isoformat() for cid, h in (("1", 5.5), ("2", 8), ("3", 30))}


@pytest.mark.parametrize("slug", ["mittelstand-digital", "kontor-blog"])
def test_wordpress_comment_markup(web: DemoWeb, slug: str):
    site = web.site(slug)
    doc = page(site.post_url(site.state.posts[site.state.posts.find(COMMENTED)]))
    top = doc.css("ol.comment-list > li.comment")
    assert [li.attrib["id"] for li in top] == ["comment-1", "comment-3"]
    reply = doc.css("li#comment-1 > ol.children > li.comment#comment-2 > article.comment-body")
    assert reply.css(".comment-author .fn::text").get() == "Jana Keller"
    times = {
        li.attrib["id"][8:]: li.css(".comment-metadata time::attr(datetime)").get()
        for li in doc.css("li.comment")
    }
    assert times == _comment_times()
    assert "sechs Wochen" in reply.css(".comment-content p::text").get()


def test_ghost_medium_and_handmade_comment_markup(web: DemoWeb):
    def article(slug: str) -> Selector:
        site = web.site(slug)
        return page(site.post_url(site.state.posts[site.state.posts.find(COMMENTED)]))

    ghost = article("finance-ops-weekly").css(
        "article.comment[itemscope][itemtype='https://schema.org/Comment']"
    )
    assert [c.attrib["id"] for c in ghost] == ["comment-1", "comment-2", "comment-3"]
    assert ghost[1].attrib["data-parent"] == "1" and "data-parent" not in ghost[0].attrib
    assert ghost[0].css("[itemprop=author]::text").get() == "Tom Berger"
    assert ghost[0].css("time[itemprop=dateCreated]::attr(datetime)").get() == _comment_times()["1"]
    assert "Umstellung" in ghost[0].css("[itemprop=text] p::text").get()

    medium = article("ki-im-buero").css("div.responses > div.response")
    assert [r.attrib["id"] for r in medium] == ["response-1", "response-2", "response-3"]
    assert [r.attrib["data-parent"] for r in medium] == ["", "1", ""]
    assert medium[2].css(".response-author::text").get() == "Sabine Öztürk"
    assert medium[2].css(".response-date::attr(data-ts)").get() == _comment_times()["3"]
    assert medium[2].css(".response-body p::text").get().startswith("Bei uns lief es schlechter")

    handmade = article("rechnungswesen-heute").css("div#kommentare > div.kommentar")
    assert [k.attrib["id"] for k in handmade] == ["k-1", "k-2", "k-3"]
    assert (
        handmade[0].css("p.kopf").get()
        == '<p class="kopf"><strong>Tom Berger</strong> am 25.12.2025 um 14:30 Uhr</p>'
    )
    assert handmade[0].css("p:not(.kopf)::text").get().startswith("Danke für die Übersicht")


def test_hostile_comment_is_served_as_visible_text(web: DemoWeb):
    site = web.site("mittelstand-digital")
    html = fetch(site.post_url(site.state.posts[site.state.posts.find(HOSTILE)])).body.decode()
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;&lt;img src=x onerror=" in html
    assert "<script>alert" not in html


def test_non_utf8_site_is_iso_8859_1(web: DemoWeb):
    site = web.site("datenschutz-praxis")
    got = fetch(site.post_url(site.state.posts[site.state.posts.find(COMMENTED)]))
    assert got.headers["Content-Type"] == "text/html; charset=iso-8859-1"
    assert b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">' in got.body
    assert "Übersicht".encode("latin-1") in got.body and "&#8222;" in got.body.decode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        got.body.decode("utf-8")


# --- feeds, sitemaps, robots ------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [s for s in SITES if s.feed], ids=[s.slug for s in SITES if s.feed])
def test_feeds_parse(web: DemoWeb, spec):
    feed = parsed_feed(web.feed_urls[spec.slug])
    assert bool(feed.bozo) == spec.malformed_feed
    assert feed.version == ("atom10" if spec.feed == "atom" else "rss20")
    site = web.site(spec.slug)
    assert [e.link for e in feed.entries] == [site.post_url(p) for p in site.state.posts]
    first = feed.entries[0]
    assert bool(first.get("content")) == spec.full_content
    assert first.author == site.state.posts[0].author
    assert first.published_parsed is not None and first.get("tags")


def test_own_blog_comment_feeds(web: DemoWeb):
    site = web.site("kontor-blog")
    main = parsed_feed(web.feed_urls["kontor-blog"])
    entry = next(e for e in main.entries if e.link.endswith(f"/{COMMENTED}/"))
    assert entry.wfw_commentrss == entry.link + "feed/"
    comments = parsed_feed(entry.wfw_commentrss)
    assert not comments.bozo
    by_link = {e.link: e for e in comments.entries}
    assert set(by_link) == {f"{entry.link}#comment-{n}" for n in "123"}
    reply = by_link[f"{entry.link}#comment-2"]
    assert reply.title == f"Kommentar zu {entry.title} von Jana Keller"
    assert reply.author == "Jana Keller" and "sechs Wochen" in reply.description
    assert reply["thr_in-reply-to"]["ref"] == f"{entry.link}#comment-1"
    assert by_link[f"{entry.link}#comment-1"]["thr_in-reply-to"]["ref"] == entry.link
    site_wide = parsed_feed(web.comment_feed_urls["kontor-blog"])
    assert len(site_wide.entries) == sum(len(p.comments) for p in site.state.posts)


def test_robots_sitemap_and_drafts(web: DemoWeb):
    for spec in SITES:
        base = web.sites[spec.slug]
        robots = fetch(base + "/robots.txt").body.decode()
        assert f"Sitemap: {base}/sitemap.xml" in robots
        sitemap = ET.fromstring(fetch(base + "/sitemap.xml").body)
        locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
        assert len(locs) == len(web.site(spec.slug).state.posts) + 1
    base = web.sites["erp-insider"]
    robots = RobotFileParser()
    robots.parse(fetch(base + "/robots.txt").body.decode().splitlines())
    drafts = [u for u in page(base + "/").css("a::attr(href)").getall() if "/drafts/" in u]
    assert drafts == [base + "/drafts/interner-entwurf-preise/"]
    assert not robots.can_fetch("ResonanzBot/0.1", drafts[0]) and robots.can_fetch(
        "ResonanzBot/0.1", base + "/"
    )
    assert fetch(drafts[0]).status == 200
    assert drafts[0] not in fetch(base + "/sitemap.xml").body.decode()
    assert drafts[0] not in fetch(web.feed_urls["erp-insider"]).body.decode()


def test_hub_index_opml_and_health(web: DemoWeb):
    assert "Resonanz demo blogosphere" in fetch(web.hub_url + "/").body.decode()
    opml = ET.fromstring(fetch(web.hub_url + "/opml.xml").body)
    assert sorted(o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")) == sorted(
        web.feed_urls.values()
    )
    assert json.loads(fetch(web.hub_url + "/healthz").body)["status"] == "ok"
    sites = json.loads(fetch(web.hub_url + "/sites.json").body)["sites"]
    assert [s["slug"] for s in sites] == list(web.sites) and sites[0]["own"] is True


# --- HTTP behaviour ---------------------------------------------------------------------------------
def test_conditional_requests_answer_304(web: DemoWeb):
    url = web.feed_urls["mittelstand-digital"]
    first = fetch(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.status == 200 and etag.startswith('"') and modified.endswith("GMT")
    assert first.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    again = fetch(url, headers={"If-None-Match": etag})
    assert (again.status, again.body, again.headers["ETag"]) == (304, b"", etag)
    assert fetch(url, headers={"If-Modified-Since": modified}).status == 304
    assert fetch(url, headers={"If-None-Match": '"other"', "If-Modified-Since": modified}).status == 200
    head = fetch(url, method="HEAD")
    assert head.status == 200 and head.body == b"" and head.headers["Content-Length"] == str(len(first.body))
    assert head.headers["ETag"] == etag


@pytest.mark.parametrize(
    "path", ["/nope", "/page/1/", "/page/99/", "/tag/unknown/", "/2026/01/no-such-post/", "/drafts/x/"]
)
def test_unknown_paths_are_404(web: DemoWeb, path: str):
    assert fetch(web.sites["mittelstand-digital"] + path).status == 404


def test_request_log_records_requests(fresh_web: DemoWeb):
    url = fresh_web.sites["ki-im-buero"] + "/robots.txt"
    fetch(url, headers={"User-Agent": "ResonanzBot/0.1"})
    fetch(fresh_web.sites["ki-im-buero"] + "/missing?x=1", method="HEAD")
    log = fresh_web.request_log
    assert [(e.site, e.method, e.path, e.status) for e in log] == [
        ("ki-im-buero", "GET", "/robots.txt", 200),
        ("ki-im-buero", "HEAD", "/missing?x=1", 404),
    ]
    assert log[0].headers["User-Agent"] == "ResonanzBot/0.1"


# --- publishing -------------------------------------------------------------------------------------
def test_publish_adds_exactly_the_reserve_post(fresh_web: DemoWeb):
    slug = "saas-cfo-desk"
    feed_url, sitemap_url = fresh_web.feed_urls[slug], fresh_web.sites[slug] + "/sitemap.xml"
    before = fetch(feed_url)
    links_before = [e.link for e in feedparser.parse(before.body).entries]
    sitemap_before = fetch(sitemap_url).body.decode()
    [url] = fresh_web.publish(slug)
    assert url.endswith("/reserve-datev-connector/") or url.endswith("/reserve-xrechnung-3-0/")
    after = fetch(feed_url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status == 200 and after.headers["ETag"] != before.headers["ETag"]
    links_after = [e.link for e in feedparser.parse(after.body).entries]
    assert set(links_after) - set(links_before) == {url} and len(links_after) == len(links_before) + 1
    assert url not in sitemap_before and url in fetch(sitemap_url).body.decode()
    assert fetch(url).status == 200
    assert fresh_web.sites[slug] + "/" != url and url in fetch(fresh_web.sites[slug] + "/").body.decode()
    assert len(fresh_web.publish(slug)) == 1 and fresh_web.publish(slug) == []


def test_publish_endpoint_on_the_hub(fresh_web: DemoWeb):
    got = fetch(fresh_web.hub_url + "/__demo__/publish?site=kontor-blog&n=5", method="POST")
    urls = json.loads(got.body)["published"]
    assert got.status == 200 and len(urls) == 2
    assert all(fetch(u).status == 200 for u in urls)
    assert fetch(fresh_web.hub_url + "/__demo__/publish?site=nope", method="POST").status == 404
    assert fetch(fresh_web.hub_url + "/__demo__/publish?site=kontor-blog&n=x", method="POST").status == 400
    assert fetch(fresh_web.sites["kontor-blog"] + "/__demo__/publish", method="POST").status == 404
    everywhere = json.loads(fetch(fresh_web.hub_url + "/__demo__/publish", method="POST").body)["published"]
    assert len(everywhere) == len(SITES) - 1  # one reserve post each, kontor-blog has none left


def test_restart_returns_to_the_initial_state(content: Path):
    with DemoWeb(content_dir=content, anchor=ANCHOR, base_port=0) as first:
        [url] = first.publish("erp-insider")
        etag = fetch(first.feed_urls["erp-insider"]).headers["ETag"]
    with DemoWeb(content_dir=content, anchor=ANCHOR, base_port=0) as second:
        assert fetch(second.feed_urls["erp-insider"]).headers["ETag"] != etag
        assert fetch(second.sites["erp-insider"] + urlsplit(url).path).status == 404


# --- synthetic blogosphere and real content ---------------------------------------------------------
def test_synthetic_blogosphere_is_seeded_and_served(content: Path):
    blogs = synthetic_blogs(600, seed=7, anchor=ANCHOR, content_dir=content)
    again = synthetic_blogs(600, seed=7, anchor=ANCHOR, content_dir=content)
    other = synthetic_blogs(600, seed=8, anchor=ANCHOR, content_dir=content)
    assert len(blogs) == 3 and sum(len(b.posts) for b in blogs) == 600
    assert [p.slug for p in blogs[1].posts] == [p.slug for p in again[1].posts]
    assert [p.title for p in blogs[1].posts[:20]] != [p.title for p in other[1].posts[:20]]
    assert all(len({p.slug for p in b.posts}) == len(b.posts) for b in blogs)
    with DemoWeb(blogs=blogs, base_port=0) as web:
        slug = blogs[2].slug
        site = web.site(slug)
        post = site.state.posts[123]
        assert site.state.posts[0].published > post.published > site.state.posts[199].published
        assert fetch(site.post_url(post)).status == 200
        assert site.state.posts.find(post.slug) == 123
        assert len(feedparser.parse(fetch(web.feed_urls[slug]).body).entries) == site.spec.feed_items
        [url] = web.publish(slug)
        assert fetch(url).status == 200 and site.state.posts[0].reserve


def test_bundled_content_serves():
    assert any(CONTENT_DIR.glob("*.json")), (
        "demo/content/*.json is committed: the bundled blogosphere is missing"
    )
    with DemoWeb(anchor=ANCHOR, base_port=0) as web:
        for slug in web.sites:
            site = web.site(slug)
            assert fetch(site.url("/")).status == 200
            assert fetch(site.post_url(site.state.posts[-1])).status == 200, slug
            if slug in web.feed_urls:
                feed = feedparser.parse(fetch(web.feed_urls[slug]).body)
                assert bool(feed.bozo) == site.spec.malformed_feed and feed.entries, slug


# --- CLI --------------------------------------------------------------------------------------------
def test_cli_demo_web_serves_until_interrupted(content: Path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "resonanz.cli", "demo-web", "--port", "0", "--anchor", "2026-03-15"]
    proc = subprocess.Popen(
        [*command, "--content", str(content)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    try:
        lines = []
        while not lines or not lines[-1].startswith("serving"):
            line = proc.stdout.readline()
            assert line, "demo-web exited early"
            lines.append(line)
        hub = re.search(r"hub (http://127\.0\.0\.1:\d+)", lines[0])[1]
        assert json.loads(fetch(hub + "/healthz").body)["sites"] == len(SITES)
        published = json.loads(fetch(hub + "/__demo__/publish?site=erp-insider", method="POST").body)
        assert fetch(published["published"][0]).status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
    assert any(slugify("erp-insider") in line for line in lines)

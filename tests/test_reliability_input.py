"""Hostile and broken input through the whole pipeline: every fault is a recorded error, the rest lands.

One module-scoped `run_pipeline` collects from a fault-injecting server on 127.0.0.1: one feed per
fault (HTTP errors, throttling, slow and dripping servers, redirect loops, huge bodies, wrong content
types and charsets, duplicates, injection), good feeds beside them and a crawled site with hostile
pages. Each test checks its source's fetch_log row and that the other sources kept their documents.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from httpserver import LocalServer, Route
from reliability import fetch_log, rss, write_config

from ui.safe import md_escape
from warehouse.db import query

PAGES = Path(__file__).parent / "fixtures" / "pages"
RSS = "application/rss+xml; charset=utf-8"
LONG = (
    "Die E-Rechnungspflicht trifft den Mittelstand härter als gedacht: Rechnungen landen im falschen "
    "Postfach, Lieferanten schicken ZUGFeRD-Dateien mit fehlerhaften Profilen, und die Buchhaltung fragt "
    "nach, statt zu buchen. Wer 2027 selbst senden muss, sollte jetzt üben und den Prozess aufräumen, "
    "bevor er ein Werkzeug auswählt."
)
INJECTED_TITLE = '<script>alert("t")</script> Titel'
INJECTED_HTML = (
    '<p>Hallo <script>alert("x")</script><img src=x onerror="alert(1)"> Welt '
    "&lt;b onmouseover=alert(2)&gt;</p>"
)
# source id → (status, the cause the error names, HTTP status; the URL it names when not the source's own)
FAILURES = {
    "not-found": ("error", "HTTP 404 (not found)", 404),
    "gone": ("error", "HTTP 410 (gone)", 410),
    "rate-limited": ("error", "HTTP 429, retry after 1 s", 429),
    "server-error": ("error", "HTTP 503", 503),
    "slow": ("error", "timed out after 1 s", None),
    "drip": ("error", "server too slow", None),
    "loop": ("error", "too many redirects", None),
    "huge-feed": ("error", "response too large", None),
    "huge-chunked": ("error", "response too large", None),
    "image": ("error", "not a feed (content type image/png)", None),
    "html-page": ("error", "not a feed but an HTML page", None),
    "summary": ("partial", "response too large", 200, "/sum/huge/"),
    "unreachable": ("error", "refused", None),
    "hostile-site": ("partial", "page too large", 200, "/huge/"),
}
# source id → documents it must land
LANDED = {
    "good": 3,
    "throttled": 2,
    "flaky": 2,
    "latin1-label": 1,
    "utf8-decl": 1,
    "duplicates": 1,
    "injection": 1,
    "summary": 3,
}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _feeds(s: LocalServer) -> dict[str, str]:
    """Serve one feed per case; returns source id → URL."""
    base = s.base_url
    feed = rss(
        base,
        [("/good/1/", "Eins", LONG), ("/good/2/", "Zwei", "Zweiter Text."), ("/good/3/", "Drei", "Drei.")],
    )
    ok = Route(rss(base, [("/t/1/", "T1", "Text 1."), ("/t/2/", "T2", "Text 2.")]), content_type=RSS)
    flaky = Route(rss(base, [("/f/1/", "F1", "Text 1."), ("/f/2/", "F2", "Text 2.")]), content_type=RSS)
    dup = ("/dup/", "Doppelt", "Derselbe Beitrag.")
    summary = [
        ("/sum/ok/", "Voll", "Kurz …"),
        ("/sum/huge/", "Riesig", "Kurz …"),
        ("/sum/pdf/", "PDF", "Kurz …"),
    ]
    s.add("/sum/ok/", (PAGES / "wordpress.html").read_bytes())
    s.huge("/sum/huge/", 300_000, content_type="text/html")
    s.add("/sum/pdf/", b"%PDF-1.7 binary", content_type="application/pdf")
    return {
        "good": s.add("/good.xml", feed, content_type=RSS),
        "not-found": s.status("/404.xml", 404),
        "gone": s.status("/410.xml", 410),
        "throttled": s.sequence(
            "/throttled.xml", Route(b"slow down", 429, "text/plain", {"Retry-After": "1"}), ok
        ),
        "rate-limited": s.status("/429.xml", 429, retry_after="1"),
        "server-error": s.status("/503.xml", 503),
        "flaky": s.sequence("/flaky.xml", Route(b"oops", 500, "text/plain"), flaky),
        "slow": s.slow("/slow.xml", 2.5, feed, content_type=RSS),
        "drip": s.add("/drip.xml", feed + b" " * 400, content_type=RSS, drip_s=0.5, chunk=64),
        "loop": s.redirect_loop("/loop.xml"),
        "huge-feed": s.huge("/huge.xml", 1_000_000),
        "huge-chunked": s.huge("/huge-chunked.xml", 1_000_000, send_length=False),
        "image": s.add("/image.xml", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png"),
        "html-page": s.add("/page.xml", "<html><body><p>Just a page</p></body></html>"),
        "latin1-label": s.add(
            "/l1.xml",
            rss(base, [("/l1/", "Grüße aus Köln", "Straße")]),
            content_type="application/rss+xml; charset=iso-8859-1",
        ),
        "utf8-decl": s.add(
            "/u8.xml",
            rss(base, [("/u8/", "Grüße aus Köln", "Straße")]).decode().encode("cp1252"),
            content_type="application/rss+xml; charset=utf-8",
        ),
        "duplicates": s.add(
            "/dups.xml", rss(base, [dup, dup, ("/dup/?utm_source=feed", *dup[1:])]), content_type=RSS
        ),
        "syndicated": s.add(
            "/syn.xml",
            rss(base, [("/copy/1/", "Kopie", LONG.replace("härter", "stärker"))]),
            content_type=RSS,
        ),
        "injection": s.add(
            "/inj.xml", rss(base, [("/inj/", INJECTED_TITLE, INJECTED_HTML)]), content_type=RSS
        ),
        "summary": s.add("/summary.xml", rss(base, summary), content_type=RSS),
    }


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, prefect_harness) -> dict:
    from flows.pipeline import run_pipeline

    folder = tmp_path_factory.mktemp("faults")
    servers = [LocalServer() for _ in range(3)]
    feeds_server, site_server, elsewhere = servers
    try:
        urls = _feeds(feeds_server)
        start = site_server.hostile_site(elsewhere.add("/elsewhere/", "<html><body>other site</body></html>"))
        config = write_config(
            folder,
            crawl={"timeout_s": 1, "retries": 1, "max_feed_bytes": 200_000, "max_page_bytes": 100_000},
            feeds=[
                {"id": i, "url": u, "full_text": "auto" if i == "summary" else "never"}
                for i, u in urls.items()
            ],
            sites=[
                {"id": "hostile-site", "start_urls": [start], "max_pages": 20},
                {"id": "unreachable", "start_urls": [f"http://127.0.0.1:{_closed_port()}/"]},
            ],
        )
        summary = run_pipeline(str(config), enrich=False)
        db = Path(summary.db)
        return {
            "summary": summary,
            "db": db,
            "log": fetch_log(db, summary.run_id),
            "urls": urls,
            "server": feeds_server,
            "site": site_server,
            "elsewhere": elsewhere,
        }
    finally:
        for server in servers:
            server.close()


def _docs(db: Path, source: str) -> list[dict]:
    return query(db, "SELECT * FROM documents WHERE source_id = ? ORDER BY url", [source]).to_dict("records")


def test_the_run_goes_on_and_names_every_failed_source(faulty) -> None:
    summary = faulty["summary"]
    assert summary.status == "partial" and summary.error is None
    failed = {k for k, (status, *_) in FAILURES.items() if status == "error"}
    assert set(summary.collect.failed) == failed
    run = query(
        faulty["db"], "SELECT status, error, finished_at FROM runs WHERE run_id = ?", [summary.run_id]
    )
    assert run["status"][0] == "partial" and run["finished_at"][0] is not None
    assert len(faulty["log"]) == len(faulty["urls"]) + 2  # a fetch_log row for every source


@pytest.mark.parametrize("source", sorted(FAILURES))
def test_each_fault_is_recorded_with_url_and_cause(faulty, source: str) -> None:
    row = faulty["log"].loc[source]
    status, cause, http_status, *path = FAILURES[source]
    assert row["status"] == status
    url = faulty["urls"].get(source, "http://127.0.0.1:") if not path else path[0]
    assert url in row["error"] and cause in row["error"], row["error"]
    if http_status is not None:
        assert row["http_status"] == http_status
    state = query(
        faulty["db"],
        "SELECT last_status, last_error, consecutive_failures FROM sources WHERE source_id = ?",
        [source],
    ).iloc[0]
    assert (state["last_status"], state["last_error"]) == (status, row["error"])
    assert state["consecutive_failures"] == (1 if status == "error" else 0)


@pytest.mark.parametrize("source", sorted(LANDED))
def test_the_other_sources_land_in_full(faulty, source: str) -> None:
    row = faulty["log"].loc[source]
    assert row["new"] == LANDED[source] == len(_docs(faulty["db"], source))
    assert row["status"] in ("ok", "partial")


def test_429_waits_for_retry_after_then_succeeds(faulty) -> None:
    server = faulty["server"]
    first, second = server.requests_for("/throttled.xml")
    assert second.at - first.at >= 1.0  # Retry-After: 1
    assert faulty["log"].loc["throttled", "status"] == "ok"
    assert len(server.requests_for("/429.xml")) == 2  # retried once ([crawl] retries = 1), then given up


def test_5xx_and_timeouts_are_retried_then_recorded(faulty) -> None:
    server = faulty["server"]
    assert [len(server.requests_for(p)) for p in ("/503.xml", "/flaky.xml", "/slow.xml")] == [2, 2, 2]
    assert faulty["log"].loc["flaky", "status"] == "ok"  # the retry succeeded
    assert [len(server.requests_for(p)) for p in ("/404.xml", "/410.xml", "/image.xml")] == [
        1,
        1,
        1,
    ]  # permanent


def test_size_caps_hold_for_feeds_articles_and_pages(faulty) -> None:
    log = faulty["log"]
    assert "limit of 200,000 bytes" in log.loc["huge-chunked", "error"]
    summary = {d["url"].rsplit("/", 2)[-2]: d for d in _docs(faulty["db"], "summary")}
    assert summary["ok"]["via"] == "article" and "Hansen Maschinenbau" in summary["ok"]["text"]
    assert (summary["huge"]["via"], summary["pdf"]["via"]) == ("feed", "feed")  # kept as the feed's summary
    assert "/sum/huge/: response too large" in log.loc["summary", "error"]
    assert "/sum/pdf/: not an HTML page (content type application/pdf)" in log.loc["summary", "error"]
    assert "/huge/: page too large (over 100,000 bytes)" in log.loc["hostile-site", "error"]


def test_hostile_site_pages_are_recorded_and_the_rest_is_stored(faulty) -> None:
    docs = _docs(faulty["db"], "hostile-site")
    posts = {d["title"] for d in docs if d["kind"] == "post"}
    assert posts == {
        "E-Rechnung im Mittelstand: ein Jahr Empfangspflicht",
        "Why AI bookkeeping still needs humans",
    }
    assert sum(d["kind"] == "comment" for d in docs) >= 4
    assert "requests failed" in faulty["log"].loc["hostile-site", "error"]
    meta = json.loads(faulty["log"].loc["hostile-site", "meta"])
    assert (meta["errors"], meta["non_html"]) == (2, 1)  # huge and 503 failed; the image is skipped
    assert faulty["site"].paths().count("/loop/") == 1  # no loop
    assert faulty["elsewhere"].paths() == []  # another server is another domain: never requested


def test_wrong_charsets_are_decoded(faulty) -> None:
    for source in ("latin1-label", "utf8-decl"):
        [doc] = _docs(faulty["db"], source)
        assert (doc["title"], doc["text"]) == ("Grüße aus Köln", "Straße")
    ghost = next(d for d in _docs(faulty["db"], "hostile-site") if d["title"].startswith("Why AI"))
    assert "â€" not in ghost["text"] and "Ã" not in ghost["text"]  # no mojibake from the wrong label
    meta = query(
        faulty["db"],
        "SELECT meta FROM fetch_log WHERE run_id = ? AND source_id = 'utf8-decl'",
        [faulty["summary"].run_id],
    )["meta"][0]
    assert "CharacterEncodingOverride" in meta  # the override is recorded, the feed still counts as ok


def test_duplicates_are_stored_once_and_near_duplicates_linked(faulty) -> None:
    db, log = faulty["db"], faulty["log"]
    [dup] = _docs(db, "duplicates")
    assert dup["canonical_url"] == faulty["server"].url("/dup/")  # tracking parameters dropped
    pair = query(
        db,
        "SELECT doc_id, near_duplicate_of FROM documents WHERE url LIKE '%/good/1/' OR url LIKE '%/copy/1/'",
    )
    assert len(pair) == 2 and pair["near_duplicate_of"].notna().sum() == 1
    original = pair[pair["near_duplicate_of"].isna()]["doc_id"].iloc[0]
    assert pair["near_duplicate_of"].dropna().tolist() == [original]
    assert log.loc["good", "near_duplicates"] + log.loc["syndicated", "near_duplicates"] == 1


def test_injected_markup_is_stored_as_text_and_escaped_for_display(faulty) -> None:
    [doc] = _docs(faulty["db"], "injection")
    assert doc["title"] == INJECTED_TITLE  # escaped markup in the feed is text, kept verbatim
    assert doc["text"] == "Hallo Welt <b onmouseover=alert(2)>"  # real script and img elements are gone
    for value in (doc["title"], doc["text"]):
        shown = md_escape(value)
        assert "<" not in shown and ">" not in shown and "&lt;" in shown

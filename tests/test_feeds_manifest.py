"""Every feed of ../shared/data/feeds (feedparser's test suite) is ingested or rejected, never crashes a run."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import feedparser
import pytest
from httpserver import LocalServer, http_server  # noqa: F401

from crawlers.check import check_feed
from crawlers.feedparse import parse_feed
from crawlers.feeds import collect_feed
from crawlers.http import HttpSettings

pytestmark = pytest.mark.shared
HTTP = HttpSettings(user_agent="ResonanzTest/1.0", timeout_s=5)


def _rows(shared: Path) -> list[dict[str, str]]:
    with (shared / "data" / "feeds" / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _headers(header: str) -> dict[str, str]:
    if not header.strip():
        return {}
    name, _, value = header.partition(":")
    return {name.strip(): value.strip()}


def _serve(server: LocalServer, row: dict[str, str], root: Path) -> tuple[str, dict[str, str]]:
    headers = _headers(row["header"])
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    others = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    url = server.add(
        f"/manifest/{row['path']}", (root / row["path"]).read_bytes(), content_type=ctype, headers=others
    )
    return url, headers


def test_every_shared_feed_is_ingested_or_rejected(shared_dir: Path, http_server: LocalServer) -> None:  # noqa: F811
    root = shared_dir / "data" / "feeds"
    rows = _rows(shared_dir)
    assert len(rows) > 100
    seen: dict[str, int] = {}
    for row in rows:
        url, _ = _serve(http_server, row, root)
        outcome = collect_feed("manifest", url, full_text="never", http=HTTP)  # must not raise
        assert outcome.status in ("ok", "partial", "error"), row["path"]
        if outcome.status != "ok":
            assert outcome.error and url in outcome.error, row["path"]
        for doc in outcome.documents:
            assert doc.canonical_url and isinstance(doc.text, str)
            assert doc.published_at is None or doc.published_at.tzinfo is not None
        seen[outcome.status] = seen.get(outcome.status, 0) + 1
    assert seen.get("ok", 0) > len(rows) // 2


def _holds(expect: str, data: feedparser.FeedParserDict) -> bool:
    try:
        return bool(eval(expect, {"feedparser": feedparser, "datetime": datetime}, dict(data)))
    except Exception:
        return False


def test_expectations_hold_for_our_parse(shared_dir: Path, http_server: LocalServer) -> None:  # noqa: F811
    """Each file's `Expect:` holds for parse_feed with the manifest's headers, wherever it applies.

    It applies where feedparser itself meets it here (the chardet cases need the optional chardet
    package; one iTunes case changed in feedparser 6). As in feedparser's own suite, only `http_*`
    files are parsed with their URL (the document base); the others as plain files.
    """
    root = shared_dir / "data" / "feeds"
    failures, checked, not_applicable = [], 0, []
    for row in _rows(shared_dir):
        if not row["expect"].strip():
            continue
        url, headers = _serve(http_server, row, root)
        body = (root / row["path"]).read_bytes()
        expect = row["expect"].replace("127.0.0.1:8097", http_server.netloc)
        baseline = feedparser.parse(body, response_headers={k.lower(): v for k, v in headers.items()} or None)
        if not _holds(expect, baseline) and not Path(row["path"]).name.startswith("http_"):
            not_applicable.append(row["path"])
            continue
        checked += 1
        with_url = url if Path(row["path"]).name.startswith("http_") else None
        if not _holds(expect, parse_feed(body, with_url, headers).data):
            failures.append(f"{row['path']}: {expect}")
    assert checked > 100
    assert len(not_applicable) <= 10, not_applicable
    assert failures == []


def test_check_feed_reports_bozo_problem(shared_dir: Path) -> None:
    report = check_feed(str(shared_dir / "data" / "feeds" / "illformed" / "rss_empty_document.xml"))
    assert report["bozo"] is True and report["problem"] and report["entry_count"] == 0
    report = check_feed(
        str(shared_dir / "data" / "feeds" / "encoding" / "bozo_http_i18n.xml"),
        headers={"Content-type": "text/xml"},
    )
    assert report["bozo"] is True and report["problem_is_benign"] is True
    assert report["title"] == "Iñtërnâtiônàlizætiøn"

"""`resonanz check-feed` and `resonanz extract`: JSON from the same code as the pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from httpserver import LocalServer, http_server  # noqa: F401

from resonanz.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_extract_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run(capsys, "extract", str(FIXTURES / "pages" / "wordpress.html"))
    assert code == 0
    assert {"title", "author", "date", "lang", "text"} <= set(data)
    assert (data["title"], data["author"], data["date"], data["lang"]) == (
        "E-Rechnung im Mittelstand: ein Jahr Empfangspflicht",
        "Jana Keller",
        "2026-10-01T07:15:00+00:00",
        "de-de",
    )
    assert "Hansen Maschinenbau" in data["text"] and len(data["comments"]) == 3


def test_extract_url(capsys: pytest.CaptureFixture[str], http_server: LocalServer) -> None:  # noqa: F811
    url = http_server.add(
        "/cli/handmade.html",
        (FIXTURES / "pages" / "handmade.html").read_bytes(),
        content_type="text/html; charset=iso-8859-1",
    )
    code, data = run(capsys, "extract", url)
    assert code == 0 and "Größte Überraschung" in data["text"] and data["url"] == url


def test_check_feed_url_and_file(capsys: pytest.CaptureFixture[str], http_server: LocalServer) -> None:  # noqa: F811
    text = (FIXTURES / "feeds" / "summary.xml").read_text().replace("{base}", http_server.base_url)
    url = http_server.add("/cli/feed.xml", text, content_type="application/atom+xml")
    code, data = run(capsys, "check-feed", url)
    assert code == 0
    assert (data["title"], data["entry_count"], data["bozo"], data["encoding"]) == (
        "Ledger Notes",
        2,
        False,
        "utf-8",
    )
    assert data["entries"][0] == {
        "title": "Why AI bookkeeping still needs humans",
        "link": http_server.url("/ai-humans/"),
        "published": "2026-09-20T07:00:00+00:00",
        "author": "Priya Nair",
        "chars": 53,
        "summary_only": True,
    }
    code, data = run(capsys, "check-feed", str(FIXTURES / "feeds" / "broken.xml"))
    assert code == 0 and data["bozo"] is True and "not well-formed" in data["problem"]


def test_check_feed_errors_name_the_target(
    capsys: pytest.CaptureFixture[str],
    http_server: LocalServer,  # noqa: F811
) -> None:
    assert main(["check-feed", "/no/such/file.xml"]) == 1
    assert "/no/such/file.xml: no such file" in capsys.readouterr().err
    url = http_server.status("/cli/gone.xml", 410)
    assert main(["check-feed", url]) == 1
    assert f"{url}: HTTP 410 (gone)" in capsys.readouterr().err


def test_extract_prints_comment_records_with_their_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run(capsys, "extract", str(FIXTURES / "pages" / "wordpress.html"))
    assert code == 0
    assert data["comments"][1] == {
        "id": "6",
        "author": "Jana Keller",
        "date": "2026-10-01T14:05:00+00:00",
        "date_text": "1. Oktober 2026 um 16:05 Uhr",
        "parent": "5",
        "text": "Gute Frage, Tom – das müsste Kontor Cloud beantworten.\nIch frage nach.",
    }
    assert all("sagt:" not in c["text"] and "Antworten" not in c["text"] for c in data["comments"])

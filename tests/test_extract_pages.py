"""Extraction of pages: main text, metadata, comments of every markup family, hostile input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.comments import extract_comments
from crawlers.extract import extract_page, page_documents
from crawlers.text import decode_html, html_to_text, parse_html

PAGES = Path(__file__).parent / "fixtures" / "pages"


def page(name: str, url: str = "http://127.0.0.1:9/post/", **kwargs):
    return extract_page((PAGES / name).read_bytes(), url, **kwargs)


def comments_of(name: str) -> list[tuple]:
    return [(c.id, c.author, c.published, c.reply_to, c.text) for c in page(name).comments]


def test_wordpress_comment_list() -> None:
    assert comments_of("wordpress.html") == [
        (
            "5",
            "Tom Berger",
            datetime(2026, 10, 1, 12, 30, tzinfo=UTC),
            None,
            "Bei uns genau dasselbe. Wann kommt eigentlich die DATEV-Schnittstelle bei KontorOne?",
        ),
        (
            "6",
            "Jana Keller",
            datetime(2026, 10, 1, 14, 5, tzinfo=UTC),
            "5",
            "Gute Frage, Tom – das müsste Kontor Cloud beantworten.\nIch frage nach.",
        ),
        (
            "7",
            "mkrause",
            datetime(2026, 10, 2, 8, 0, tzinfo=UTC),
            None,
            "Toller Artikel! <script>alert('xss')</script>",
        ),
    ]


def test_schema_org_microdata_comments() -> None:
    assert comments_of("ghost.html") == [
        (
            "41",
            "Lukas Weber",
            datetime(2026, 9, 20, 12, 10, tzinfo=UTC),
            None,
            "Is our data used to train the assistant? Nobody at the vendor could tell us.",
        ),
        (
            "42",
            "Priya Nair",
            datetime(2026, 9, 21, 7, 0, tzinfo=UTC),
            "41",
            "Ask for the DPA annex – it should say so explicitly.",
        ),
    ]


def test_response_blocks_with_epoch_dates() -> None:
    assert comments_of("medium.html") == [
        (
            "1",
            "Anna Schmidt",
            datetime(2026, 8, 4, 18, 0, tzinfo=UTC),
            None,
            "Our bill doubled after the switch. Clearly negative experience.",
        ),
        (
            "2",
            "Tomasz Lewandowski",
            datetime(2026, 8, 5, 18, 0, tzinfo=UTC),
            "1",
            "Sorry to hear that – which vendor?",
        ),
    ]


def test_handmade_kommentare_with_german_dates_in_latin1() -> None:
    result = page("handmade.html")
    assert result.encoding == "cp1252"
    assert "Größte Überraschung" in result.text
    assert [(c.id, c.author, c.published, c.text) for c in result.comments] == [
        (
            "1",
            "Sabine",
            datetime(2026, 9, 15, 6, 12, tzinfo=UTC),  # 08:12 Uhr in Berlin (CEST)
            "Drei Wochenenden finde ich sportlich. Gibt es eine Exportfunktion für alle Daten, falls man wieder "
            "wechseln will?",
        ),
        (
            "2",
            "Klaus Brenner",
            datetime(2026, 9, 15, 17, 40, tzinfo=UTC),
            "Ja, CSV und XML. Ab dem 12.01.2027 wird das ohnehin Pflicht.\nGrüße aus Fulda",
        ),
    ]


def test_post_metadata_and_documents() -> None:
    result = page("wordpress.html", url="http://127.0.0.1:9/2026/10/e-rechnung-empfang/?utm_source=x")
    assert result.is_article
    assert result.canonical_url == "http://127.0.0.1:9/2026/10/e-rechnung-empfang/"
    assert (result.title, result.author, result.lang) == (
        "E-Rechnung im Mittelstand: ein Jahr Empfangspflicht",
        "Jana Keller",
        "de-de",
    )
    assert result.published == datetime(2026, 10, 1, 7, 15, tzinfo=UTC)
    assert "Hansen Maschinenbau" in result.text
    assert "DATEV-Schnittstelle" not in result.text  # comments are not main text
    assert "Kommentar abschicken" not in result.text
    docs = page_documents(result, "mdigital", own=False)
    assert [d.kind for d in docs] == ["post", "comment", "comment", "comment"]
    reply = docs[2]
    assert reply.canonical_url == "http://127.0.0.1:9/2026/10/e-rechnung-empfang/#comment-6"
    assert reply.parent_url == docs[0].canonical_url
    assert reply.meta == {"reply_to": "http://127.0.0.1:9/2026/10/e-rechnung-empfang/#comment-5"}
    assert reply.via == "comment-page"


def test_injected_script_never_becomes_text_or_markup() -> None:
    html = (
        b"<html><body><article><p>" + b"Genug Text. " * 60 + b"</p></article><div id='comments'>"
        b"<div class='comment' id='comment-9'><span class='comment-author'>evil</span>"
        b"<div class='comment-content'>Hi<script>document.write('x')</script>"
        b'<img src=x onerror="alert(1)"><style>p{}</style> there</div></div></div></body></html>'
    )
    [comment] = extract_page(html, "http://127.0.0.1:9/p").comments
    assert comment.text == "Hi there"
    assert "alert" not in comment.text and "document.write" not in comment.text


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\xff\xfe binary \x89PNG",
        b"<html>",
        b"<" * 5000,
        b"<div>" * 20000 + b"deep",
        b"<html><body>" + b"<p>unclosed <b>bold <i>italic" * 2000,
        "<p>ünïcödé</p>".encode("utf-16"),
    ],
    ids=["empty", "binary", "bare-tag", "angles", "deep", "unclosed", "utf16"],
)
def test_hostile_html_never_crashes(body: bytes) -> None:
    result = extract_page(body, "http://127.0.0.1:9/x", content_type="text/html")
    assert isinstance(result.text, str)
    assert result.canonical_url == "http://127.0.0.1:9/x"


def test_article_decision() -> None:
    listing = (
        b"<html><head><meta property='og:type' content='website'></head><body>"
        + b"<p>x</p>" * 3
        + b"</body></html>"
    )
    assert not extract_page(listing, "http://h/").is_article
    assert not extract_page(listing, "http://h/", listed="sitemap").is_article  # a home page in the sitemap
    assert extract_page(listing, "http://h/", listed="feed").is_article
    dated = (
        b"<html><head><meta property='article:published_time' content='2026-01-02T03:04:05Z'></head>"
        b"<body><article><p>" + b"Ein langer Absatz mit Inhalt. " * 40 + b"</p></article></body></html>"
    )
    assert extract_page(dated, "http://h/a").is_article
    assert not extract_page(dated, "http://h/a", guess=False).is_article  # start pages need a declaration


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("Grüße".encode("latin-1"), "text/html; charset=utf-8", "Grüße"),  # wrong charset header
        ("Grüße".encode(), "text/html; charset=iso-8859-1", "Grüße"),  # UTF-8 under a latin-1 label
        ('<meta charset="iso-8859-1">Grüße'.encode("latin-1"), None, "Grüße"),
        ("\ufeffGrüße".encode(), None, "Grüße"),
        ("Gr\u00fc\u00dfe \u20ac".encode("cp1252"), "text/html; charset=bogus-charset", "Grüße €"),
    ],
)
def test_decode_html(body: bytes, content_type: str | None, expected: str) -> None:
    assert decode_html(body, content_type)[0].endswith(expected)


def test_html_to_text() -> None:
    assert (
        html_to_text("<p>a &amp; b</p><script>x()</script><ul><li>eins</li><li>zwei</li></ul>")
        == "a & b\neins\nzwei"
    )
    assert html_to_text("plain &lt;tag&gt; text") == "plain <tag> text"
    assert html_to_text(None) == ""


def test_comments_without_ids_get_stable_hash_ids() -> None:
    html = (
        "<html><body><div class='responses'><div class='response'><div class='response-author'>A</div>"
        "<div class='response-body'><p>Same text</p></div></div></div></body></html>"
    )
    first = extract_comments(parse_html(html))
    second = extract_comments(parse_html(html))
    assert first[0].id == second[0].id and first[0].id.startswith("h")

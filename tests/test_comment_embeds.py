"""No silent zeros: comment threads a script or iframe shows are named, recorded and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.embeds import detect_embed
from crawlers.extract import comment_check, extract_page
from crawlers.records import CommentCheck, FetchOutcome
from crawlers.text import parse_html
from resonanz.cli import main
from warehouse.comment_reach import comment_methods, unreachable_comments
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.runs import start_run

ARTICLE = (
    "<html><head><title>Post</title></head><body><article><h1>Post</h1>"
    + "<p>Ein Absatz über E-Rechnungen im Mittelstand, mit genug Text für einen Artikel.</p>" * 12
    + "</article>{thread}</body></html>"
)
EMBEDS = {
    "Disqus": '<div id="disqus_thread"></div><script>var disqus_config = function () {};'
    "(function(){var s=document.createElement('script');s.src='https://blog.disqus.com/embed.js';})();</script>",
    "Facebook comments": '<div class="fb-comments" data-href="https://blog.example/p" data-width=""></div>',
    "Commento": '<div id="commento"></div><script defer src="https://cdn.commento.io/js/commento.js"></script>',
    "Hyvor Talk": '<div id="hyvor-talk-view"></div><script async src="https://talk.hyvor.com/embed/embed.js"></script>',
    "giscus": '<script src="https://giscus.app/client.js" data-repo="a/b" async></script>',
}


@pytest.mark.parametrize("system", sorted(EMBEDS))
def test_known_systems_are_named(system: str) -> None:
    page = extract_page(ARTICLE.format(thread=EMBEDS[system]), "http://127.0.0.1:9/post/")
    assert page.comments == []
    assert page.comments_unreachable == system
    check = comment_check(page)
    assert (check.comments, check.unreachable, check.complete) == (0, system, False)


def test_unknown_script_and_iframe_threads_are_reported() -> None:
    script = '<section id="comments"></section><script src="/static/talk.js"></script>'
    frame = '<iframe src="https://talk.example.net/thread?page=1" title="Comments"></iframe>'
    assert "script-only" in detect_embed(parse_html(ARTICLE.format(thread=script)))
    assert "iframe" in detect_embed(parse_html(ARTICLE.format(thread=frame)))


def test_readable_threads_and_plain_pages_are_not_flagged() -> None:
    native = (
        '<div id="comments"><ol><li id="comment-7" class="comment"><b class="fn">Ina</b>'
        "<div class='comment-content'><p>Danke, sehr hilfreich!</p></div></li></ol>"
        "<form id='commentform'><textarea></textarea></form></div><script>var x = 1;</script>"
    )
    page = extract_page(ARTICLE.format(thread=native), "http://127.0.0.1:9/post/")
    assert [c.text for c in page.comments] == ["Danke, sehr hilfreich!"]
    assert page.comments_unreachable is None
    assert extract_page(ARTICLE.format(thread=""), "http://127.0.0.1:9/p/").comments_unreachable is None
    # an empty "leave a comment" form is an open thread with no comments yet: a true zero
    form = (
        '<div id="respond" class="comment-respond"><form><textarea></textarea></form></div><script></script>'
    )
    assert detect_embed(parse_html(ARTICLE.format(thread=form))) is None


def test_an_embed_only_thread_is_reported_not_counted_as_zero(tmp_db: Path, capsys) -> None:
    sync_sources(tmp_db, [SourceSpec("disq", "Disqus blog", "site", "http://127.0.0.1:9/")])
    checks = [
        CommentCheck("http://127.0.0.1:9/a/", "html", 0, "Disqus", complete=False),
        CommentCheck("http://127.0.0.1:9/b/", "html", 0, "Disqus", complete=False),
        CommentCheck("http://127.0.0.1:9/c/", "html", 3),
    ]
    for _ in range(2):  # a second fetch replaces the rows (MERGE), it does not add to them
        ingest_outcome(tmp_db, FetchOutcome("disq", "u", "ok", 200, comment_checks=checks), start_run(tmp_db))
    frame = unreachable_comments(tmp_db)
    assert frame[["source_id", "system", "posts"]].to_dict("records") == [
        {"source_id": "disq", "system": "Disqus", "posts": 2}
    ]
    assert comment_methods(tmp_db)[["method", "posts", "comments"]].to_dict("records") == [
        {"method": "html", "posts": 3, "comments": 3}
    ]
    assert main(["health", "--db", str(tmp_db)]) == 0
    out = capsys.readouterr().out
    assert "disq" in out and "comments not reachable: Disqus (2 posts" in out
    assert main(["health", "--db", str(tmp_db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(u["source_id"], u["system"], u["posts"]) for u in data["comments_unreachable"]] == [
        ("disq", "Disqus", 2)
    ]


def test_extract_prints_the_unreachable_system(tmp_path: Path, capsys) -> None:
    page = tmp_path / "post.html"
    page.write_text(ARTICLE.format(thread=EMBEDS["Disqus"]), encoding="utf-8")
    assert main(["extract", str(page)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["comments_unreachable"] == "Disqus"
    assert "comments not reachable: Disqus" in captured.err

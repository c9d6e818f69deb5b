"""Comment rules on small synthetic markup: header, date and reply chrome, nested replies, relative dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawlers.comment_lines import is_chrome, parse_header, split_header
from crawlers.comments import extract_comments, find_comment_nodes, remove_comment_section
from crawlers.dates import find_text_date, parse_text_date
from crawlers.text import element_text, parse_html

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def comments(body: str) -> list[tuple]:
    tree = parse_html(f"<html><body><article><p>Post text.</p></article>{body}</body></html>")
    return [(c.id, c.author, c.published, c.reply_to, c.text) for c in extract_comments(tree, now=NOW)]


def test_german_wordpress_header_and_reply_button_become_fields() -> None:
    html = """<ol class="commentlist"><li class="comment" id="comment-7"><div>
      <p>Borchert sagt:</p><p>18. Oktober 2019 um 15:05 Uhr</p>
      <p>Die Empfangspflicht trifft uns hart.</p><p>Zweiter Absatz.</p>
      <p><a href="?replytocom=7">Antworten</a></p></div></li></ol>"""
    assert comments(html) == [
        (
            "7",
            "Borchert",
            datetime(2019, 10, 18, 13, 5, tzinfo=UTC),  # 15:05 Berlin summer time
            None,
            "Die Empfangspflicht trifft uns hart.\nZweiter Absatz.",
        )
    ]


def test_english_header_on_one_line_and_permalink_chrome() -> None:
    html = """<div id="comments"><div class="comment-body">
      <p>Thanks, this helped.</p>
      <p class="posted">Posted by: Sabrina at October 18, 2019 at 3:05 pm [<a href="#c1">#</a>]</p>
      </div></div>"""
    assert comments(html)[0][1:] == (
        "Sabrina",
        datetime(2019, 10, 18, 15, 5, tzinfo=UTC),
        None,
        "Thanks, this helped.",
    )


def test_says_line_and_date_line_in_wordpress_classes() -> None:
    html = """<ol class="commentlist"><li class="comment" id="li-comment-3"><div id="comment-3">
      <div class="comment-author vcard"><cite class="fn">Jane Doe</cite> <span class="says">says:</span></div>
      <div class="comment-meta commentmetadata"><a href="#comment-3">October 18, 2019 at 3:05 pm</a></div>
      <p>Great post.</p><div class="reply"><a class="comment-reply-link">Reply</a></div>
      </div></li></ol>"""
    assert comments(html) == [
        ("3", "Jane Doe", datetime(2019, 10, 18, 15, 5, tzinfo=UTC), None, "Great post.")
    ]


def test_nested_replies_get_their_parent_not_a_copy() -> None:
    html = """<ol class="commentlist">
      <li class="comment" id="comment-1"><article id="div-comment-1" class="comment-body">
        <footer class="comment-meta"><b class="fn">Ann</b> says:</footer>
        <div class="comment-content"><p>First.</p></div></article>
        <ol class="children"><li class="comment" id="comment-2"><article id="div-comment-2" class="comment-body">
          <footer class="comment-meta"><b class="fn">Bob</b> says:</footer>
          <div class="comment-content"><p>A reply.</p></div></article></li></ol>
      </li></ol>"""
    assert [(c[0], c[1], c[3], c[4]) for c in comments(html)] == [
        ("1", "Ann", None, "First."),
        ("2", "Bob", "1", "A reply."),
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("vor 3 Tagen", datetime(2026, 11, 30, 12, 0, tzinfo=UTC)),
        ("3 days ago", datetime(2026, 11, 30, 12, 0, tzinfo=UTC)),
        ("an hour ago", datetime(2026, 12, 3, 11, 0, tzinfo=UTC)),
        ("vor einer Stunde", datetime(2026, 12, 3, 11, 0, tzinfo=UTC)),
    ],
)
def test_relative_dates(written: str, expected: datetime) -> None:
    assert parse_text_date(written, now=NOW) == expected
    html = f"""<ul class="comment-list"><li><span class="author">Kim</span> · {written}<p>Relativ.</p></li></ul>"""
    assert comments(html)[0][1:3] == ("Kim", expected)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("am 18. Oktober 2019 um 15:05 Uhr", datetime(2019, 10, 18, 13, 5, tzinfo=UTC)),
        ("October 18, 2019 at 3:05 pm", datetime(2019, 10, 18, 15, 5, tzinfo=UTC)),
        ("August 9th, 2012 at 2:24 pm", datetime(2012, 8, 9, 14, 24, tzinfo=UTC)),
        (
            "24 October 2012 at 1:16 pm",
            datetime(2012, 10, 24, 13, 16, tzinfo=UTC),
        ),  # English: not Berlin time
        ("11. Jul, 2012", datetime(2012, 7, 11, tzinfo=UTC)),
        ("September 10, 2012 4:45 AM", datetime(2012, 9, 10, 4, 45, tzinfo=UTC)),
        ("11.06.12 at 11:06 am", datetime(2012, 11, 6, 11, 6, tzinfo=UTC)),  # English two-digit year: m.d.y
        ("10/26/2012 at 12:49 PM", datetime(2012, 10, 26, 12, 49, tzinfo=UTC)),
        ("08/09/2012 - 13:04", datetime(2012, 8, 9, 13, 4, tzinfo=UTC)),  # slashed: month/day/year
        ("25/12/2012", datetime(2012, 12, 25, tzinfo=UTC)),  # unless the first part cannot be a month
        ("03.10.12 um 14:03 Uhr", datetime(2012, 10, 3, 12, 3, tzinfo=UTC)),  # German: d.m.y, Berlin time
    ],
)
def test_absolute_dates_and_their_span(written: str, expected: datetime) -> None:
    found = find_text_date(f"Posted {written} #")
    assert found is not None and found.value == expected
    assert f"Posted {written} #"[found.start : found.end].strip() in written


def test_header_lines_versus_text_lines() -> None:
    assert parse_header("Borchert sagt:").author == "Borchert"
    assert parse_header("On October 29, 2012 at 2:35am, Rosa said...").author == "Rosa"
    assert parse_header("by james on January 31, 2011 at 9:59 am.").author == "james"
    assert parse_header("Fri, 2012-11-09 18:05 — Jeff Moore (not verified)").author == "Jeff Moore"
    assert parse_header("We went there on October 5, 2012 and we loved every single minute of it!") is None
    assert parse_header("Great post, thanks.") is None
    assert all(
        is_chrome(x) for x in ("Reply", "[Antworten]", "#", "Reply ↓", "12.", "Permalink", "Log in to Reply")
    )
    assert not is_chrome("Reply to Bob: I disagree")
    lines, header = split_header(
        ["Camaleont", "Posted October 28, 2012 at 10:31 pm", "Looks sharp.", "Reply"]
    )
    assert lines == ["Looks sharp."] and header.author == "Camaleont" and header.date_text is not None


def test_blogger_definition_list_reads_header_and_footer_siblings() -> None:
    html = """<div id="comments"><dl id="comments-block">
      <dt class="comment-author" id="c111"><a href="/p">tRiSh</a> said...</dt>
      <dd class="comment-body" id="Blog1_cmt-111"><p>Exactly what I need.</p></dd>
      <dd class="comment-footer"><span class="comment-timestamp"><a href="#c111">September 10, 2012 4:45 AM</a></span></dd>
      <dt class="comment-author" id="c222"><a href="/q">Ankita</a> said...</dt>
      <dd class="comment-body" id="Blog1_cmt-222"><p>Me too.</p></dd>
      <dd class="comment-footer"><a href="#c222">September 10, 2012 6:14 AM</a></dd>
      </dl></div>"""
    assert [(c[1], c[2], c[4]) for c in comments(html)] == [
        ("tRiSh", datetime(2012, 9, 10, 4, 45, tzinfo=UTC), "Exactly what I need."),
        ("Ankita", datetime(2012, 9, 10, 6, 14, tzinfo=UTC), "Me too."),
    ]


def test_plain_definition_list_in_a_comment_section() -> None:
    html = """<div id="comments"><h2>Comments</h2><dl>
      <dt><a href="#1">1.</a> James - October 26, 2012</dt><dd><p>First words.</p></dd>
      <dt><a href="#2">2.</a> The Keeper - October 26, 2012</dt><dd><p>Second words.</p></dd></dl></div>"""
    assert [(c[1], c[4]) for c in comments(html)] == [
        ("James", "First words."),
        ("The Keeper", "Second words."),
    ]


def test_prefixed_comment_ids_and_comment_lists() -> None:
    html = """<div id="disqus_thread"><ul id="dsq-comments">
      <li id="dsq-comment-57909"><div class="dsq-comment-header"><span class="dsq-commenter-name">Jonathan</span></div>
      <div class="dsq-comment-body"><div class="dsq-comment-message"><p>Looks right.</p></div></div></li></ul></div>"""
    assert comments(html) == [("57909", "Jonathan", None, None, "Looks right.")]


def test_comment_section_is_removed_from_the_page() -> None:
    tree = parse_html(
        "<html><body><article><p>Main.</p></article><div id='comments'><dl><dt>Ann</dt>"
        "<dd>Comment words.</dd></dl></div></body></html>"
    )
    nodes = find_comment_nodes(tree)
    remove_comment_section(tree, nodes)
    assert "Comment words" not in element_text(tree) and "Main." in element_text(tree)


def test_flat_template_paragraphs_closed_by_bylines() -> None:
    html = """<div class="content"><p class="posted">Posted by Kathy at 2:24 AM</p>
      <h2><a id="comments"></a>Comments</h2>
      <a id="c1"></a><p>Way out of control.</p><p>Second paragraph.</p>
      <p class="posted">Posted by: <a href="http://t.example">Tim Bray</a> | Mar 26, 2007 2:16:31 PM</p>
      <a id="c2"></a><p>Words fail me.</p>
      <p class="posted">Posted by: Don | Mar 26, 2007 2:22:41 PM</p>
      <h2>Post a comment</h2><p>Your name:</p></div>"""
    assert [(c[1], c[2], c[4]) for c in comments(html)] == [
        ("Tim Bray", datetime(2007, 3, 26, 14, 16, tzinfo=UTC), "Way out of control.\nSecond paragraph."),
        ("Don", datetime(2007, 3, 26, 14, 22, tzinfo=UTC), "Words fail me."),
    ]


def test_a_posts_comment_count_box_is_no_comment() -> None:
    html = """<div class="Comment"><a href="/post/#comments">One Comment</a> Filed under: Frugality</div>
      <ol class="commentlist"><li id="comment-9"><cite>JoAnne</cite> Says:<p>Tacos for everyone.</p></li></ol>"""
    assert [(c[0], c[1], c[4]) for c in comments(html)] == [("9", "JoAnne", "Tacos for everyone.")]


def test_thesis_style_dt_header_and_dd_comment() -> None:
    html = """<div id="comments"><dl id="comment_list">
      <dt class="comment" id="comment-159067"><span class="comment_num"><a href="#comment-159067">1</a></span>
        <span class="comment_author">Teresa S</span> <span class="comment_time">November 8, 2012 at 1:38 AM</span></dt>
      <dd class="comment"><div class="format_text"><p>Surrender is sweet.</p>
        <p class="reply"><a class="comment-reply-link" href="?replytocom=159067#respond">Reply</a></p></div></dd>
      </dl></div>"""
    assert comments(html) == [
        ("159067", "Teresa S", datetime(2012, 11, 8, 1, 38, tzinfo=UTC), None, "Surrender is sweet.")
    ]


def test_byline_author_and_inner_comment_wrapper_are_one_comment() -> None:
    html = """<div class="comment_master_list">
      <div class="citem" id="comment_item_11"><div id="comment_inner_11" class="comment">
        <div id="comment_body_11" class="cbody"><p>Go A's!</p></div>
        <p class="by">by <a href="/users/am">Athletix Man</a> on <span class="time">Aug 8, 2012 5:21 PM PDT</span>
          <a href="#" class="reply_link">reply</a> <a href="#" class="actions_link">actions</a></p></div>
        <div class="citem" id="comment_item_12"><div id="comment_inner_12" class="comment">
          <div id="comment_body_12" class="cbody"><p>Me too.</p></div>
          <p class="by">by <a href="/users/pl">Pop N' Locktapus</a> on <span>Aug 8, 2012 5:23 PM PDT</span></p>
        </div></div>
      </div></div>"""
    assert [(c[0], c[1], c[2], c[3], c[4]) for c in comments(html)] == [
        ("11", "Athletix Man", datetime(2012, 8, 8, 17, 21, tzinfo=UTC), None, "Go A's!"),
        ("12", "Pop N' Locktapus", datetime(2012, 8, 8, 17, 23, tzinfo=UTC), "11", "Me too."),
    ]


def test_dt_header_author_class_wins_over_its_line() -> None:
    html = """<div id="comments"><dl id="comment_list">
      <dt class="comment author_comment" id="comment-433203"><span class="comment_num"><a href="#c">4</a></span>
        <p><span class="comment_author">John Quiggin</span> <span class="comment_time">11.06.12 at 11:30 am</span></p></dt>
      <dd class="comment author_comment"><div class="format_text"><p>As John B suggests.</p></div></dd></dl></div>"""
    assert comments(html) == [
        ("433203", "John Quiggin", datetime(2012, 11, 6, 11, 30, tzinfo=UTC), None, "As John B suggests.")
    ]


def test_header_outside_the_body_names_author_and_date() -> None:
    html = """<div class="non_toggle_area" id="comment-2691543">
      <div class="label"><span class="info">Thu, 08/09/2012 - 13:04 | <a href="#comment-2691543">2691543</a></span>
        <div><b><a href="/users/malikai">malikai</a></b></div></div>
      <div class="comment-content"><p>Here's how it looks to us today.</p></div>
      <div class="links">Login or register to post comments</div></div>"""
    assert comments(html) == [
        (
            "2691543",
            "malikai",
            datetime(2012, 8, 9, 13, 4, tzinfo=UTC),
            None,
            "Here's how it looks to us today.",
        )
    ]


def test_a_comments_own_title_belongs_to_its_text() -> None:
    html = """<div class="citem" id="comment_item_5"><div class="comment">
      <h5 class="comment_title"><a href="#">Highlights missing?</a></h5>
      <div class="cbody"><p>After the 6th inning nothing.</p></div>
      <p class="by">by <a href="/u/p">pachydermfan</a> on Aug 8, 2012 7:01 PM PDT</p></div></div>"""
    assert comments(html)[0][1] == "pachydermfan"
    assert comments(html)[0][4] == "Highlights missing?\nAfter the 6th inning nothing."

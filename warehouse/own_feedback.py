"""Own-blog feedback: per own post its comments, sentiment, questions and the statements readers pick up.

A comment "reacts to" the sentence of the post it shares the most content words with (at least
MIN_SHARED words of five or more letters, stop words aside); a statement's reactions are the
comments that react to it. Part of the aggregate refresh; only own posts and their comments are read.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd

MIN_SHARED = 2
MIN_SENTENCE_WORDS = 6
STATEMENTS_PER_POST = 3
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORD = re.compile(r"[^\W\d_]{5,}")
_STOP_WORDS = """about above after again against their there these those which while would could should being other
    where because before between through during under until every really still thing think great thanks
    diese dieser dieses einem einen einer eines seine seiner ihrer ihren haben hatte hätte werden wurde würde
    nicht schon immer wieder durch unter zwischen während gegen nach über sondern sowie danke toller guter
    artikel beitrag frage wirklich"""
_STOP = frozenset(_STOP_WORDS.split())

_OWN_POSTS = """
INSERT INTO agg_own_posts
WITH per AS (
    SELECT p.doc_id, any_value(p.title) AS title, any_value(p.url) AS url, any_value(p.published_at) AS published_at,
           count(c.doc_id) AS comments,
           count(*) FILTER (WHERE c.sentiment = 'negative') AS negative,
           count(*) FILTER (WHERE c.sentiment = 'neutral') AS neutral,
           count(*) FILTER (WHERE c.sentiment = 'positive') AS positive,
           count(DISTINCT q.doc_id) AS questions
    FROM stg_docs p
    LEFT JOIN stg_docs c ON c.parent_id = p.doc_id AND c.kind = 'comment'
    LEFT JOIN (SELECT DISTINCT doc_id FROM stg_questions) q ON q.doc_id = c.doc_id
    WHERE p.own AND p.kind = 'post'
    GROUP BY p.doc_id
), totals AS (SELECT sum(negative) AS all_negative, sum(negative + neutral + positive) AS all_labelled FROM per),
shares AS (
    SELECT per.*, negative / nullif(negative + neutral + positive, 0) AS negative_share,
           (all_negative - negative) / nullif(all_labelled - (negative + neutral + positive), 0) AS baseline_share
    FROM per, totals
)
SELECT doc_id, title, url, published_at, comments, negative, neutral, positive, questions, negative_share,
       baseline_share, negative_share - baseline_share
FROM shares
"""

_OWN_TEXTS = """
SELECT p.doc_id, x.text AS post_text, list(cx.text) AS comment_texts, list(c.sentiment) AS sentiments
FROM stg_docs p JOIN documents x ON x.doc_id = p.doc_id
JOIN stg_docs c ON c.parent_id = p.doc_id AND c.kind = 'comment' JOIN documents cx ON cx.doc_id = c.doc_id
WHERE p.own AND p.kind = 'post'
GROUP BY p.doc_id, x.text
"""


def content_words(text: str) -> set[str]:
    """Lower-case words of five or more letters, stop words removed."""
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def reacted_statements(
    post_text: str, comments: list[str], sentiments: list[str], limit: int = STATEMENTS_PER_POST
) -> list[tuple[str, int, int]]:
    """The post's sentences most reacted to: (statement, reactions, negative reactions), most first."""
    sentences = [s.strip() for s in _SENTENCE.split(post_text) if len(s.split()) >= MIN_SENTENCE_WORDS]
    words = [content_words(s) for s in sentences]
    counts: dict[int, list[int]] = {}
    for text, sentiment in zip(comments, sentiments, strict=True):
        said = content_words(text or "")
        overlaps = [len(said & w) for w in words]
        if not overlaps or max(overlaps) < MIN_SHARED:
            continue
        best = overlaps.index(max(overlaps))
        tally = counts.setdefault(best, [0, 0])
        tally[0] += 1
        tally[1] += sentiment == "negative"
    ranked = sorted(counts.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:limit]
    return [(sentences[i], n, neg) for i, (n, neg) in ranked]


def build_own_feedback(con: duckdb.DuckDBPyConnection) -> None:
    """Fill agg_own_posts and agg_own_statements inside the caller's transaction."""
    con.execute(_OWN_POSTS)
    rows = []
    for doc_id, post_text, texts, sentiments in con.execute(_OWN_TEXTS).fetchall():
        for rank, (statement, n, negative) in enumerate(reacted_statements(post_text, texts, sentiments), 1):
            rows.append((doc_id, rank, statement, n, negative))
    if rows:
        frame = pd.DataFrame(rows, columns=["doc_id", "rank", "statement", "reactions", "negative"])
        con.register("incoming_statements", frame)
        con.execute("INSERT INTO agg_own_statements SELECT * FROM incoming_statements")
        con.unregister("incoming_statements")

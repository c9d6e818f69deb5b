"""The app's read models: small agg_* tables rebuilt set-based after each pipeline run.

Call `refresh_aggregates(db, brand_keywords=...)` once after collection and enrichment (the
pipeline does); every page and digest query then reads only these tables and `sources`/`runs`,
never a scan of `documents`, so page times stay flat as the corpus grows.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb

from .crowd import build_crowd_topics
from .db import transact
from .insight_staging import stage
from .own_feedback import build_own_feedback
from .target import Target

log = logging.getLogger(__name__)

AGG_TABLES = (
    "agg_daily",
    "agg_emerging_daily",
    "agg_crowd_topics",
    "agg_evidence",
    "agg_topic_bloggers",
    "agg_own_posts",
    "agg_own_statements",
    "agg_question_groups",
    "agg_bloggers",
    "agg_source_posts",
)
SOURCE_POSTS = 50
EVIDENCE_WEEKS = 13
EVIDENCE_PER_WEEK = 5
QUESTION_EXAMPLES = 5


@dataclass(slots=True)
class AggregateSummary:
    """What a refresh built: rows per table, staging counts and the time it took."""

    rows: dict[str, int] = field(default_factory=dict)
    staged: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


_POST_COMMENTS = """
CREATE OR REPLACE TEMP TABLE stg_post_comments AS
SELECT parent_id AS doc_id, count(*) AS comments,
       count(*) FILTER (WHERE sentiment = 'negative') AS negative,
       count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
       count(*) FILTER (WHERE sentiment = 'positive') AS positive
FROM stg_docs WHERE kind = 'comment' AND parent_id IS NOT NULL GROUP BY parent_id
"""

_DAILY = """
INSERT INTO agg_daily
SELECT day, source_id, kind, own, lang, sentiment, '' AS topic, count(*) FROM stg_docs GROUP BY ALL
UNION ALL
SELECT d.day, d.source_id, d.kind, d.own, d.lang, d.sentiment, t.topic, count(*)
FROM stg_docs d JOIN stg_topics t USING (doc_id) GROUP BY ALL
"""

_EMERGING_DAILY = """
INSERT INTO agg_emerging_daily
SELECT m.topic_id, d.day, count(*) FILTER (WHERE d.kind = 'post'), count(*) FILTER (WHERE d.kind = 'comment'),
       count(*) FILTER (WHERE d.sentiment = 'negative')
FROM stg_topic_members m JOIN stg_docs d USING (doc_id) GROUP BY ALL
"""

_TAXONOMY_EVIDENCE = """
INSERT INTO agg_evidence
SELECT 'taxonomy', topic, week, rank, doc_id, title, url, source_id, source, author, own, published_at, comments,
       sentiment, excerpt
FROM (
    SELECT t.topic, date_trunc('week', d.day) AS week, d.doc_id, d.title, d.url, d.source_id, s.name AS source,
           d.author, d.own, d.published_at, coalesce(pc.comments, 0) AS comments, d.sentiment,
           left(x.text, 280) AS excerpt,
           row_number() OVER (PARTITION BY t.topic, date_trunc('week', d.day)
                              ORDER BY coalesce(pc.comments, 0) DESC, t.score DESC, d.doc_id) AS rank
    FROM stg_topics t JOIN stg_docs d USING (doc_id) JOIN documents x USING (doc_id)
    LEFT JOIN sources s ON s.source_id = d.source_id LEFT JOIN stg_post_comments pc ON pc.doc_id = d.doc_id
    WHERE d.kind = 'post' AND d.day > $today - INTERVAL ($weeks) WEEK
)
WHERE rank <= $per_week
"""

_QUESTION_GROUPS = """
INSERT INTO agg_question_groups
WITH q AS (
    SELECT coalesce(q.group_id, 'q-' || md5(lower(trim(q.question)))) AS group_id, q.question, d.doc_id, d.own,
           d.url, d.author, d.published_at, s.name AS source, coalesce(d.parent_id, d.doc_id) AS about
    FROM stg_questions q JOIN stg_docs d USING (doc_id) LEFT JOIN sources s ON s.source_id = d.source_id
), tops AS (
    SELECT group_id, list(topic ORDER BY n DESC, topic)[:3] AS topics FROM (
        SELECT a.group_id, t.topic, count(*) AS n
        FROM (SELECT group_id, doc_id FROM q UNION SELECT group_id, about FROM q) a JOIN stg_topics t USING (doc_id)
        GROUP BY ALL
    ) GROUP BY group_id
)
SELECT q.group_id, coalesce(any_value(g.label), arg_min(q.question, length(q.question))), count(*),
       count(DISTINCT q.doc_id), avg(q.own::INT), min(q.published_at), max(q.published_at),
       coalesce(any_value(tops.topics), []),
       to_json(list({'text': q.question, 'url': q.url, 'source': q.source, 'author': q.author,
                     'published_at': q.published_at} ORDER BY q.published_at DESC NULLS LAST)[:$examples])
FROM q LEFT JOIN stg_groups g USING (group_id) LEFT JOIN tops USING (group_id)
GROUP BY q.group_id
"""

_BLOGGERS = """
INSERT INTO agg_bloggers
WITH p AS (
    SELECT d.source_id, coalesce(d.author, '(unknown)') AS author, d.own, d.published_at,
           coalesce(pc.comments, 0) AS comments
    FROM stg_docs d LEFT JOIN stg_post_comments pc USING (doc_id) WHERE d.kind = 'post'
), posts AS (
    SELECT source_id, author, any_value(own) AS own, count(*) AS posts, sum(comments) AS comments_received,
           max(published_at) AS last_post
    FROM p GROUP BY GROUPING SETS ((source_id, author), (source_id))
), firsts AS (
    SELECT b.source_id, coalesce(b.author, '(unknown)') AS author, count(*) AS started,
           count(*) FILTER (WHERE c.blogs > 1) AS picked_up
    FROM agg_topic_bloggers b JOIN agg_crowd_topics c USING (topic_id) WHERE b.first_mover
    GROUP BY GROUPING SETS ((b.source_id, coalesce(b.author, '(unknown)')), (b.source_id))
)
SELECT p.source_id, s.name, p.author, p.own, p.posts, p.comments_received, coalesce(f.started, 0),
       coalesce(f.picked_up, 0), p.last_post
FROM posts p LEFT JOIN sources s USING (source_id)
LEFT JOIN firsts f ON f.source_id = p.source_id AND f.author IS NOT DISTINCT FROM p.author
"""


_SOURCE_POSTS = """
INSERT INTO agg_source_posts
SELECT source_id, rank, doc_id, title, url, author, published_at, comments, negative, sentiment FROM (
    SELECT d.source_id, d.doc_id, d.title, d.url, d.author, d.published_at, coalesce(pc.comments, 0) AS comments,
           coalesce(pc.negative, 0) AS negative, d.sentiment,
           row_number() OVER (PARTITION BY d.source_id ORDER BY d.published_at DESC NULLS LAST, d.doc_id) AS rank
    FROM stg_docs d LEFT JOIN stg_post_comments pc USING (doc_id) WHERE d.kind = 'post'
) WHERE rank <= $limit
"""


def _rebuild(con: duckdb.DuckDBPyConnection, today: date, brand_keywords: Sequence[str]) -> None:
    for table in AGG_TABLES:
        con.execute(f"DELETE FROM {table}")
    con.execute(_POST_COMMENTS)
    con.execute(_DAILY)
    build_crowd_topics(con, today, brand_keywords)
    con.execute(_EMERGING_DAILY)
    con.execute(_TAXONOMY_EVIDENCE, {"today": today, "weeks": EVIDENCE_WEEKS, "per_week": EVIDENCE_PER_WEEK})
    build_own_feedback(con)
    con.execute(_QUESTION_GROUPS, {"examples": QUESTION_EXAMPLES})
    con.execute(_BLOGGERS)
    con.execute(_SOURCE_POSTS, {"limit": SOURCE_POSTS})


def _refresh_in(
    con: duckdb.DuckDBPyConnection, day: date, brand_keywords: Sequence[str], summary: AggregateSummary
) -> None:
    summary.staged = stage(con)
    _rebuild(con, day, brand_keywords)
    summary.rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in AGG_TABLES}
    stamp = datetime.now(UTC).isoformat()
    settings = [
        ("refreshed_at", stamp),
        ("as_of", day.isoformat()),
        ("enriched", str(summary.staged.get("stg_topics", 0) > 0).lower()),
        ("brand_keywords", json.dumps(list(brand_keywords), ensure_ascii=False)),
    ]
    con.execute(
        """
        MERGE INTO agg_meta AS m USING (SELECT unnest($keys) AS key, unnest($values) AS value) AS i
        ON m.key = i.key
        WHEN MATCHED THEN UPDATE SET value = i.value
        WHEN NOT MATCHED THEN INSERT (key, value) VALUES (i.key, i.value)
        """,
        {"keys": [k for k, _ in settings], "values": [v for _, v in settings]},
    )


def refresh_aggregates(
    db: Target, brand_keywords: Sequence[str] = (), today: date | None = None
) -> AggregateSummary:
    """Rebuild every agg_* table in one short write transaction (call after collect + enrich).

    Readers see the old or the new tables, never a mix; two concurrent refreshes commit one after
    the other (the aggregates claim).
    """
    started = time.monotonic()
    day = today or datetime.now(UTC).date()
    summary = AggregateSummary()
    transact(db, lambda con: _refresh_in(con, day, brand_keywords, summary), claim=("aggregates",))
    summary.seconds = round(time.monotonic() - started, 3)
    log.info(
        "app aggregates refreshed in %.2f s (%s)",
        summary.seconds,
        ", ".join(f"{name.removeprefix('agg_')} {rows}" for name, rows in summary.rows.items()),
    )
    return summary


def refresh_again(con: duckdb.DuckDBPyConnection) -> bool:
    """Rebuild the aggregates inside the caller's transaction (which must hold the aggregates claim) with
    the reference day and brand keywords of the last refresh; False when they were never built."""
    meta = dict(con.execute("SELECT key, value FROM agg_meta").fetchall())
    if "refreshed_at" not in meta or "as_of" not in meta:
        return False
    brand = json.loads(meta.get("brand_keywords") or "[]")
    _refresh_in(con, date.fromisoformat(meta["as_of"]), brand, AggregateSummary())
    return True

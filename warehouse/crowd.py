"""Crowdsourced topics: emerging topics started outside, scored for the editorial plan.

    score = momentum × breadth × engagement × relevance × coverage_gap

momentum      (recent + 1) / (baseline + 1): documents (posts and their comments) in the last RECENT_DAYS
              against the number expected from the BASELINE_DAYS before them, scaled to the same length
              (fewer baseline days when the emerging-topic clustering looked back less far)
breadth       sqrt(blogs × authors): distinct external blogs (hosts: a blog's feed and crawl count once) and
              distinct external authors posting on it
engagement    1 + ln(1 + comments per post)
relevance     0.5 + 0.5 × taxonomy_share + brand_share: share of its posts that match a configured
              taxonomy topic, share of its documents that name a brand keyword (so 0.5 … 2.0)
coverage_gap  max(MIN_GAP, 1 − coverage): coverage is the best share of the topic's keywords that one
              own post (of the last COVERAGE_DAYS) contains as whole words

Built by `build_crowd_topics` inside the aggregate refresh; read by `crowd_topics` and the card
functions (which read only the small agg_* tables).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from .db import query
from .target import Target

RECENT_DAYS = 14
BASELINE_DAYS = 56
COVERAGE_DAYS = 365
MIN_GAP = 0.05
EVIDENCE_PER_TOPIC = 10
COMPONENTS = ("momentum", "breadth", "engagement", "relevance", "coverage_gap")

_MEMBERS = """
CREATE OR REPLACE TEMP TABLE stg_topic_members AS
SELECT DISTINCT topic_id, doc_id FROM (
    SELECT topic_id, doc_id FROM stg_emerging_docs
    UNION ALL  -- the comments on a topic's posts belong to the topic too
    SELECT e.topic_id, c.doc_id FROM stg_emerging_docs e JOIN stg_docs c ON c.parent_id = e.doc_id
)
"""

_COVERAGE = """
CREATE OR REPLACE TEMP TABLE stg_coverage AS
WITH own_words AS (  -- the distinct words of each recent own post
    SELECT DISTINCT doc_id, title, word FROM (
        SELECT doc_id, title, unnest(string_split_regex(lower(coalesce(title, '') || ' ' || text), '[^[:alnum:]]+'))
            AS word
        FROM documents WHERE own AND kind = 'post' AND published_at > $today - INTERVAL ($coverage_days) DAY
    ) WHERE word <> ''
), keyword_words AS (
    SELECT topic_id, k, unnest(string_split_regex(lower(k), '[^[:alnum:]]+')) AS word
    FROM (SELECT topic_id, unnest(keywords) AS k FROM stg_emerging)
), needed AS (
    SELECT topic_id, k, count(DISTINCT word) AS words, count(*) OVER (PARTITION BY topic_id) AS keywords
    FROM keyword_words WHERE word <> '' GROUP BY topic_id, k
), found AS (  -- a keyword is in a post when all its words are
    SELECT n.topic_id, w.doc_id, any_value(w.title) AS title, count(*) / any_value(n.keywords) AS share
    FROM (SELECT kw.topic_id, kw.k, o.doc_id, any_value(o.title) AS title, count(DISTINCT kw.word) AS hits
          FROM keyword_words kw JOIN own_words o USING (word) GROUP BY kw.topic_id, kw.k, o.doc_id) w
    JOIN needed n ON n.topic_id = w.topic_id AND n.k = w.k AND w.hits = n.words
    GROUP BY n.topic_id, w.doc_id
)
SELECT topic_id, max(share) AS coverage, first(title ORDER BY share DESC, title) AS covered_by  -- ties: by title
FROM found GROUP BY topic_id
"""

_CROWD = """
INSERT INTO agg_crowd_topics
WITH m AS (
    SELECT t.topic_id, d.* FROM stg_topic_members t JOIN stg_docs d USING (doc_id)
), horizon AS (  -- the baseline covers only days the clustering looked at
    SELECT greatest(least($baseline, ($today - $recent) - min(day)), 0) AS baseline_days FROM m
), stats AS (
    SELECT topic_id,
           min(published_at) FILTER (WHERE kind = 'post') AS first_seen, max(published_at) AS last_seen,
           count(*) FILTER (WHERE kind = 'post' AND NOT own) AS posts,
           count(*) FILTER (WHERE day > $today - $recent) AS recent,
           count(*) FILTER (WHERE day <= $today - $recent AND day > $today - $recent - $baseline) * $recent
               / nullif(any_value(h.baseline_days), 0) AS baseline,
           count(DISTINCT split_part(url, '/', 3)) FILTER (WHERE kind = 'post' AND NOT own) AS blogs,  -- hosts
           count(DISTINCT author) FILTER (WHERE kind = 'post' AND NOT own) AS authors,
           count(*) FILTER (WHERE kind = 'comment') AS comments,
           arg_min(own, published_at) FILTER (WHERE kind = 'post') AS started_own,
           count(*) FILTER (WHERE sentiment = 'negative') AS negative,
           count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
           count(*) FILTER (WHERE sentiment = 'positive') AS positive
    FROM m, horizon h GROUP BY topic_id
), tagged AS (
    SELECT m.topic_id, t.topic, count(*) AS n, list(m.doc_id) AS docs
    FROM m JOIN stg_topics t USING (doc_id) WHERE m.kind = 'post' GROUP BY ALL
), tax AS (
    SELECT topic_id, len(list_distinct(flatten(list(docs)))) AS tagged,
           list(topic ORDER BY n DESC, topic)[:3] AS taxonomy
    FROM tagged GROUP BY topic_id
), brand AS (
    SELECT m.topic_id, count(DISTINCT m.doc_id) AS branded
    FROM m JOIN documents d USING (doc_id)
    WHERE len($brand) > 0
      AND list_bool_or(list_transform($brand, lambda b: contains(lower(coalesce(d.title, '') || ' ' || d.text), b)))
    GROUP BY m.topic_id
), members AS (SELECT topic_id, count(*) AS docs FROM m GROUP BY topic_id
), scored AS (
    SELECT e.topic_id, e.label, coalesce(e.keywords, []) AS keywords, s.first_seen, s.last_seen, s.posts,
           s.recent, coalesce(s.baseline, 0) AS baseline, (s.recent + 1) / (coalesce(s.baseline, 0) + 1) AS momentum,
           s.blogs, s.authors, sqrt(s.blogs * s.authors) AS breadth,
           s.comments, 1 + ln(1 + s.comments / greatest(s.posts, 1)) AS engagement,
           coalesce(x.tagged, 0) / greatest(s.posts, 1) AS taxonomy_share,
           coalesce(b.branded, 0) / mb.docs AS brand_share,
           coalesce(c.coverage, 0) AS coverage, CASE WHEN c.coverage > 0 THEN c.covered_by END AS covered_by,
           coalesce(x.taxonomy, []) AS taxonomy, s.negative, s.neutral, s.positive, e.subtitle
    FROM stg_emerging e JOIN stats s USING (topic_id) JOIN members mb USING (topic_id)
    LEFT JOIN tax x USING (topic_id) LEFT JOIN brand b USING (topic_id) LEFT JOIN stg_coverage c USING (topic_id)
    WHERE s.posts > 0 AND NOT coalesce(s.started_own, false)
), final AS (
    SELECT *, 0.5 + 0.5 * taxonomy_share + brand_share AS relevance,
           greatest($min_gap, 1 - coverage) AS coverage_gap
    FROM scored
)
SELECT topic_id, label, keywords, first_seen, last_seen, posts, recent, baseline, momentum, blogs, authors,
       breadth, comments, engagement, taxonomy_share, brand_share, relevance, coverage, covered_by,
       coverage_gap, momentum * breadth * engagement * relevance * coverage_gap AS score,
       row_number() OVER (ORDER BY momentum * breadth * engagement * relevance * coverage_gap DESC, topic_id),
       taxonomy, negative, neutral, positive, subtitle
FROM final
"""

_EVIDENCE = """
INSERT INTO agg_evidence
SELECT 'emerging', topic_id, NULL, rank, doc_id, title, url, source_id, source, author, own, published_at,
       comments, sentiment, excerpt
FROM (
    SELECT e.topic_id, d.doc_id, d.title, d.url, d.source_id, s.name AS source, d.author, d.own, d.published_at,
           coalesce(pc.comments, 0) AS comments, d.sentiment, left(x.text, 280) AS excerpt,
           row_number() OVER (PARTITION BY e.topic_id ORDER BY coalesce(pc.comments, 0) DESC,
                              d.published_at DESC, d.doc_id) AS rank
    FROM stg_emerging_docs e JOIN stg_docs d USING (doc_id) JOIN documents x USING (doc_id)
    LEFT JOIN sources s ON s.source_id = d.source_id LEFT JOIN stg_post_comments pc ON pc.doc_id = d.doc_id
    WHERE d.kind = 'post'
)
WHERE rank <= $limit
"""

_BLOGGERS = """
INSERT INTO agg_topic_bloggers
WITH p AS (
    SELECT e.topic_id, d.source_id, d.author, d.published_at, coalesce(pc.comments, 0) AS comments
    FROM stg_emerging_docs e JOIN stg_docs d USING (doc_id) LEFT JOIN stg_post_comments pc USING (doc_id)
    WHERE d.kind = 'post' AND NOT d.own
), firsts AS (SELECT topic_id, min(published_at) AS first_at FROM p GROUP BY topic_id)
SELECT p.topic_id, p.source_id, s.name, p.author, count(*), sum(p.comments), min(p.published_at),
       bool_or(p.published_at = f.first_at)
FROM p JOIN firsts f USING (topic_id) LEFT JOIN sources s USING (source_id)
GROUP BY p.topic_id, p.source_id, s.name, p.author
"""


def build_crowd_topics(con: duckdb.DuckDBPyConnection, today: object, brand_keywords: Sequence[str]) -> int:
    """Rebuild agg_crowd_topics, its evidence and bloggers from the staging tables; returns the topic count."""
    con.execute(_MEMBERS)
    params = {
        "today": today,
        "recent": RECENT_DAYS,
        "baseline": BASELINE_DAYS,
        "min_gap": MIN_GAP,
        "coverage_days": COVERAGE_DAYS,
        "brand": [b.lower() for b in brand_keywords if b.strip()],
    }
    con.execute(_COVERAGE, {k: params[k] for k in ("today", "coverage_days")})
    con.execute(_CROWD, {k: v for k, v in params.items() if k != "coverage_days"})
    con.execute(_EVIDENCE, {"limit": EVIDENCE_PER_TOPIC})
    con.execute(_BLOGGERS)
    return con.execute("SELECT count(*) FROM agg_crowd_topics").fetchone()[0]


def crowd_topics(db: Target, limit: int = 50) -> pd.DataFrame:
    """The ranked crowdsourced topics with every score component."""
    return query(db, "SELECT * FROM agg_crowd_topics ORDER BY rank LIMIT ?", [limit])


def outlier_bucket(db: Target) -> dict[str, float | int]:
    """The latest emerging-topic run: posts clustered, how many fit no topic (the outlier bucket), its share."""
    frame = query(
        db, "SELECT n_docs, n_topics, outlier_share FROM emerging_runs ORDER BY run_at DESC LIMIT 1"
    )
    if frame.empty:
        return {"posts": 0, "topics": 0, "outliers": 0, "share": 0.0}
    row = frame.iloc[0]
    share = float(row["outlier_share"])
    return {
        "posts": int(row["n_docs"]),
        "topics": int(row["n_topics"]),
        "outliers": round(share * int(row["n_docs"])),
        "share": share,
    }


def topic_daily(db: Target, topic_id: str) -> pd.DataFrame:
    """Documents per day of one emerging topic (the card's sparkline)."""
    return query(
        db,
        "SELECT day, posts, comments, negative FROM agg_emerging_daily WHERE topic_id = ? ORDER BY day",
        [topic_id],
    )


def topic_evidence(db: Target, topic_id: str) -> pd.DataFrame:
    """The most engaging posts of one emerging topic."""
    return query(
        db,
        """
        SELECT published_at, source, author, title, url, comments, sentiment, excerpt
        FROM agg_evidence WHERE topic_kind = 'emerging' AND topic = ? ORDER BY rank
        """,
        [topic_id],
    )


def topic_bloggers(db: Target, topic_id: str) -> pd.DataFrame:
    """The external bloggers who carry one emerging topic, first movers first."""
    return query(
        db,
        """
        SELECT source, author, posts, comments, first_post, first_mover
        FROM agg_topic_bloggers WHERE topic_id = ? ORDER BY first_mover DESC, first_post, source
        """,
        [topic_id],
    )

"""Read-only queries behind the app's pages; they read the small agg_* tables, never all documents."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from .db import query
from .rates import CONFIDENCE, wilson, wilson_sql, z_value
from .target import Target

SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class Filters:
    """The app's filters: a period (inclusive days), languages, sources and one taxonomy topic."""

    start: date
    end: date
    langs: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    topic: str | None = None

    def where(self, alias: str = "", per_topic: bool = False) -> tuple[str, dict[str, Any]]:
        """SQL conditions on agg_daily (without the period) and their parameters.

        per_topic: the rows of every taxonomy topic (share of voice) instead of the topic filter.
        """
        p = f"{alias}." if alias else ""
        sql = [
            f"(len($langs) = 0 OR list_contains($langs, {p}lang))",
            f"(len($sources) = 0 OR list_contains($sources, {p}source_id))",
        ]
        params: dict[str, Any] = {"langs": list(self.langs), "sources": list(self.sources)}
        if per_topic:
            sql.append(f"{p}topic <> ''")
        else:
            sql.append(f"{p}topic = $topic")
            params["topic"] = self.topic or ""
        return " AND ".join(sql), params

    def period(self) -> dict[str, date]:
        return {"start": _day(self.start), "end": _day(self.end)}


def _day(value: Any) -> date:
    """A plain date from a date, datetime or pandas Timestamp."""
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def aggregate_info(db: Target) -> dict[str, str]:
    """When the aggregates were refreshed, their reference day and whether enrichment results existed."""
    frame = query(db, "SELECT key, value FROM agg_meta")
    return dict(zip(frame["key"], frame["value"], strict=True))


def filter_options(db: Target) -> dict[str, Any]:
    """Values for the filter widgets: days, languages, sources, taxonomy topics."""
    frame = query(
        db,
        """
        SELECT (SELECT min(day) FROM agg_daily) AS first_day, (SELECT max(day) FROM agg_daily) AS last_day,
               (SELECT list(DISTINCT lang ORDER BY lang) FROM agg_daily) AS langs,
               (SELECT list(DISTINCT topic ORDER BY topic) FROM agg_daily WHERE topic <> '') AS topics,
               (SELECT list({'id': source_id, 'name': name} ORDER BY name) FROM sources WHERE active) AS sources
        """,
    )
    row = frame.iloc[0].to_dict()
    for key in ("langs", "topics", "sources"):
        row[key] = list(row[key]) if row[key] is not None else []
    for key in ("first_day", "last_day"):
        row[key] = None if pd.isna(row[key]) else _day(row[key])
    return row


def kpis(db: Target, filters: Filters) -> dict[str, Any]:
    """Documents in the 7 days up to the period's end and the 7 before, negative share, sources, last run."""
    where, params = filters.where()
    frame = query(
        db,
        f"""
        SELECT coalesce(sum(n) FILTER (WHERE day > $end - 7), 0)::INTEGER AS this_week,
               coalesce(sum(n) FILTER (WHERE day <= $end - 7 AND day > $end - 14), 0)::INTEGER AS last_week,
               coalesce(sum(n) FILTER (WHERE day BETWEEN $start AND $end), 0)::INTEGER AS period_docs,
               coalesce(sum(n) FILTER (WHERE day BETWEEN $start AND $end AND sentiment = 'negative'), 0)::INTEGER
                   AS negative,
               coalesce(sum(n) FILTER (WHERE day BETWEEN $start AND $end AND sentiment <> 'unknown'), 0)::INTEGER
                   AS labelled,
               (SELECT count(*) FROM sources WHERE active)::INTEGER AS sources,
               (SELECT count(*) FROM sources WHERE active AND last_status = 'error')::INTEGER AS failing_sources
        FROM agg_daily WHERE {where} AND day > least($start, $end - 14) AND day <= $end
        """,
        {**params, **filters.period()},
    )
    result = {k: (v.item() if hasattr(v, "item") else v) for k, v in frame.iloc[0].to_dict().items()}
    rate = wilson(result["negative"], result["labelled"])
    result.update(negative_share=rate.share, negative_low=rate.low, negative_high=rate.high)
    last = query(
        db, "SELECT run_id, status, started_at, finished_at, error FROM runs ORDER BY started_at DESC LIMIT 1"
    )
    last = last.astype(object).where(
        last.notna(), None
    )  # a run in progress has no finished_at: None, not NaT
    result["last_run"] = last.iloc[0].to_dict() if len(last) else None
    return result


def volume(db: Target, filters: Filters, grain: str = "day") -> pd.DataFrame:
    """Documents per day (or week) and sentiment in the period."""
    where, params = filters.where()
    bucket = "day" if grain == "day" else "date_trunc('week', day)"
    return query(
        db,
        f"""
        SELECT CAST({bucket} AS DATE) AS day, sentiment, sum(n)::INTEGER AS documents
        FROM agg_daily WHERE {where} AND day BETWEEN $start AND $end
        GROUP BY ALL ORDER BY day, sentiment
        """,
        {**params, **filters.period()},
    )


def _negative_of_labelled(p: str) -> tuple[str, str]:
    """SQL sums (negative, labelled) over agg_daily rows, columns prefixed by `p`."""
    return (
        f"coalesce(sum({p}n) FILTER (WHERE {p}sentiment = 'negative'), 0)",
        f"coalesce(sum({p}n) FILTER (WHERE {p}sentiment <> 'unknown'), 0)",
    )


def share_by_source(db: Target, filters: Filters) -> pd.DataFrame:
    """Documents per source in the period, with their share and negative share (and its 95% interval)."""
    where, params = filters.where("a")
    low, high = wilson_sql(*_negative_of_labelled("a."))
    return query(
        db,
        f"""
        SELECT coalesce(s.name, a.source_id) AS source, any_value(a.own) AS own, sum(a.n)::INTEGER AS documents,
               sum(a.n) / sum(sum(a.n)) OVER () AS share,
               sum(a.n) FILTER (WHERE a.sentiment = 'negative')
                   / nullif(sum(a.n) FILTER (WHERE a.sentiment <> 'unknown'), 0) AS negative_share,
               {low} AS negative_low, {high} AS negative_high
        FROM agg_daily a LEFT JOIN sources s USING (source_id)
        WHERE {where} AND a.day BETWEEN $start AND $end
        GROUP BY 1 ORDER BY documents DESC
        """,
        {**params, **filters.period(), "z": z_value()},
    )


def share_by_topic(db: Target, filters: Filters) -> pd.DataFrame:
    """Documents per taxonomy topic in the period (a document may count for several topics), with the negative
    share and its 95% interval."""
    where, params = filters.where(per_topic=True)
    low, high = wilson_sql(*_negative_of_labelled(""))
    return query(
        db,
        f"""
        SELECT topic, sum(n)::INTEGER AS documents, sum(n) / sum(sum(n)) OVER () AS share,
               sum(n) FILTER (WHERE sentiment = 'negative')
                   / nullif(sum(n) FILTER (WHERE sentiment <> 'unknown'), 0) AS negative_share,
               {low} AS negative_low, {high} AS negative_high
        FROM agg_daily WHERE {where} AND day BETWEEN $start AND $end
        GROUP BY topic ORDER BY documents DESC
        """,
        {**params, **filters.period(), "z": z_value()},
    )


def own_posts(
    db: Target, flag_delta: float = 0.15, min_comments: int = 5, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Own posts newest first with comments, sentiment mix, questions, the negative share with its Wilson
    interval; `flagged` marks negative swings (warehouse.rates: interval above the rest of the blog, at
    least `min_comments` labelled comments, swing ≥ `flag_delta`)."""
    low, high = wilson_sql("negative", "negative + neutral + positive")
    return query(
        db,
        f"""
        SELECT doc_id, published_at, title, url, comments, negative, neutral, positive, questions, negative_share,
               negative_low, negative_high, baseline_share, swing,
               coalesce(negative_low > baseline_share AND swing >= $delta
                        AND negative + neutral + positive >= $min_comments, false) AS flagged
        FROM (SELECT *, {low} AS negative_low, {high} AS negative_high FROM agg_own_posts)
        ORDER BY flagged DESC, published_at DESC NULLS LAST
        """,
        {"delta": flag_delta, "min_comments": min_comments, "z": z_value(confidence)},
    )


def own_statements(db: Target, doc_id: str) -> pd.DataFrame:
    """The statements of one own post that its comments pick up most."""
    return query(
        db,
        "SELECT statement, reactions, negative FROM agg_own_statements WHERE doc_id = ? ORDER BY rank",
        [doc_id],
    )


def question_groups(db: Target, limit: int = 100, topics: list[str] | None = None) -> list[dict[str, Any]]:
    """Reader-question groups, most asked first, with example questions and links."""
    frame = query(
        db,
        """
        SELECT group_id, label, questions, documents, own_share, first_seen, last_seen, topics, examples
        FROM agg_question_groups
        WHERE $topics IS NULL OR len(list_intersect(topics, $topics)) > 0
        ORDER BY questions DESC, last_seen DESC, group_id LIMIT $limit
        """,
        {"limit": limit, "topics": topics},
    )
    rows = frame.to_dict("records")
    for row in rows:
        row["examples"] = json.loads(row["examples"])
        row["topics"] = list(row["topics"])
    return rows


def bloggers(db: Target, limit: int = 100) -> pd.DataFrame:
    """External bloggers: topics they started that others picked up, posts, engagement."""
    return query(
        db,
        """
        SELECT author, source, posts, comments_received, round(comments_received / posts, 1) AS comments_per_post,
               topics_started, topics_picked_up, last_post
        FROM agg_bloggers WHERE author IS NOT NULL AND NOT own
        ORDER BY topics_picked_up DESC, topics_started DESC, comments_received DESC, author LIMIT ?
        """,
        [limit],
    )


def sources_overview(db: Target) -> pd.DataFrame:
    """Per active source: output, engagement, first moves and fetch health."""
    return query(
        db,
        """
        SELECT s.name AS source, s.kind, s.own, coalesce(b.posts, 0) AS posts,
               coalesce(b.comments_received, 0) AS comments_received, coalesce(b.topics_started, 0) AS topics_started,
               coalesce(b.topics_picked_up, 0) AS topics_picked_up, b.last_post, s.last_status,
               s.consecutive_failures, s.last_fetched_at, s.last_error
        FROM sources s LEFT JOIN agg_bloggers b ON b.source_id = s.source_id AND b.author IS NULL
        WHERE s.active
        ORDER BY s.consecutive_failures DESC, topics_picked_up DESC, posts DESC, s.name
        """,
    )


def topic_evidence(db: Target, topics: list[str], start: date, end: date, limit: int = 5) -> pd.DataFrame:
    """The most engaging posts on some taxonomy topics in a period (from the weekly evidence)."""
    return query(
        db,
        """
        SELECT doc_id, any_value(published_at) AS published_at, any_value(source) AS source,
               any_value(author) AS author, any_value(title) AS title, any_value(url) AS url,
               any_value(comments) AS comments, any_value(sentiment) AS sentiment, any_value(excerpt) AS excerpt,
               list(DISTINCT topic ORDER BY topic) AS topics, any_value(own) AS own
        FROM agg_evidence
        WHERE topic_kind = 'taxonomy' AND list_contains($topics, topic)
          AND CAST(published_at AS DATE) BETWEEN $start AND $end
        GROUP BY doc_id ORDER BY comments DESC, published_at DESC LIMIT $limit
        """,
        {"topics": topics, "start": start, "end": end, "limit": limit},
    )


def topic_summaries(db: Target, topics: list[str], start: date, end: date) -> pd.DataFrame:
    """Per taxonomy topic: documents and negative share (with its 95% Wilson interval) in [start, end], and
    both in the period of equal length before."""
    days = (end - start).days + 1
    low, high = wilson_sql("a.negative", "a.labelled")
    return query(
        db,
        f"""
        WITH t AS (SELECT unnest($topics::VARCHAR[]) AS topic),
        a AS (
            SELECT topic,
                   sum(n) FILTER (WHERE day >= $start) AS documents,
                   sum(n) FILTER (WHERE day < $start) AS previous,
                   coalesce(sum(n) FILTER (WHERE day >= $start AND sentiment = 'negative'), 0) AS negative,
                   coalesce(sum(n) FILTER (WHERE day >= $start AND sentiment <> 'unknown'), 0) AS labelled,
                   sum(n) FILTER (WHERE day >= $start AND sentiment = 'negative')
                       / nullif(sum(n) FILTER (WHERE day >= $start AND sentiment <> 'unknown'), 0) AS negative_share,
                   sum(n) FILTER (WHERE day < $start AND sentiment = 'negative')
                       / nullif(sum(n) FILTER (WHERE day < $start AND sentiment <> 'unknown'), 0)
                       AS previous_negative_share
            FROM agg_daily
            WHERE list_contains($topics, topic) AND day >= $start - $days AND day <= $end
            GROUP BY topic
        )
        SELECT t.topic, coalesce(a.documents, 0)::INTEGER AS documents, coalesce(a.previous, 0)::INTEGER AS previous,
               a.negative_share, {low} AS negative_low, {high} AS negative_high, a.previous_negative_share
        FROM t LEFT JOIN a USING (topic) ORDER BY documents DESC, t.topic
        """,
        {"topics": topics, "start": start, "end": end, "days": days, "z": z_value()},
    )


def source_posts(db: Target, source_id: str) -> pd.DataFrame:
    """The newest posts of one source (up to aggregates.SOURCE_POSTS) with comment counts."""
    return query(
        db,
        """
        SELECT doc_id, published_at, title, author, url, comments, negative, sentiment
        FROM agg_source_posts WHERE source_id = ? ORDER BY rank
        """,
        [source_id],
    )


def post_comments(db: Target, doc_id: str) -> pd.DataFrame:
    """All comments of one post, oldest first, with sentiment and the questions they ask (a lookup by parent).

    `deleted`: the comment is gone from its blog (kept here, `documents.deleted_at`).
    """
    return query(
        db,
        """
        WITH c AS (SELECT doc_id, published_at, author, text, deleted_at FROM documents
                   WHERE parent_id = $doc_id),
        q AS (SELECT doc_id, list(question ORDER BY idx) AS questions FROM doc_questions
              WHERE doc_id IN (SELECT doc_id FROM c) GROUP BY doc_id)
        SELECT c.doc_id, c.published_at, c.author, coalesce(s.label, 'unknown') AS sentiment, c.text,
               coalesce(q.questions, []) AS questions, coalesce(s.corrected, false) AS corrected,
               c.deleted_at IS NOT NULL AS deleted
        FROM c LEFT JOIN effective_sentiment s USING (doc_id) LEFT JOIN q USING (doc_id)
        ORDER BY c.published_at NULLS LAST, c.doc_id
        """,
        {"doc_id": doc_id},
    )

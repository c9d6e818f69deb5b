"""Emerging topics and reader-question groups: reads of their inputs, set-based writes of results."""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from nlp.records import Cluster, ClusterDoc, ClusterResult

from .db import read_connection, transact
from .enrichment import from_blob, to_blob
from .ingest import now_utc
from .target import Target

MAX_EXAMPLES = 5
TEXT_CHARS = 4000  # of each post's text kept for labels and keywords (the embedding is of the whole post)


def recent_external_docs(db: Target, days: int, embedding_version: str) -> list[ClusterDoc]:
    """All external posts of the last `days` days with a current embedding, most recent first (no cap: the
    clustering is sub-quadratic; comments are too short to cluster). Blog = the URL's host."""
    with read_connection(db) as con:
        rows = con.execute(
            """
            SELECT d.doc_id, coalesce(d.title || '. ', '') || left(d.text, ?), e.vec, CAST(d.published_at AS DATE),
                   d.url, d.title, split_part(d.url, '/', 3), l.lang
            FROM documents d JOIN doc_embeddings e USING (doc_id) LEFT JOIN doc_language l USING (doc_id)
            WHERE NOT d.own AND d.kind = 'post' AND e.model_version = ?
              AND d.published_at >= (SELECT max(published_at) FROM documents) - to_days(?)
            ORDER BY d.published_at DESC, d.doc_id
            """,
            [TEXT_CHARS, embedding_version, days],
        ).fetchall()
    return [
        ClusterDoc(
            r[0], r[1], from_blob(r[2]), r[3].isoformat() if r[3] else None, r[4], r[5], r[6] or None, r[7]
        )
        for r in rows
    ]


def known_clusters(db: Target, table: str) -> list[Cluster]:
    """Active emerging topics (table='emerging_topics') or question groups (table='question_groups')."""
    key, where = ("topic_id", "WHERE active") if table == "emerging_topics" else ("group_id", "")
    with read_connection(db) as con:
        rows = con.execute(f"SELECT {key}, label, keywords, centroid FROM {table} {where}").fetchall()
    return [Cluster(r[0], r[1], tuple(json.loads(r[2])), (), from_blob(r[3])) for r in rows]


def write_emerging(
    db: Target,
    result: ClusterResult,
    docs: Sequence[ClusterDoc],
    shares: dict[str, float],
    run_id: str | None,
    model_version: str,
) -> None:
    """Upsert topics, replace the links of the clustered documents, log the run; unmatched topics go inactive."""
    day = {d.item_id: d.day for d in docs}
    vectors = {d.item_id: d.embedding for d in docs}
    topics = pd.DataFrame(
        [
            {
                "topic_id": c.cluster_id,
                "label": c.label,
                "subtitle": c.subtitle,
                "keywords": json.dumps(list(c.keywords), ensure_ascii=False),
                "centroid": to_blob(c.centroid),
                "size": len(c.members),
                "recent_share": shares.get(c.cluster_id, 0.0),
                "first_seen": min(filter(None, (day.get(m) for m in c.members)), default=None),
                "last_seen": max(filter(None, (day.get(m) for m in c.members)), default=None),
            }
            for c in result.clusters
        ],
        columns=[
            "topic_id",
            "label",
            "subtitle",
            "keywords",
            "centroid",
            "size",
            "recent_share",
            "first_seen",
            "last_seen",
        ],
    )
    links = pd.DataFrame(
        [
            (m, c.cluster_id, float(np.dot(vectors[m], c.centroid)))
            for c in result.clusters
            for m in c.members
        ],
        columns=["doc_id", "topic_id", "similarity"],
    ).astype({"doc_id": "string", "topic_id": "string", "similarity": "float64"})
    topics = topics.astype(
        {"topic_id": "string", "label": "string", "subtitle": "string", "keywords": "string", "size": "int64"}
    ).astype({"recent_share": "float64", "first_seen": "string", "last_seen": "string"})
    at = now_utc()

    def work(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("UPDATE emerging_topics SET active = FALSE WHERE active")
        if len(topics):  # an empty frame has no column types to bind
            con.register("topics_frame", topics.drop_duplicates("topic_id", keep="last"))
            con.execute(
                """
                MERGE INTO emerging_topics AS e
                USING (SELECT topic_id, label, subtitle, keywords, centroid, size, recent_share,
                              CAST(first_seen AS DATE) AS first_seen, CAST(last_seen AS DATE) AS last_seen
                       FROM topics_frame) AS t
                    ON e.topic_id = t.topic_id
                WHEN MATCHED THEN UPDATE SET label = t.label, subtitle = t.subtitle, keywords = t.keywords,
                    centroid = t.centroid, size = t.size, recent_share = t.recent_share,
                    first_seen = least(e.first_seen, t.first_seen), last_seen = t.last_seen, active = TRUE,
                    updated_at = now()
                WHEN NOT MATCHED THEN INSERT (topic_id, label, subtitle, keywords, centroid, size, recent_share,
                    first_seen, last_seen)
                    VALUES (t.topic_id, t.label, t.subtitle, t.keywords, t.centroid, t.size, t.recent_share,
                        t.first_seen, t.last_seen)
                """
            )
            con.unregister("topics_frame")
        con.register("ids_frame", pd.DataFrame({"doc_id": [d.item_id for d in docs]}, dtype="string"))
        con.execute("DELETE FROM emerging_topic_docs WHERE doc_id IN (SELECT doc_id FROM ids_frame)")
        con.register("links_frame", links)
        con.execute(
            "INSERT INTO emerging_topic_docs SELECT doc_id, topic_id, similarity, ? FROM links_frame", [at]
        )
        con.execute(
            "INSERT INTO emerging_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                at,
                run_id,
                result.n_items,
                len(result.clusters),
                sum(c.is_new for c in result.clusters),
                result.outlier_share,
                model_version,
            ],
        )
        for name in ("ids_frame", "links_frame"):
            con.unregister(name)

    transact(db, work, claim=("enrichment",))


def all_questions(db: Target) -> list[tuple[str, str, str, str]]:
    """(item_id = doc_id:idx, question, url, doc_id) of all detected questions, most recent first (no cap)."""
    with read_connection(db) as con:
        rows = con.execute(
            """
            SELECT q.doc_id || ':' || q.idx, q.question, d.url, q.doc_id
            FROM doc_questions q JOIN documents d USING (doc_id)
            ORDER BY d.published_at DESC NULLS LAST, q.doc_id, q.idx
            """
        ).fetchall()
    return [tuple(r) for r in rows]


def write_question_groups(
    db: Target, result: ClusterResult, questions: Sequence[tuple[str, str, str, str]]
) -> None:
    """Replace all groups and memberships with this run's (ids stay stable through matching)."""
    by_id = {q[0]: q for q in questions}
    groups, members = [], []
    for c in result.clusters:
        examples = [
            {"question": by_id[m][1], "url": by_id[m][2], "doc_id": by_id[m][3]}
            for m in c.members[:MAX_EXAMPLES]
        ]
        groups.append(
            {
                "group_id": c.cluster_id,
                "label": c.representative or c.label,
                "keywords": json.dumps(list(c.keywords), ensure_ascii=False),
                "centroid": to_blob(c.centroid),
                "n_questions": len(c.members),
                "n_documents": len({by_id[m][3] for m in c.members}),
                "examples": json.dumps(examples, ensure_ascii=False),
            }
        )
        members += [(by_id[m][3], int(m.rsplit(":", 1)[1]), c.cluster_id) for m in c.members]
    frame = pd.DataFrame(
        groups,
        columns=["group_id", "label", "keywords", "centroid", "n_questions", "n_documents", "examples"],
    )
    member_frame = pd.DataFrame(members, columns=["doc_id", "idx", "group_id"])

    def work(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("DELETE FROM question_groups")
        con.execute("DELETE FROM question_group_members")
        if not len(frame):  # nothing to insert (an empty frame has no column types to bind)
            return
        con.register("groups_frame", frame)
        con.execute(
            "INSERT INTO question_groups (group_id, label, keywords, centroid, n_questions, n_documents, examples)"
            " SELECT * FROM groups_frame"
        )
        con.register("members_frame", member_frame)
        con.execute("INSERT INTO question_group_members SELECT * FROM members_frame")
        con.unregister("groups_frame")
        con.unregister("members_frame")

    transact(db, work, claim=("enrichment",))

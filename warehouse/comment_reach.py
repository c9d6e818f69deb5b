"""How each post's comments were read (`comment_reach`): the method, and threads the crawler cannot read.

Written with every fetch that extracted article pages (`record_comment_checks`, inside the ingest
transaction), which also marks comments deleted on their blog (`mark_deleted_comments`); read by `resonanz health` and the app's Sources page (`unreachable_comments`,
`comment_methods`), so a blog whose comments come from Disqus shows "comments not reachable:
Disqus" instead of a silent zero.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from crawlers.records import CommentCheck, FetchOutcome, doc_id_for

from .db import query
from .target import Target

_COLUMNS = ["source_id", "post_id", "post_url", "method", "comments", "unreachable", "complete"]


def record_comment_checks(
    con: duckdb.DuckDBPyConnection, source_id: str, checks: list[CommentCheck], run_id: str | None
) -> None:
    """Insert or replace one row per (source, post) checked in this fetch; inside the caller's transaction."""
    if not checks:
        return
    frame = pd.DataFrame(
        [
            (source_id, doc_id_for(c.post_url), c.post_url, c.method, c.comments, c.unreachable, c.complete)
            for c in checks
        ],
        columns=_COLUMNS,
    ).drop_duplicates("post_id", keep="last")
    frame["unreachable"] = frame["unreachable"].astype("string")
    con.register("incoming_reach", frame)
    con.execute(
        """
        MERGE INTO comment_reach AS r USING incoming_reach AS i
            ON r.source_id = i.source_id AND r.post_id = i.post_id
        WHEN MATCHED THEN UPDATE SET post_url = i.post_url, method = i.method, comments = i.comments,
            unreachable = i.unreachable, complete = i.complete, checked_at = now(), run_id = $run_id
        WHEN NOT MATCHED THEN INSERT (source_id, post_id, post_url, method, comments, unreachable, complete,
            checked_at, run_id)
            VALUES (i.source_id, i.post_id, i.post_url, i.method, i.comments, i.unreachable, i.complete, now(),
                $run_id)
        """,
        {"run_id": run_id},
    )
    con.unregister("incoming_reach")


def unreachable_comments(db: Target) -> pd.DataFrame:
    """Per active source and comment system: how many posts have comments the crawler cannot read.

    Columns: source_id, name, system, posts, example_url (one such post), last_checked.
    """
    return query(
        db,
        """
        SELECT r.source_id, s.name, r.unreachable AS system, count(*)::BIGINT AS posts,
               min(r.post_url) AS example_url, max(r.checked_at) AS last_checked
        FROM comment_reach r JOIN sources s USING (source_id)
        WHERE s.active AND r.unreachable IS NOT NULL
        GROUP BY r.source_id, s.name, r.unreachable
        ORDER BY posts DESC, r.source_id, system
        """,
    )


def comment_methods(db: Target) -> pd.DataFrame:
    """Per active source: posts checked, and how many had their comments served by each method.

    Columns: source_id, name, method, posts, comments.
    """
    return query(
        db,
        """
        SELECT r.source_id, s.name, r.method, count(*)::BIGINT AS posts, sum(r.comments)::BIGINT AS comments
        FROM comment_reach r JOIN sources s USING (source_id)
        WHERE s.active
        GROUP BY r.source_id, s.name, r.method
        ORDER BY r.source_id, posts DESC
        """,
    )


def mark_deleted_comments(
    con: duckdb.DuckDBPyConnection, outcome: FetchOutcome, run_id: str | None
) -> tuple[int, int]:
    """Mark stored comments of fully read posts that this fetch no longer found; clear those seen again.

    Only posts whose whole thread was read count (`CommentCheck.complete`: no unreadable embed, no
    comment pages beyond the first, a REST API paged to the end); the rows stay, with `deleted_at`.
    Returns (marked deleted, restored).
    """
    posts = sorted({doc_id_for(c.post_url) for c in outcome.comment_checks if c.complete})
    if not posts:
        return 0, 0
    seen = sorted({d.doc_id for d in outcome.documents if d.kind == "comment"})
    frame_posts = pd.DataFrame({"post_id": posts}, dtype="string")
    frame_seen = pd.DataFrame({"doc_id": seen}, dtype="string")
    con.register("checked_posts", frame_posts)
    con.register("seen_comments", frame_seen)
    params = {"source": outcome.source_id, "run_id": run_id}
    deleted = con.execute(
        """
        UPDATE documents SET deleted_at = now(), last_run_id = $run_id
        WHERE kind = 'comment' AND source_id = $source AND deleted_at IS NULL
          AND parent_id IN (SELECT post_id FROM checked_posts)
          AND doc_id NOT IN (SELECT doc_id FROM seen_comments)
        """,
        params,
    ).fetchone()[0]
    restored = con.execute(
        """
        UPDATE documents SET deleted_at = NULL, last_run_id = $run_id
        WHERE kind = 'comment' AND source_id = $source AND deleted_at IS NOT NULL
          AND doc_id IN (SELECT doc_id FROM seen_comments)
        """,
        params,
    ).fetchone()[0]
    con.unregister("checked_posts")
    con.unregister("seen_comments")
    return int(deleted), int(restored)

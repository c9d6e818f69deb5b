"""Enrichment results: what is pending per task and model version, and set-based writes of results."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from nlp.records import DocText, Enrichment, ModelInfo

from .db import read_connection, transact
from .ingest import now_utc
from .target import Target

TASK_TABLES = {
    "language": "doc_language",
    "sentiment": "doc_sentiment",
    "topics": "doc_topics",
    "questions": "doc_questions",
    "embedding": "doc_embeddings",
}


@dataclass(frozen=True, slots=True)
class PendingDoc:
    """A document and the tasks it still needs for the current models."""

    doc: DocText
    content_hash: str
    tasks: frozenset[str]


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32)


def _pending_sql(tasks: Sequence[str], force: bool, with_embedding: bool) -> str:
    joins, needs = [], []
    for i, task in enumerate(tasks):
        joins.append(f"LEFT JOIN nlp_status s{i} ON s{i}.doc_id = d.doc_id AND s{i}.task = '{task}'")
        needs.append(
            "TRUE"
            if force
            else f"(s{i}.doc_id IS NULL OR s{i}.model <> $m{i} OR s{i}.model_version <> $v{i}"
            f" OR s{i}.content_hash <> d.content_hash)"
        )
    embedding = "NULL AS vec"
    if with_embedding:
        joins.append("LEFT JOIN doc_embeddings e ON e.doc_id = d.doc_id AND e.model_version = $ev")
        embedding = "e.vec"
    flags = ", ".join(f"{n} AS need{i}" for i, n in enumerate(needs))
    return f"""
        SELECT * FROM (
            SELECT d.doc_id, d.kind, d.own, d.title, d.text, d.url, d.published_at, d.content_hash, {embedding},
                   {flags}
            FROM documents d {" ".join(joins)}
            WHERE d.doc_id > $after
        ) WHERE {" OR ".join(f"need{i}" for i in range(len(tasks)))}
        ORDER BY doc_id LIMIT $limit
    """


def pending_pages(
    db: Target,
    infos: Sequence[ModelInfo],
    force: bool = False,
    page_size: int = 1000,
    embedding_version: str | None = None,
) -> Iterator[list[PendingDoc]]:
    """Pages of documents lacking a result of the current model version for any task in `infos`.

    Paged by doc_id (keyset), each page read in its own short read-only connection, so the caller
    may write results between pages and memory stays flat. With `embedding_version`, stored embeddings
    of that version come along as DocText.embedding.
    """
    tasks = [i.task for i in infos]
    sql = _pending_sql(tasks, force, embedding_version is not None)
    params: dict[str, object] = {"limit": page_size}
    if not force:
        for i, info in enumerate(infos):
            params[f"m{i}"], params[f"v{i}"] = info.name, info.version
    if embedding_version is not None:
        params["ev"] = embedding_version
    after = ""
    while True:
        with read_connection(db) as con:
            rows = con.execute(sql, {**params, "after": after}).fetchall()
        if not rows:
            return
        page = []
        for row in rows:
            doc_id, kind, own, title, text, url, published, content_hash, vec, *needs = row
            doc = DocText(
                doc_id,
                text or "",
                title,
                kind,
                bool(own),
                url,
                published,
                embedding=from_blob(vec) if vec is not None else None,
            )
            page.append(
                PendingDoc(doc, content_hash, frozenset(t for t, n in zip(tasks, needs, strict=True) if n))
            )
        yield page
        after = rows[-1][0]


def count_documents(db: Target) -> int:
    with read_connection(db) as con:
        return con.execute("SELECT count(*) FROM documents").fetchone()[0]


def _replace(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, doc_ids: list[str]) -> None:
    con.register("ids_frame", pd.DataFrame({"doc_id": doc_ids}))
    con.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT doc_id FROM ids_frame)")
    con.unregister("ids_frame")
    if len(frame):
        con.register("rows_frame", frame)
        con.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT * FROM rows_frame")
        con.unregister("rows_frame")


def _frames(results: Sequence[Enrichment], info: ModelInfo, at: pd.Timestamp) -> pd.DataFrame:
    """The result rows of one task."""
    meta = {"model": info.name, "model_version": info.version, "enriched_at": at}
    task = info.task
    if task == "language":
        rows = [{"doc_id": e.doc_id, "lang": e.language.label, "score": e.language.score} for e in results]
    elif task == "sentiment":
        rows = [
            {
                "doc_id": e.doc_id,
                "label": e.sentiment.label,
                "score": e.sentiment.score,
                **{f"p_{k}": v for k, v in e.sentiment.scores.items()},
            }
            for e in results
        ]
    elif task == "topics":
        rows = [
            {"doc_id": e.doc_id, "topic": t.topic, "score": t.score, "assigned": t.assigned}
            for e in results
            for t in e.topics or ()
        ]
    elif task == "questions":
        meta.pop("model")
        rows = [
            {"doc_id": e.doc_id, "idx": i, "question": q}
            for e in results
            for i, q in enumerate(e.questions.questions)
        ]
    elif task == "embedding":
        rows = [{"doc_id": e.doc_id, "dim": len(e.embedding), "vec": to_blob(e.embedding)} for e in results]
    else:
        raise ValueError(f"unknown task {task!r}")
    return pd.DataFrame([{**r, **meta} for r in rows])


def write_enrichments(
    db: Target,
    results: Sequence[Enrichment],
    infos: Sequence[ModelInfo],
    content_hashes: dict[str, str],
    run_id: str | None = None,
) -> None:
    """Replace the results of these documents for these tasks and mark them done, in one transaction.

    The transaction claims the enrichment group: two workers writing results of the same document
    into a DuckLake commit one after the other, so a result row is never doubled.
    """
    if not results:
        return
    at = pd.Timestamp(now_utc())

    def work(con: duckdb.DuckDBPyConnection) -> None:
        for info in infos:
            done = [e for e in results if getattr(e, info.task) is not None]
            if not done:
                continue
            ids = [e.doc_id for e in done]
            _replace(con, TASK_TABLES[info.task], _frames(done, info, at), ids)
            status = pd.DataFrame(
                {
                    "doc_id": ids,
                    "task": info.task,
                    "model": info.name,
                    "model_version": info.version,
                    "content_hash": [content_hashes[i] for i in ids],
                    "enriched_at": at,
                    "run_id": run_id,
                }
            )
            con.register("status_frame", status.drop_duplicates("doc_id", keep="last"))
            con.execute(
                """
                MERGE INTO nlp_status AS s USING status_frame AS f ON s.doc_id = f.doc_id AND s.task = f.task
                WHEN MATCHED THEN UPDATE SET model = f.model, model_version = f.model_version,
                    content_hash = f.content_hash, enriched_at = f.enriched_at, run_id = f.run_id
                WHEN NOT MATCHED THEN INSERT (doc_id, task, model, model_version, content_hash, enriched_at, run_id)
                    VALUES (f.doc_id, f.task, f.model, f.model_version, f.content_hash, f.enriched_at, f.run_id)
                """
            )
            con.unregister("status_frame")

    transact(db, work, claim=("enrichment",))


def register_models(db: Target, infos: Sequence[ModelInfo]) -> None:
    """Record the models (name, version) a run used, with first/last use."""
    frame = pd.DataFrame(
        sorted({(i.task, i.name, i.version) for i in infos}), columns=["task", "model", "model_version"]
    ).astype("string")

    def work(con: duckdb.DuckDBPyConnection) -> None:
        con.register("models_frame", frame)
        con.execute(
            """
            MERGE INTO nlp_models AS m USING models_frame AS f
                ON m.task = f.task AND m.model = f.model AND m.model_version = f.model_version
            WHEN MATCHED THEN UPDATE SET last_used_at = now()
            WHEN NOT MATCHED THEN INSERT (task, model, model_version) VALUES (f.task, f.model, f.model_version)
            """
        )
        con.unregister("models_frame")

    transact(db, work, claim=("enrichment",))


def embedding_sample(db: Target, model_version: str, limit: int = 5000) -> np.ndarray | None:
    """Up to `limit` stored embeddings of a version, the most recently published first."""
    with read_connection(db) as con:
        rows = con.execute(
            """
            SELECT e.vec FROM doc_embeddings e JOIN documents d USING (doc_id)
            WHERE e.model_version = ? ORDER BY d.published_at DESC NULLS LAST, e.doc_id LIMIT ?
            """,
            [model_version, limit],
        ).fetchall()
    return np.stack([from_blob(r[0]) for r in rows]) if rows else None

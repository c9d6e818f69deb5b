"""Empty is a normal state: 0 documents, 0 clusters, 0 questions are written and read without errors."""

from __future__ import annotations

from pathlib import Path

from nlp.records import ClusterResult
from warehouse.db import init_db, query
from warehouse.grouping import (
    all_questions,
    known_clusters,
    recent_external_docs,
    write_emerging,
    write_question_groups,
)

EMPTY = ClusterResult(clusters=(), outliers=(), n_items=0)


def test_grouping_writes_an_empty_result_on_an_empty_database(tmp_db: Path) -> None:
    """Issue 16: an empty frame was typed float and `DELETE … WHERE doc_id IN (…)` failed to bind."""
    init_db(tmp_db)
    docs = recent_external_docs(tmp_db, 56, "any-version")
    assert docs == [] and known_clusters(tmp_db, "emerging_topics") == []
    write_emerging(tmp_db, EMPTY, docs, {}, "run-1", "any-version")
    write_question_groups(tmp_db, EMPTY, all_questions(tmp_db))
    assert query(tmp_db, "SELECT count(*) n FROM emerging_topic_docs")["n"][0] == 0
    assert query(tmp_db, "SELECT count(*) n FROM question_groups")["n"][0] == 0
    runs = query(tmp_db, "SELECT run_id, n_docs, n_topics FROM emerging_runs")
    assert runs.values.tolist() == [["run-1", 0, 0]]

"""Every feed of ../shared/data/feeds (ill-formed, odd encodings, entities...) through one pipeline run.

Each file is one source: it is stored in full or rejected with an error naming its URL in fetch_log,
and the run never fails. Complements test_feeds_manifest.py, which checks the parse itself.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from httpserver import LocalServer
from reliability import fetch_log, write_config

from crawlers.feeds import collect_feed
from crawlers.http import HttpSettings
from warehouse.db import query

pytestmark = pytest.mark.shared


def _serve(server: LocalServer, root: Path, row: dict[str, str]) -> str:
    """The file at a URL of its own, with the manifest's response header."""
    name, _, value = row["header"].partition(":")
    headers = {name.strip(): value.strip()} if value.strip() else {}
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    others = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return server.add(
        f"/shared/{row['path']}", (root / row["path"]).read_bytes(), content_type=ctype, headers=others
    )


@pytest.fixture(scope="module")
def shared_run(shared_dir: Path, tmp_path_factory, prefect_harness) -> dict:
    from flows.pipeline import run_pipeline

    root = shared_dir / "data" / "feeds"
    with (root / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    server = LocalServer()
    try:
        sources = {f"f{i:03d}": (row, _serve(server, root, row)) for i, row in enumerate(rows)}
        folder = tmp_path_factory.mktemp("shared-feeds")
        config = write_config(
            folder, feeds=[{"id": sid, "url": url, "full_text": "never"} for sid, (_, url) in sources.items()]
        )
        summary = run_pipeline(str(config), enrich=False)
        http = HttpSettings(user_agent="ResonanzTest/1.0", timeout_s=5)
        expected = {
            sid: collect_feed(sid, url, full_text="never", http=http) for sid, (_, url) in sources.items()
        }
    finally:
        server.close()
    db = Path(summary.db)
    return {
        "summary": summary,
        "sources": sources,
        "log": fetch_log(db, summary.run_id),
        "db": db,
        "expected": expected,
    }


def test_the_run_survives_every_file(shared_run) -> None:
    summary = shared_run["summary"]
    assert summary.error is None and summary.status in ("ok", "partial")
    assert len(shared_run["sources"]) > 100
    assert set(shared_run["log"].index) == set(shared_run["sources"])  # a fetch_log row per file


def test_each_file_is_stored_in_full_or_rejected_with_a_recorded_error(shared_run) -> None:
    log, problems = shared_run["log"], []
    for sid, (row, url) in shared_run["sources"].items():
        entry, outcome = log.loc[sid], shared_run["expected"][sid]
        if entry["status"] == "error":
            if not (entry["error"] and url in entry["error"]):
                problems.append(f"{row['path']}: error without its URL: {entry['error']}")
            continue
        stored = entry["new"] + entry["updated"] + entry["unchanged"]
        if stored != len({d.doc_id for d in outcome.documents}):
            problems.append(f"{row['path']}: {stored} stored of {len(outcome.documents)} documents")
        if entry["status"] == "partial" and url not in (entry["error"] or ""):
            problems.append(f"{row['path']}: partial without a recorded problem")
    assert problems == []
    assert (log["status"] == "ok").sum() > len(log) // 2


def test_well_formed_files_with_entries_are_not_flagged(shared_run) -> None:
    log, expected = shared_run["log"], shared_run["expected"]
    flagged = [
        row["path"]
        for sid, (row, _) in shared_run["sources"].items()
        if row["expect"].startswith("not bozo") and expected[sid].documents and log.loc[sid, "status"] != "ok"
    ]
    assert flagged == []


def test_odd_encodings_are_stored_as_text(shared_run) -> None:
    """What the encoding files hold arrives intact: the parser's titles and the detected encoding."""
    log, db = shared_run["log"], shared_run["db"]
    checked = 0
    for sid, (row, _) in shared_run["sources"].items():
        if not row["path"].startswith("encoding/") or log.loc[sid, "status"] == "error":
            continue
        titles = {d.title for d in shared_run["expected"][sid].documents}
        stored = set(query(db, "SELECT title FROM documents WHERE source_id = ?", [sid])["title"])
        assert stored <= titles | {None}, row["path"]
        assert not any("\ufffd" in (t or "") for t in stored), row["path"]
        meta = json.loads(log.loc[sid, "meta"])
        assert meta["encoding"] == shared_run["expected"][sid].meta["encoding"], row["path"]
        checked += 1
    assert checked >= 25

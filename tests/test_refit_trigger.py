"""The pipeline's refit trigger: enough new corrections → refit the head on them, record it, load it next."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures.insight_db import copy_db, shared_insight_db

from flows.gates import enrichment_gate
from flows.refit import refit_if_due, refit_now
from resonanz.config import ConfigError, parse_config
from warehouse import corrections, insights
from warehouse.db import query


@dataclass(frozen=True)
class FakeResult:
    version: str
    corrections: int


class FakeRefitter:
    """Stands in for nlp.adapt.refit_head: writes a file and returns what it learned from."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, str]]] = []

    def __call__(self, examples, out: Path) -> FakeResult:
        self.calls.append(list(examples))
        Path(out).write_bytes(b"head %d" % len(self.calls))
        return FakeResult(f"head-6+corr{len(examples)}", len(examples))


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    db = copy_db(shared_insight_db()[0], tmp_path / "refit.duckdb")
    monkeypatch.setenv("RESONANZ_DATA_DIR", str(tmp_path / "data"))
    cfg = parse_config("[models]\nrefit_after = 3")
    posts = insights.own_posts(db)
    comment_ids = insights.post_comments(db, posts["doc_id"].iloc[0])["doc_id"].tolist()
    return db, cfg, comment_ids


def test_refit_waits_for_enough_new_corrections_then_runs_once(setup):
    db, cfg, ids = setup
    refitter = FakeRefitter()
    corrections.set_sentiment(db, ids[0], "negative", "Anna")
    corrections.set_sentiment(db, ids[1], "positive", "Anna")
    waiting = refit_if_due(cfg, db, refitter)
    assert (waiting.refitted, waiting.due, waiting.skipped) == (False, 2, "2 of 3 new corrections")
    assert cfg.models_in_use.sentiment == "builtin:sentiment-head"

    corrections.set_sentiment(db, ids[2], "neutral", "Ben")
    corrections.set_topics(db, ids[2], ["Cloud-ERP"], "Ben")  # topic corrections do not count
    before = enrichment_gate(cfg, db).fingerprint()
    done = refit_if_due(cfg, db, refitter)
    assert (done.refitted, done.due, done.corrections, done.version) == (True, 3, 3, "head-6+corr3")
    assert [label for _, label in refitter.calls[0]] == ["negative", "positive", "neutral"]
    assert cfg.refit_head.read_bytes() == b"head 1" and not list(cfg.refit_head.parent.glob("*partial*"))
    assert cfg.models_in_use.sentiment == str(cfg.refit_head)  # enrichment loads the refitted head
    assert enrichment_gate(cfg, db).fingerprint() != before
    refits = query(db, "SELECT model_version, corrections FROM correction_refits")
    assert refits.values.tolist() == [["head-6+corr3", 3]]

    again = refit_if_due(cfg, db, refitter)
    assert (again.refitted, again.due) == (False, 0) and len(refitter.calls) == 1


def test_refit_is_off_at_zero_for_other_models_and_without_the_refitter(
    setup, monkeypatch: pytest.MonkeyPatch
):
    db, _, ids = setup
    for doc_id in ids[:3]:
        corrections.set_sentiment(db, doc_id, "negative", "Anna")
    off = refit_if_due(parse_config("[models]\nrefit_after = 0"), db, FakeRefitter())
    assert off.skipped == "models.refit_after = 0"
    other = refit_if_due(parse_config('[models]\nrefit_after = 1\nsentiment = "some/model"'), db)
    assert not other.refitted and "only the builtin head" in other.skipped
    monkeypatch.setattr("flows.refit.default_refitter", lambda: None)
    missing = refit_if_due(parse_config("[models]\nrefit_after = 1"), db)
    assert not missing.refitted and "not available" in missing.skipped


def test_refit_after_is_validated():
    with pytest.raises(ConfigError, match="refit_after"):
        parse_config("[models]\nrefit_after = -1")
    assert parse_config("").models.refit_after == 50


def test_refit_now_learns_from_any_number_of_corrections(setup):
    db, cfg, ids = setup
    assert refit_now(cfg, db, FakeRefitter()).skipped == "no sentiment corrections to learn from"
    corrections.set_sentiment(db, ids[0], "negative", "Anna")
    done = refit_now(cfg, db, FakeRefitter())
    assert (done.refitted, done.corrections, done.due) == (True, 1, 1)
    assert cfg.models_in_use.sentiment == str(cfg.refit_head)


def test_run_summary_says_when_the_head_was_refitted():
    from resonanz.commands.summary import refit_lines

    done = {
        "refitted": True,
        "corrections": 60,
        "version": "head-6+corr60-ab12cd34",
        "due": 60,
        "threshold": 50,
    }
    assert refit_lines(done) == ["sentiment head refitted on 60 corrections: head-6+corr60-ab12cd34"]
    assert (
        refit_lines({"refitted": False, "due": 12, "threshold": 50, "skipped": "12 of 50 new corrections"})
        == []
    )
    missing = {
        "refitted": False,
        "due": 50,
        "threshold": 50,
        "skipped": "nlp.adapt.refit_head is not available",
    }
    assert refit_lines(missing) == ["sentiment head not refitted: nlp.adapt.refit_head is not available"]
    assert refit_lines({"refitted": False, "error": "ValueError: boom"}) == [
        "sentiment head not refitted: ValueError: boom"
    ]


def test_train_corrections_refits_the_real_head_and_records_it(setup, tmp_path, monkeypatch, capsys):
    """`resonanz train --corrections` runs nlp.adapt.refit_head on the standing corrections."""
    import json

    from nlp.sentiment import HeadModel
    from resonanz.cli import main

    db, _, ids = setup
    config = tmp_path / "resonanz.toml"
    config.write_text(f'[resonanz]\ndatabase = "{db}"\n', encoding="utf-8")
    assert main(["train", "--corrections", "--config", str(config)]) == 1  # nothing to learn from yet
    assert "no sentiment corrections" in capsys.readouterr().err
    corrections.set_sentiment(db, ids[0], "negative", "Anna")
    corrections.set_sentiment(db, ids[1], "positive", "Anna")
    assert main(["train", "--corrections", "--config", str(config)]) == 0
    out = json.loads(capsys.readouterr().out)
    head = HeadModel(Path(out["head"]))
    assert out["refitted"] and out["corrections"] == head.corrections == 2 and "+corr2-" in head.version
    assert out["version"] == head.version and corrections.corrections_since_refit(db) == 0

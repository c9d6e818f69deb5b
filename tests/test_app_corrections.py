"""Editors correct sentiment and topics in the app (AppTest): the pages show it at once, undo restores it,
and the correction survives `resonanz enrich --force`."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
import test_app_pages
import tomli_w
from streamlit.testing.v1 import AppTest
from test_app_pages import page, texts

from nlp.tiny import build_tiny_bert
from resonanz.cli import main
from ui.widgets import sentiment_badge
from warehouse import corrections, insights
from warehouse.db import query

app_env = test_app_pages.app_env  # the pages suite's fixture: a private copy of the demo database
PRICING_POST = "Neues Lizenzmodell: KontorOne ab 2027 pro Nutzer"


def _pricing(db: Path) -> tuple[str, dict]:
    posts = insights.own_posts(db)
    post = posts[posts["title"] == PRICING_POST].iloc[0]
    comments = insights.post_comments(db, post["doc_id"])
    return post["doc_id"], comments[comments["sentiment"] != "negative"].iloc[0].to_dict()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _correct(at: AppTest, key: str, doc_id: str, sentiment: str, who: str = "Anna") -> AppTest:
    at.selectbox(key=f"{key}-doc").set_value(doc_id).run()
    at.text_input(key=f"{key}-who").input(who).run()
    at.radio(key=f"{key}-sentiment").set_value(sentiment)
    return _button(at, "Save correction").click().run()


def _mix(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Sentiment:**"))


def test_correct_a_comment_on_own_blog_feedback_then_undo(app_env: Path):
    post_id, comment = _pricing(app_env)
    at = page("feedback")
    at.selectbox(key="feedback_post").set_value(post_id).run()
    before = _mix(at)
    at = _correct(at, "feedback-correct", comment["doc_id"], "negative")
    assert not at.exception, [e.value for e in at.exception]

    made = corrections.list_corrections(app_env, doc_id=comment["doc_id"])
    assert [(c.labels, c.previous, c.author, c.undone) for c in made] == [
        (("negative",), (comment["sentiment"],), "Anna", False)
    ]
    row = insights.own_posts(app_env).set_index("doc_id").loc[post_id]
    assert f"negative {row['negative']} " in _mix(at) and _mix(at) != before  # the page shows it at once
    assert "(corrected)" in texts(at)

    at = _button(at, "Undo sentiment correction").click().run()
    assert not at.exception
    assert corrections.list_corrections(app_env, doc_id=comment["doc_id"])[0].undone
    assert _mix(at) == before
    assert _button(at, "Undo sentiment correction").disabled


def test_editor_name_comes_from_the_environment_and_topics_can_be_set(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RESONANZ_USER", "Claudia Redaktion")
    post_id, _ = _pricing(app_env)
    at = page("feedback")
    at.selectbox(key="feedback_post").set_value(post_id).run()
    at.selectbox(key="feedback-correct-doc").set_value(post_id).run()
    assert at.text_input(key="feedback-correct-who").value == "Claudia Redaktion"
    at.multiselect(key="feedback-correct-topics").set_value(["Cloud-ERP"])
    at = _button(at, "Save correction").click().run()
    assert not at.exception
    made = corrections.list_corrections(app_env, doc_id=post_id, task="topic")
    assert made[0].labels == ("Cloud-ERP",) and made[0].author == "Claudia Redaktion"
    assert corrections.current_labels(app_env, post_id).topics == ("Cloud-ERP",)


@pytest.mark.slow
@pytest.mark.timeout(900)  # re-enriches the whole demo corpus
def test_a_correction_on_read_a_source_survives_enrich_force(app_env: Path, tmp_path: Path):
    post_id, comment = _pricing(app_env)
    source = query(app_env, "SELECT source_id FROM documents WHERE doc_id = ?", [post_id])["source_id"][0]
    at = page("sources")
    at.selectbox(key="linked-source").set_value(source).run()
    at.selectbox(key="linked-post").set_value(post_id).run()
    label = "positive" if comment["sentiment"] == "neutral" else "neutral"
    at = _correct(at, "source-correct", comment["doc_id"], label, "Ben")
    assert not at.exception, [e.value for e in at.exception]
    assert corrections.current_labels(app_env, comment["doc_id"]).sentiment == label

    # Re-enrich everything with another (tiny) model, then rebuild the aggregates as a run would.
    tiny = build_tiny_bert(tmp_path / "tiny", ["negative", "neutral", "positive"])
    config_path = Path(os.environ["RESONANZ_CONFIG"])
    config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    config["models"] = {**config.get("models", {}), "sentiment": str(tiny), "device": "cpu", "max_length": 16}
    config_path.write_text(tomli_w.dumps(config), encoding="utf-8")
    assert main(["enrich", "--force", "--yes", "-q"]) == 0
    assert main(["refresh"]) == 0
    assert set(query(app_env, "SELECT DISTINCT model_version FROM doc_sentiment")["model_version"]) != {"1"}

    at = page("sources")
    at.selectbox(key="linked-source").set_value(source).run()
    at.selectbox(key="linked-post").set_value(post_id).run()
    assert not at.exception
    shown = insights.post_comments(app_env, post_id).set_index("doc_id").loc[comment["doc_id"]]
    assert shown["sentiment"] == label and shown["corrected"]
    assert any(m.value.startswith(f"{sentiment_badge(label)} (corrected)") for m in at.markdown)
    assert corrections.list_corrections(app_env, doc_id=comment["doc_id"])[0].author == "Ben"

"""The bundled demo blogosphere meets the storyline and volume requirements."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from demo.check_content import check_blog

CONTENT = Path(__file__).resolve().parents[1] / "demo" / "content"
FILES = sorted(CONTENT.glob("*.json"))


def _published(blog: dict) -> list[dict]:
    return [p for p in blog["posts"] if not p.get("reserve") and not p.get("draft")]


@pytest.fixture(scope="module")
def blogs() -> list[dict]:
    return [json.loads(f.read_text(encoding="utf-8")) for f in FILES]


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_each_file_follows_the_spec(path: Path):
    errors, _ = check_blog(path)
    assert errors == []


def test_volumes_and_languages(blogs: list[dict]):
    external = [b for b in blogs if not b["own"]]
    own = [b for b in blogs if b["own"]]
    assert len(external) >= 8 and len(own) == 1
    assert {b["lang"] for b in external} == {"de", "en"}
    assert sum(len(_published(b)) for b in external) >= 150
    own_posts = _published(own[0])
    assert len(own_posts) >= 20
    assert sum(len(p["comments"]) for p in own_posts) >= 150
    days = [p["days_ago"] for b in blogs for p in _published(b)]
    assert min(days) <= 3 and max(days) >= 77  # spread over ~12 weeks


def test_emerging_storyline_is_recent_independent_and_uncovered(blogs: list[dict]):
    emerging = [(b["slug"], p) for b in blogs for p in _published(b) if p["theme"] == "data-act-switching"]
    assert len({slug for slug, _ in emerging}) >= 5  # several independent bloggers
    assert all(p["days_ago"] <= 13 for _, p in emerging)  # started in the last two weeks
    assert not any(b["own"] for b in blogs if b["slug"] in {slug for slug, _ in emerging})


def test_reader_questions_negative_post_and_hostile_comment(blogs: list[dict]):
    own = next(b for b in blogs if b["own"])
    questions = [c for p in _published(own) for c in p["comments"] if c["question"]]
    assert len(questions) >= 30
    worst = max(_published(own), key=lambda p: Counter(c["sentiment"] for c in p["comments"])["negative"])
    moods = Counter(c["sentiment"] for c in worst["comments"])
    assert moods["negative"] >= 10 and moods["negative"] > moods["positive"] + moods["neutral"]
    hostile = [c for b in blogs for p in _published(b) for c in p["comments"] if c.get("hostile")]
    assert len(hostile) == 1 and "<script>" in hostile[0]["text"]

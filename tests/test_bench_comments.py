"""bench/eval_comments.py: its scorecard follows the data set's score.py on small hand-made cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.eval_comments import Card, _digits_match, _same_minute, bag_f1, split_of


def test_bag_f1_and_date_rules() -> None:
    assert bag_f1("a b c", "a b c") == 1.0 and bag_f1("", "a") == 0.0
    assert round(bag_f1("a b", "a c"), 3) == 0.5
    assert _digits_match("October 18, 2012 at 8:05 am", "2012-10-18T08:05:00+00:00")
    assert not _digits_match("October 18, 2012 at 3:05 pm", "2012-10-18T15:05:00+00:00")  # score.py's rule
    assert _same_minute("October 18, 2012 at 3:05 pm", "2012-10-18T15:05:00+00:00")
    assert not _same_minute("October 18, 2012 at 3:05 pm", "2012-10-19T15:05:00+00:00")
    assert _same_minute("11. Jul, 2012 /", "2012-07-11T00:00:00+00:00")


def test_split_is_stable_and_about_half() -> None:
    splits = [split_of(str(i)) for i in range(400)]
    assert splits == [split_of(str(i)) for i in range(400)]
    assert 150 < splits.count("dev") < 250


def test_card_scores_one_page() -> None:
    gold = {"main_text": "the post body here", "comments_text": "Ann great post Bob I disagree strongly"}
    silver = [
        {"author": "Ann", "date": "May 2, 2012", "text": "great post"},
        {"author": "Bob", "date": None, "text": "I disagree strongly"},
        {"author": None, "date": None, "text": "never extracted at all"},
    ]
    pred = {
        "main_text": "the post body here disagree",
        "comments": [
            {"author": "ann", "date": "2012-05-02T00:00:00+00:00", "text": "great post"},
            {"author": "Robert", "date": None, "text": "I disagree strongly"},
        ],
    }
    card = Card()
    card.add(pred, gold, silver)
    figures = card.figures()
    assert (card.pages, card.found, card.silver, card.matched) == (1, 1, 3, 2)
    assert (figures["author"], figures["date"]) == (0.5, 1.0)
    only_comment_words = {"ann", "great", "bob", "i", "disagree", "strongly"}
    assert figures["leakage"] == pytest.approx(1 / len(only_comment_words))
    assert figures["main F1"] == pytest.approx(bag_f1(pred["main_text"], gold["main_text"]))


def test_bench_runs_on_the_shared_pages(shared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.eval_comments import main

    assert main(["--data", str(shared_dir / "data" / "comments"), "--limit", "4", "--baseline", ""]) == 0
    out = capsys.readouterr().out
    assert "comments held-out: found" in out.splitlines()[-1] and "trafilatura" in out

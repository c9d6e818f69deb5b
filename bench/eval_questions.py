"""Question detection (nlp.questions rules) against the demo comments' `question` labels.

`python bench/eval_questions.py` prints precision and recall over all demo comments (own and external
blogs), then `fig:` lines (see bench/RESULTS.md). The demo's labels are evaluation data only: the rules
were not tuned on them by this script.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import figure
from nlp.questions import QuestionRules
from nlp.records import DocText

CONTENT = Path(__file__).resolve().parents[1] / "demo" / "content"


def labelled_comments(content: Path = CONTENT) -> list[tuple[str, bool, bool]]:
    """(text, own blog, gold question label) of every comment of the bundled demo blogs."""
    out = []
    for path in sorted(content.glob("*.json")):
        blog = json.loads(path.read_text(encoding="utf-8"))
        for post in blog["posts"]:
            out += [(c["text"], bool(blog.get("own")), bool(c["question"])) for c in post["comments"]]
    return out


def evaluate(comments: list[tuple[str, bool, bool]]) -> dict[str, float | int]:
    rules = QuestionRules()
    tp = fp = fn = 0
    for i, (text, own, gold) in enumerate(comments):
        found = rules.detect(DocText(doc_id=str(i), text=text, kind="comment", own=own)).is_question
        tp += found and gold
        fp += found and not gold
        fn += gold and not found
    return {
        "comments": len(comments),
        "questions": tp + fn,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    result = evaluate(labelled_comments())
    print(json.dumps(result, indent=1))
    figure("questions.precision", f"{result['precision']:.2f}")
    figure("questions.recall", f"{result['recall']:.2f}")
    print(
        f"question detection on {result['comments']} demo comments ({result['questions']} labelled questions): "
        f"precision {result['precision']:.2f}, recall {result['recall']:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Comment extraction on real blog pages (../shared/data/comments), trafilatura's beside it.

    python -m bench.eval_comments [--data DIR] [--baseline REV] [--write PRED.json]

282 real pages (2012; mostly WordPress, also Blogger, TypePad, MovableType, Drupal) with human-annotated
main text and comment text, and a silver per-comment split (author, date, text) for 107 of them. The
metrics are those of the data set's `score.py` (bag-of-words F1 over `\\w+` tokens, per-comment match at
text F1 ≥ 0.5, author exact after normalising, date "all digit groups of the written date appear in the
predicted date"); the pipeline's dates are printed as `resonanz extract` prints them (ISO, UTC), so a
"2:24 pm" counts as wrong there: the line "date same minute" compares instants instead (the written date
read by dateutil, not by our parser). The human comment text includes each comment's header as shown
(author, "says:", date); the pipeline moves author and date into fields, so "comment F1" (text fields
only) misses those words, and "comment F1 (records)" scores author + date as written + text.

Pages are split by a hash of their id into a dev half (rules are tuned on it) and a held-out half (only
reported). Three extractors run on every page, interleaved (each going first in turn) and timed in
CPU seconds (`time.process_time`), so other tenants of a shared machine do not count: the pipeline
(`crawlers.extract.extract_page`), the pipeline at `--baseline` (today's rules, the crawlers package of that
git revision, imported from a temporary copy) and trafilatura with include_comments
(its comments are one blob: no per-comment figures). The last line is the pipeline's held-out scorecard
and its cost per page against the baseline's (target ≤ 1.3×).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib
import io
import json
import logging
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "comments"
BASELINE_REV = "1e429aa"  # main before issue 13: today's comment rules
_TOKEN = re.compile(r"\w+")

Prediction = dict  # {"main_text": str, "comments": [{"author", "date", "text"}]} as score.py reads it
Extractor = Callable[[bytes, str], Prediction]


def toks(text: str | None) -> list[str]:
    return _TOKEN.findall((text or "").lower())


def bag_f1(pred: str, gold: str) -> float:
    p, g = Counter(toks(pred)), Counter(toks(gold))
    tp = sum((p & g).values())
    precision, recall = tp / max(1, sum(p.values())), tp / max(1, sum(g.values()))
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def split_of(page_id: str) -> str:
    """ "dev" or "held-out": a stable hash of the page id, about half each."""
    return "dev" if hashlib.sha1(page_id.encode()).digest()[0] % 2 == 0 else "held-out"


def _digits_match(gold: str, pred: str | None) -> bool:
    groups = [d for d in re.findall(r"\d+", gold) if d.lstrip("0")]
    return bool(groups) and all(re.search(rf"(?<!\d)0*{d.lstrip('0')}(?!\d)", pred or "") for d in groups)


def _same_minute(gold: str, pred: str | None) -> bool:
    from datetime import datetime

    from dateutil import parser as dateparser

    if not pred:
        return False
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", re.sub(r"\b(at|um|on|by)\b", " ", gold))
    try:
        written = dateparser.parse(cleaned, fuzzy=True, default=datetime(1900, 1, 1))
    except (ValueError, OverflowError):
        return False
    got = datetime.fromisoformat(pred).replace(tzinfo=None)
    if written.hour == written.minute == 0:
        return got.date() == written.date()
    return got.replace(second=0) == written.replace(second=0)


def _rendered(comment: dict) -> str:
    """A comment record as the reader saw it: author, the date as written, text (the gold has all three)."""
    return " ".join(filter(None, (comment.get("author"), comment.get("date_text"), comment.get("text", ""))))


@dataclass
class Card:
    """The scorecard of one extractor on a set of pages."""

    pages: int = 0
    found: int = 0
    comment_f1: list[float] = field(default_factory=list)
    record_f1: list[float] = field(default_factory=list)
    main_f1: list[float] = field(default_factory=list)
    leak: list[float] = field(default_factory=list)
    silver: int = 0
    matched: int = 0
    author_n: int = 0
    author_ok: int = 0
    date_n: int = 0
    date_ok: int = 0
    date_minute: int = 0
    seconds: float = 0.0

    def add(self, pred: Prediction, gold: dict, silver: list[dict] | None) -> None:
        comments = pred.get("comments") or []
        self.main_f1.append(bag_f1(pred.get("main_text", ""), gold["main_text"]))
        if gold["comments_text"].strip():
            self.pages += 1
            self.found += bool(comments)
            self.comment_f1.append(
                bag_f1(" ".join(c.get("text", "") for c in comments), gold["comments_text"])
            )
            self.record_f1.append(bag_f1(" ".join(map(_rendered, comments)), gold["comments_text"]))
        only_comments = set(toks(gold["comments_text"])) - set(toks(gold["main_text"]))
        if only_comments:
            self.leak.append(len(set(toks(pred.get("main_text", ""))) & only_comments) / len(only_comments))
        for record in silver or []:
            self.silver += 1
            best, best_f1 = None, 0.0
            for comment in comments:  # the first best match, as score.py picks it
                f1 = bag_f1(comment.get("text", ""), record["text"])
                if f1 > best_f1:
                    best, best_f1 = comment, f1
            if best is None or best_f1 < 0.5:
                continue
            self.matched += 1
            if record.get("author"):
                self.author_n += 1
                self.author_ok += " ".join(toks(best.get("author"))) == " ".join(toks(record["author"]))
            if record.get("date"):
                self.date_n += 1
                self.date_ok += _digits_match(record["date"], best.get("date"))
                self.date_minute += _same_minute(record["date"], best.get("date"))

    def figures(self) -> dict[str, float]:
        def mean(values: list[float]) -> float:
            return sum(values) / len(values) if values else float("nan")

        return {
            "pages found": self.found / max(1, self.pages),
            "comment F1": mean(self.comment_f1),
            "comment F1 (records)": mean(self.record_f1),
            "per-comment recall": self.matched / max(1, self.silver),
            "author": self.author_ok / max(1, self.author_n),
            "date": self.date_ok / max(1, self.date_n),
            "date same minute": self.date_minute / max(1, self.date_n),
            "leakage": mean(self.leak),
            "main F1": mean(self.main_f1),
            "ms/page": 1000 * self.seconds / max(1, len(self.main_f1)),
        }


TARGETS = {
    "pages found": (">=", 0.93),
    "comment F1": (">=", 0.82),
    "per-comment recall": (">=", 0.85),
    "author": (">=", 0.85),
    "date": (">=", 0.85),
    "leakage": ("<=", 0.03),
}


def _pipeline(package: str) -> Extractor:
    extract = importlib.import_module(f"{package}.extract")

    def run(html: bytes, url: str) -> Prediction:
        result = extract.extract_page(html, url, listed="feed")
        return {
            "main_text": result.text,
            "comments": [
                {
                    "author": c.author,
                    "date": c.published.isoformat() if c.published else None,
                    "text": c.text,
                    "reply_to": c.reply_to,
                    "date_text": getattr(c, "date_text", None),  # the date as the page wrote it
                }
                for c in result.comments
            ],
        }

    return run


def _trafilatura(html: bytes, url: str) -> Prediction:
    import trafilatura

    from crawlers.extract import EXTRACT_OPTIONS

    options = {**EXTRACT_OPTIONS, "include_comments": True}
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, **options)
    comments = (doc.comments or "").strip() if doc is not None else ""
    return {
        "main_text": (doc.text or "") if doc is not None else "",
        "comments": [{"author": None, "date": None, "text": comments}] if comments else [],
    }


def baseline_package(rev: str, folder: Path) -> str | None:
    """Today's `crawlers` package (git revision `rev`) importable as `baseline_crawlers`; None without git."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "crawlers"], capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"no baseline ({rev}): {exc}", file=sys.stderr)
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "crawlers").rename(folder / "baseline_crawlers")
    sys.path.insert(0, str(folder))
    return "baseline_crawlers"


def load(data: Path) -> tuple[list[dict], dict[str, list[dict]], dict[str, bytes]]:
    gold = [json.loads(line) for line in (data / "gold.jsonl").open(encoding="utf-8")]
    silver = {}
    for line in (data / "comments_silver.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        silver[row["id"]] = row["comments"]
    pages = {g["id"]: gzip.decompress((data / g["html"]).read_bytes()) for g in gold}
    for g in gold:  # a few pages have no URL: a stand-in one (relative links only)
        g["url"] = g.get("url") or f"http://page-{g['id']}.example/"
    return gold, silver, pages


def evaluate(
    extractors: dict[str, Extractor], gold: list[dict], silver: dict, pages: dict[str, bytes]
) -> tuple[dict[tuple[str, str], Card], dict[str, dict[str, Prediction]]]:
    """Cards per (extractor, split), the pages interleaved across extractors; predictions kept."""
    cards = {(name, s): Card() for name in extractors for s in ("dev", "held-out", "all")}
    preds: dict[str, dict[str, Prediction]] = {name: {} for name in extractors}
    for extract in extractors.values():  # warm-up: imports, caches
        extract(pages[gold[0]["id"]], gold[0]["url"])
    order = list(extractors)
    for n, row in enumerate(gold):
        for name in order[n % len(order) :] + order[: n % len(order)]:  # each goes first in turn
            started = time.process_time()  # CPU time: other tenants of the machine do not count
            pred = extractors[name](pages[row["id"]], row["url"])
            elapsed = time.process_time() - started
            preds[name][row["id"]] = pred
            for s in (split_of(row["id"]), "all"):
                cards[(name, s)].add(pred, row, silver.get(row["id"]))
                cards[(name, s)].seconds += elapsed
    return cards, preds


PER_COMMENT = ("per-comment recall", "author", "date", "date same minute")


def _cell(name: str, key: str, value: float) -> str:
    if name == "trafilatura" and key in PER_COMMENT:  # one blob, no author or date: not applicable
        return f"{'—':>16}"
    return f"{value:>16.1f}" if key == "ms/page" else f"{value:>16.3f}"


def _table(cards: dict[tuple[str, str], Card], names: list[str], split: str) -> None:
    card = cards[(names[0], split)]
    print(f"\n{split}: {card.pages} pages with comments, {card.silver} silver comments")
    print(f"{'':<22}" + "".join(f"{n:>16}" for n in names) + "   target")
    figures = {n: cards[(n, split)].figures() for n in names}
    for key in figures[names[0]]:
        target = TARGETS.get(key)
        cells = "".join(_cell(n, key, figures[n][key]) for n in names)
        print(f"{key:<22}{cells}   {target[0] + ' ' + str(target[1]) if target else ''}")


def verdict(card: Card) -> str:
    figures = card.figures()
    missed = [k for k, (op, t) in TARGETS.items() if not (figures[k] >= t if op == ">=" else figures[k] <= t)]
    return "all met" if not missed else "not met: " + ", ".join(missed)


FIGURE_KEYS = {  # scorecard line → figure key (bench.figures: quoted in docs/comments.md)
    "pages found": "found",
    "comment F1": "f1",
    "comment F1 (records)": "f1_records",
    "per-comment recall": "recall",
    "author": "author",
    "date": "date",
    "date same minute": "date_minute",
    "leakage": "leakage",
    "main F1": "main_f1",
}


def _print_figures(cards: dict[tuple[str, str], Card], names: list[str]) -> None:
    from bench.figures import figure

    labels = {"pipeline": "comments", "trafilatura": "comments.trafilatura"}
    if len(names) == 3:
        labels[names[1]] = "comments.today"
    print()
    for name, prefix in labels.items():
        for split, suffix in (("held-out", ""), ("dev", ".dev"))[: 2 if name == "pipeline" else 1]:
            figures = cards[(name, split)].figures()
            for line, key in FIGURE_KEYS.items():
                if not (name == "trafilatura" and line in PER_COMMENT):
                    figure(f"{prefix}{suffix}.{key}", f"{figures[line]:.3f}")
        figure(f"{prefix}.ms_per_page", f"{cards[(name, 'all')].figures()['ms/page']:.1f}")
    if len(names) == 3:
        now, today = (cards[(n, "all")].figures()["ms/page"] for n in names[:2])
        figure("comments.cost_ratio", f"{now / today:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"data folder (default {DEFAULT_DATA})"
    )
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision of today's rules ('' = none)")
    parser.add_argument("--write", type=Path, help="write the pipeline's predictions for score.py")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages (a quick look)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore", module="dateutil")
    if not (args.data / "gold.jsonl").exists():
        print(f"no data at {args.data} (gold.jsonl, comments_silver.jsonl, html/)", file=sys.stderr)
        return 2
    gold, silver, pages = load(args.data)
    gold = gold[: args.limit] if args.limit else gold
    print(f"{len(gold)} pages from {args.data} (Dragnet training split, AGPLv3; see its README)")
    with tempfile.TemporaryDirectory() as folder:
        extractors: dict[str, Extractor] = {"pipeline": _pipeline("crawlers")}
        base = baseline_package(args.baseline, Path(folder)) if args.baseline else None
        if base:
            extractors[f"today ({args.baseline})"] = _pipeline(base)
        extractors["trafilatura"] = _trafilatura
        cards, preds = evaluate(extractors, gold, silver, pages)
    names = list(extractors)
    for split in ("dev", "held-out", "all"):
        _table(cards, names, split)
    if args.write:
        args.write.write_text(json.dumps(preds["pipeline"], ensure_ascii=False), encoding="utf-8")
        print(f"\npredictions written to {args.write} (python {args.data / 'score.py'} {args.write})")
    _print_figures(cards, names)
    held = cards[("pipeline", "held-out")].figures()
    cost = ""
    if base:
        ms_now = cards[("pipeline", "all")].figures()["ms/page"]
        ms_base = cards[(names[1], "all")].figures()["ms/page"]
        cost = f"; cost {ms_now:.1f} vs {ms_base:.1f} ms/page = {ms_now / ms_base:.2f}x (target <= 1.3x)"
    print(
        f"\ncomments held-out: found {held['pages found']:.3f}, F1 {held['comment F1']:.3f} "
        f"(records {held['comment F1 (records)']:.3f}), "
        f"recall {held['per-comment recall']:.3f}, author {held['author']:.3f}, date {held['date']:.3f}, "
        f"leakage {held['leakage']:.3f}, main F1 {held['main F1']:.3f} "
        f"({verdict(cards[('pipeline', 'held-out')])}){cost}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

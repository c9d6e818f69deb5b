"""Check demo content files against demo/CONTENT-SPEC.md (run: python demo/check_content.py [FILE...])."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

THEMES = {
    "e-invoicing",
    "ai-finance",
    "cloud-erp",
    "data-protection",
    "integration",
    "pricing",
    "esg",
    "work-teams",
    "security",
    "data-act-switching",
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SENTIMENTS = {"negative", "neutral", "positive"}


def check_blog(path: Path) -> tuple[list[str], dict]:
    errors: list[str] = []
    blog = json.loads(path.read_text(encoding="utf-8"))
    for key in ("slug", "name", "tagline", "lang", "own", "authors", "posts"):
        if key not in blog:
            errors.append(f"missing top-level key {key!r}")
    authors = {a["name"] for a in blog.get("authors", [])}
    seen: set[str] = set()
    stats = {"posts": 0, "reserve": 0, "drafts": 0, "comments": 0, "words": 0, "emerging": 0, "questions": 0}
    for i, post in enumerate(blog.get("posts", [])):
        where = f"posts[{i}] ({post.get('slug')})"
        for key in (
            "slug",
            "title",
            "author",
            "days_ago",
            "hour",
            "theme",
            "tags",
            "summary",
            "body",
            "comments",
        ):
            if key not in post:
                errors.append(f"{where}: missing {key!r}")
        slug = post.get("slug", "")
        if not SLUG.match(slug):
            errors.append(f"{where}: bad slug")
        if slug in seen:
            errors.append(f"{where}: duplicate slug")
        seen.add(slug)
        if post.get("author") not in authors:
            errors.append(f"{where}: author {post.get('author')!r} not in authors")
        if post.get("theme") not in THEMES:
            errors.append(f"{where}: unknown theme {post.get('theme')!r}")
        days = post.get("days_ago", -1)
        if not (isinstance(days, int) and 0 <= days <= 84):
            errors.append(f"{where}: days_ago must be an int 0..84")
        if post.get("theme") == "data-act-switching" and days > 13:
            errors.append(f"{where}: emerging theme only in the last 14 days")
        if blog.get("own") and post.get("theme") == "data-act-switching":
            errors.append(f"{where}: the own blog never covers the emerging theme")
        words = sum(len(p.split()) for p in post.get("body", []))
        if not 120 <= words <= 450:
            errors.append(f"{where}: body has {words} words (150-350 wanted)")
        ids = set()
        for c in post.get("comments", []):
            cw = f"{where} comment {c.get('id')}"
            for key in ("id", "author", "hours_after", "reply_to", "text", "sentiment", "question"):
                if key not in c:
                    errors.append(f"{cw}: missing {key!r}")
            if c.get("id") in ids:
                errors.append(f"{cw}: duplicate id")
            ids.add(c.get("id"))
            if c.get("reply_to") is not None and c["reply_to"] not in ids:
                errors.append(f"{cw}: reply_to must name an earlier comment id")
            if c.get("sentiment") not in SENTIMENTS:
                errors.append(f"{cw}: bad sentiment")
            limit = days * 24 + 20 if isinstance(days, int) else 0
            if not (0 < float(c.get("hours_after", 0)) <= max(limit, 0.5)):
                errors.append(f"{cw}: hours_after must be in (0, days_ago*24+20]")
            if not (post.get("reserve") or post.get("draft")):
                stats["comments"] += 1
                stats["questions"] += bool(c.get("question"))
        if post.get("draft"):
            stats["drafts"] += 1
        elif post.get("reserve"):
            stats["reserve"] += 1
        else:
            stats["posts"] += 1
            stats["words"] += words
            stats["emerging"] += post.get("theme") == "data-act-switching"
    return errors, stats


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or sorted(Path(__file__).parent.joinpath("content").glob("*.json"))
    bad = 0
    for f in files:
        try:
            errors, stats = check_blog(f)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            errors, stats = [f"unreadable: {exc}"], {}
        print(f"{f.name}: {stats}")
        for e in errors:
            print(f"  ERROR {e}")
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Sentence splitting for German and English texts (rules; used by question detection and sentiment).

`SENTENCE_BREAK` splits after `.`, `!`, `?` or `…` (closing quotes/brackets included) followed by
whitespace, and at line breaks. `split_sentences` adds two repairs so the pieces are real sentences:
a piece ending in an abbreviation ("z. B.", "bzw.", "Dr.", "e.g.", a day number "1.") is joined with the
next one, and a piece without words (an emoji, "@user", a URL, "5/5") is joined with its neighbour.
"""

from __future__ import annotations

import re

SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\"'“”»«)]*\s+|\n+")
# Last token of a piece that does not end a sentence: a single letter ("z.", "B."), a one- or two-digit
# number (German ordinals and dates: "am 1. März"), dotted abbreviations ("e.g.", "z.B.") and common ones.
_ABBREVIATION = re.compile(
    r"(?:^|\s)(?:[^\W\d_]|\d{1,2}|(?:[^\W\d_]{1,3}\.){1,3}[^\W\d_]{1,3}"
    r"|bzw|ca|usw|vgl|ggf|inkl|zzgl|evtl|bspw|sog|etc|nr|dr|prof|str|abs|mio|mrd|tsd|std|min|jh"
    r"|mr|mrs|ms|vs|approx|incl|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|okt|nov|dec|dez)\.$",
    re.I,
)
_NOISE = re.compile(r"@\w+|https?://\S+")
_WORD = re.compile(r"[^\W\d_]{2,}")


def _has_words(piece: str) -> bool:
    return bool(_WORD.search(_NOISE.sub(" ", piece)))


def split_sentences(text: str, max_sentences: int | None = None) -> list[str]:
    """The sentences of `text` in order (at most `max_sentences`, the first ones); [] for blank text."""
    pieces = [p.strip() for p in SENTENCE_BREAK.split(text)]
    merged: list[str] = []
    join_next = False
    for piece in pieces:
        if not piece:
            continue
        if merged and (join_next or not _has_words(piece)):
            merged[-1] = f"{merged[-1]} {piece}"
        elif merged and not _has_words(merged[-1]):
            merged[-1] = f"{merged[-1]} {piece}"  # a leading "@user" or emoji belongs to the first sentence
        else:
            merged.append(piece)
        join_next = bool(_ABBREVIATION.search(merged[-1]))
        if max_sentences is not None and len(merged) > max_sentences:
            break
    return merged[:max_sentences] if max_sentences is not None else merged

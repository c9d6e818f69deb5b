"""Questions to the author or the company in comments and posts (rules, German and English)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .records import DocText, QuestionResult
from .segment import SENTENCE_BREAK

VERSION = "rules-1"
_QUESTION_END = re.compile(r"\?[\"'“”»«)\s\U0001f300-\U0001faff]*$")
_PREFIX = re.compile(r"^\s*(frage|question)\s*:", re.I)
_TAG_ONLY = re.compile(r"^\W*(oder|ne|nicht wahr|really|right|echt|wirklich|warum|why|wieso)\W*$", re.I)
MIN_WORDS = 3
MAX_QUESTIONS = 3
MAX_CHARS = 300


@dataclass(frozen=True)
class QuestionRules:
    """Company and brand names: a question naming them is addressed to the company."""

    company_terms: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        return VERSION + (
            "-" + ",".join(sorted(t.lower() for t in self.company_terms)) if self.company_terms else ""
        )

    def _mentions_company(self, sentence: str) -> bool:
        low = sentence.lower()
        return any(term.lower() in low for term in self.company_terms if term)

    def questions(self, text: str) -> list[str]:
        """Question sentences of a text (ending in '?' or starting 'Frage:'), without bare tag questions."""
        found = []
        for sentence in SENTENCE_BREAK.split(text):
            sentence = sentence.strip()
            if not sentence or not (_QUESTION_END.search(sentence) or _PREFIX.match(sentence)):
                continue
            if len(sentence.split()) < MIN_WORDS or _TAG_ONLY.match(sentence):
                continue
            found.append(sentence[:MAX_CHARS])
        return found

    def detect(self, doc: DocText) -> QuestionResult:
        """Comments: any real question (readers ask the author). Posts: only external ones that ask the company."""
        candidates = self.questions(doc.text)
        if doc.kind != "comment":
            candidates = [] if doc.own else [q for q in candidates if self._mentions_company(q)]
        kept = tuple(candidates[:MAX_QUESTIONS])
        return QuestionResult(bool(kept), kept)

    def detect_all(self, docs: Sequence[DocText]) -> list[QuestionResult]:
        return [self.detect(doc) for doc in docs]

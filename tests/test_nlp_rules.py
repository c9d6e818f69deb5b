"""Questions, keywords, clustering with stable ids, taxonomy terms: fast, no models."""

from __future__ import annotations

import numpy as np

from nlp.clustering import ClusterParams, group_items
from nlp.keywords import ctfidf_keywords
from nlp.questions import QuestionRules
from nlp.records import ClusterDoc, DocText, Taxonomy, TaxonomyTopic
from nlp.topics import topic_terms

RULES = QuestionRules(("Kontor",))


def test_comment_questions_are_found_and_tag_questions_ignored():
    doc = DocText(
        "1", "Toller Artikel. Wann kommt die DATEV-Schnittstelle? Echt? Any export planned?", kind="comment"
    )
    assert RULES.detect(doc).questions == ("Wann kommt die DATEV-Schnittstelle?", "Any export planned?")
    assert not RULES.detect(DocText("2", "Danke, sehr hilfreich!", kind="comment")).is_question


def test_post_questions_count_only_when_they_ask_the_company():
    rhetorical = DocText("3", "Was bedeutet das für den Mittelstand? Eine Menge.", kind="post")
    asks = DocText("4", "Wie reagiert Kontor auf den Data Act? Wir sind gespannt.", kind="post")
    own = DocText("5", "Wie reagiert Kontor auf den Data Act?", kind="post", own=True)
    assert [RULES.detect(d).is_question for d in (rhetorical, asks, own)] == [False, True, False]


def test_ctfidf_keywords_skip_stop_words():
    keywords = ctfidf_keywords(
        [
            ["Der Data Act verbietet Wechselentgelte", "Wechselentgelte und der Data Act"],
            ["Pricing per user rises"],
        ],
    )
    assert keywords[0][0] in ("data act", "wechselentgelte")
    assert not {"der", "und", "the"} & set(keywords[0] + keywords[1])


def _items(rng: np.random.Generator, centres: np.ndarray, n: int, prefix: str) -> list[ClusterDoc]:
    out = []
    for c, centre in enumerate(centres):
        for i in range(n):
            vec = centre + 0.05 * rng.standard_normal(centre.shape)
            out.append(ClusterDoc(f"{prefix}{c}-{i}", f"topic{c} word{c} text", vec / np.linalg.norm(vec)))
    return out


def test_cluster_ids_stay_stable_across_runs():
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:3]
    first = group_items(_items(rng, centres, 5, "a"), [], ClusterParams(min_size=3), "et")
    assert len(first.clusters) == 3 and first.outlier_share == 0
    second = group_items(_items(rng, centres, 6, "b"), first.clusters, ClusterParams(min_size=3), "et")
    assert {c.cluster_id for c in second.clusters} == {c.cluster_id for c in first.clusters}
    assert not any(c.is_new for c in second.clusters)


def test_taxonomy_version_and_terms():
    topic = TaxonomyTopic("E-Rechnung", "XRechnung, ZUGFeRD und Peppol", ("E-Invoicing",))
    assert topic_terms(topic) == ["E-Rechnung", "XRechnung", "ZUGFeRD", "Peppol", "E-Invoicing"]
    assert Taxonomy((topic,)).version != Taxonomy((TaxonomyTopic("E-Rechnung"),)).version

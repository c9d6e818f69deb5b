"""Topic labels, the outlier rule, merging, scale and question-group coherence (issue 12)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from nlp.clustering import ClusterParams, cluster_items, group_items, raw_labels, split_far_members
from nlp.labels import banned_word, clean_label, cluster_labels, label_support, phrases_of
from nlp.records import ClusterDoc

FIXTURES = Path(__file__).parent / "fixtures"
DATA_ACT = [
    "Der Data Act verbietet ab Januar 2027 Wechselentgelte. Drei Anbieter reagieren heute mit Exit-Strategie.",
    "Data Act: Wechselentgelte fallen weg, die Exit-Strategie gehört in jeden Vertrag. Wir zeigen eine Woche lang Beispiele.",
    "Warum der Data Act den Anbieterwechsel erleichtert: Wechselentgelte, Exportformate, Exit-Strategie im Montag-Check.",
    "Am Dienstag erklärt die Kanzlei den Data Act: keine Wechselentgelte mehr, Exportformate für den Anbieterwechsel.",
]
PRICING = [
    "The new per-user pricing raises the licence bill by 12 percent for small teams.",
    "Per-user pricing again: the licence renewal for small teams costs more every year.",
    "Small teams ask for a licence that fits; per-user pricing punishes them in March.",
]


def _unit(rng: np.random.Generator, centre: np.ndarray, noise: float = 0.05) -> np.ndarray:
    vec = centre + noise * rng.standard_normal(centre.shape)
    return (vec / np.linalg.norm(vec)).astype(np.float32)


def test_banned_words_cover_stop_number_and_date_words_in_both_languages():
    for word in (
        "der",
        "the",
        "drei",
        "ersten",
        "three",
        "first",
        "Januar",
        "March",
        "Montag",
        "today",
        "Woche",
        "2027",
    ):
        assert banned_word(word), word
    for word in ("Data", "Wechselentgelte", "Exit-Strategie", "EU", "pricing"):
        assert not banned_word(word), word


def test_phrases_never_cross_punctuation_or_contain_banned_words():
    phrases = {key for key, _ in phrases_of("Der Data Act, ab Januar 2027: Wechselentgelte fallen weg.")}
    assert "data act" in phrases and "wechselentgelte" in phrases
    assert not any(banned_word(w) for p in phrases for w in p.split())
    assert "act wechselentgelte" not in phrases  # "," and ":" end a clause


def test_label_is_built_from_the_clusters_own_phrases_in_its_language():
    rng = np.random.default_rng(1)
    centres = np.eye(8, dtype=np.float32)[:2]
    texts = [DATA_ACT, PRICING]
    labels = cluster_labels(
        texts, [["de"] * len(DATA_ACT), ["en"] * len(PRICING)], centres, embed=None, background=()
    )
    for (label, phrases), docs in zip(labels, texts, strict=True):
        assert label and not clean_label(label), label  # no stop, number or date word
        joined = " ".join(docs).lower()
        assert all(p.lower() in joined for p in phrases)  # every phrase occurs in the cluster's documents
        assert label_support(label, docs) >= 0.3
    assert "Data Act" in labels[0][1] or "Wechselentgelte" in labels[0][1]
    assert labels[0][1][0][:1].isupper()  # German: noun phrases in their written case
    assert rng is not None


def test_labels_use_embedding_relevance_and_mmr_when_an_encoder_is_given():
    vocab = {}

    def embed(phrases):
        out = []
        for p in phrases:  # "data act" and "wechselentgelte" point at the centroid, the rest elsewhere
            v = np.zeros(4, dtype=np.float32)
            v[0 if p.lower() in ("data act", "wechselentgelte") else 1 + len(vocab.setdefault(p, p)) % 3] = 1
            out.append(v)
        return np.asarray(out)

    ((label, phrases),) = cluster_labels([DATA_ACT], [["de"] * 4], np.eye(4, dtype=np.float32)[:1], embed)
    assert set(phrases[:2]) == {"Data Act", "Wechselentgelte"}
    assert label.startswith(phrases[0])


def test_outlier_rule_needs_posts_and_distinct_blogs():
    rng = np.random.default_rng(0)
    centres = np.eye(16, dtype=np.float32)[:3]
    vectors, sources = [], []
    for c, blogs in enumerate((["a", "b", "c", "a"], ["a", "a", "a", "a"], ["b", "c"])):
        for blog in blogs:
            vectors.append(_unit(rng, centres[c]))
            sources.append(blog)
    labels = cluster_items(np.stack(vectors), sources, ClusterParams(min_size=3, min_sources=2))
    assert len(set(labels[:4])) == 1 and labels[0] >= 0  # 4 posts, 3 blogs: listed
    assert (labels[4:8] == -1).all()  # one blog's series: outlier bucket
    assert (labels[8:] == -1).all()  # too few posts: outlier bucket


def test_near_identical_clusters_merge():
    rng = np.random.default_rng(2)
    base = np.eye(16, dtype=np.float32)[0]
    twin = base + 0.35 * np.eye(16, dtype=np.float32)[1]
    vectors = np.stack(
        [_unit(rng, base, 0.01) for _ in range(4)] + [_unit(rng, twin, 0.01) for _ in range(4)]
    )
    strict = ClusterParams(distance_threshold=0.01, min_size=1, merge_similarity=1.01)
    assert len(set(cluster_items(vectors, [None] * 8, strict))) == 2
    merged = ClusterParams(distance_threshold=0.01, min_size=1, merge_similarity=0.9)
    assert len(set(cluster_items(vectors, [None] * 8, merged))) == 1


def test_far_member_stays_alone():
    rng = np.random.default_rng(3)
    centre = np.eye(8, dtype=np.float32)[0]
    stray = _unit(rng, centre + 1.2 * np.eye(8, dtype=np.float32)[1], 0.0)
    vectors = np.stack([_unit(rng, centre, 0.02) for _ in range(3)] + [stray])
    labels = split_far_members(vectors, np.zeros(4, dtype=int), 0.8)
    assert len(set(labels[:3])) == 1 and labels[3] != labels[0]


def test_empty_and_tiny_inputs():
    assert group_items([], [], ClusterParams(), "et").clusters == ()
    one = ClusterDoc("a", "Data Act", np.ones(4, dtype=np.float32))
    result = group_items([one], [], ClusterParams(min_size=3), "et")
    assert result.clusters == () and result.outliers == ("a",)


def test_micro_cluster_path_agrees_with_the_exact_one():
    """Above exact_limit the agglomerative step runs on k-means micro-clusters: same topics, linear memory."""
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(4)
    centres = np.linalg.qr(rng.standard_normal((64, 64)))[0][:12].astype(np.float32)
    vectors = np.stack([_unit(rng, centres[i % 12], 0.06) for i in range(1200)])
    exact = raw_labels(vectors, ClusterParams(exact_limit=5000))
    micro = raw_labels(vectors, ClusterParams(exact_limit=500, micro_clusters=200))
    assert len(set(exact)) == 12
    assert adjusted_rand_score(exact, micro) > 0.95


def test_subtitle_is_the_most_central_title_and_labels_follow_the_rules():
    rng = np.random.default_rng(5)
    centre = np.eye(8, dtype=np.float32)[0]
    docs = [
        ClusterDoc(
            f"d{i}",
            text,
            _unit(rng, centre, 0.02 * (i + 1)),
            title=f"Title {i}",
            source=f"blog{i}",
            lang="de",
        )
        for i, text in enumerate(DATA_ACT)
    ]
    result = group_items(docs, [], ClusterParams(min_size=3, min_sources=2), "et")
    (cluster,) = result.clusters
    central = int(np.argmax(np.stack([d.embedding for d in docs]) @ cluster.centroid))
    assert cluster.subtitle == f"Title {central}"  # the title of the post closest to the centroid
    assert not clean_label(cluster.label)


@pytest.fixture(scope="module")
def demo_questions():
    from nlp.evaldata import demo_texts
    from nlp.questions import QuestionRules

    rules = QuestionRules()
    questions = [
        q for d in demo_texts() if d.kind == "comment" and d.question for q in rules.questions(d.text)
    ]
    labelled = json.loads((FIXTURES / "question_intents.json").read_text(encoding="utf-8"))
    assert len(questions) == labelled["count"], (
        "demo questions changed: re-label tests/fixtures/question_intents.json"
    )
    intent = {i: name for name, ids in labelled["intents"].items() for i in ids}
    return questions, [intent.get(i, f"own-{i}") for i in range(len(questions))]


def test_question_groups_share_one_intent_on_the_demos_labelled_questions(demo_questions):
    from nlp.encoders import get_encoder
    from nlp.grouping import group_questions, mask_terms

    questions, intents = demo_questions
    brand = ("Kontor", "KontorOne", "Kontor Cloud", "Kontor Assist", "Kontor Connect")
    vectors = get_encoder("builtin:use").encode([mask_terms(q, brand) for q in questions])
    items = [ClusterDoc(str(i), q, v) for i, (q, v) in enumerate(zip(questions, vectors, strict=True))]
    result = group_questions(items)
    pairs = [
        intents[int(a)] == intents[int(b)]
        for c in result.clusters
        for a, b in itertools.combinations(c.members, 2)
    ]
    precision = sum(pairs) / len(pairs)
    assert precision >= 0.85, f"only {precision:.2f} of same-group question pairs share an intent"
    grouped = {intents[int(c.members[0])] for c in result.clusters if len(c.members) > 1}
    assert len(grouped & {"onprem", "datev", "export", "xrechnung", "ai-data", "small"}) >= 5
    for c in result.clusters:  # the label is the group's most typical question, one of its members
        assert c.representative in {questions[int(m)] for m in c.members}


def test_grouping_writers_take_empty_input(tmp_db: Path):
    """No posts and no questions: no crash, the run is logged with 0 documents and an empty outlier bucket."""
    from nlp.records import ClusterResult
    from warehouse import crowd
    from warehouse.db import init_db, query
    from warehouse.grouping import all_questions, recent_external_docs, write_emerging, write_question_groups

    init_db(tmp_db)
    docs = recent_external_docs(tmp_db, 56, "any")
    assert docs == [] and all_questions(tmp_db) == []
    empty = group_items(docs, [], ClusterParams(), "et")
    write_emerging(tmp_db, empty, docs, {}, None, "any")
    write_question_groups(tmp_db, ClusterResult((), (), 0), [])
    assert query(tmp_db, "SELECT count(*) AS n FROM emerging_topics")["n"][0] == 0
    assert crowd.outlier_bucket(tmp_db) == {"posts": 0, "topics": 0, "outliers": 0, "share": 0.0}

"""The zero-shot prototype component of the builtin sentiment model and the rule that selects its blend."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlp.features import BatchFeatures, SentenceVectors
from nlp.prototypes import (
    PROTOTYPE_ENCODER,
    PROTOTYPES_FILE,
    BlendParams,
    PrototypeScorer,
    blend,
    prototypes_hash,
    read_prototypes,
)
from nlp.segment import split_sentences
from nlp.selection import Scored, select_blend
from nlp.sentiment import HEAD_FILE, HeadModel


def test_prototypes_file_is_balanced_per_class_and_language():
    classes = json.loads(PROTOTYPES_FILE.read_text(encoding="utf-8"))["classes"]
    counts = {(label, lang): len(s) for label, langs in classes.items() for lang, s in langs.items()}
    assert {lang for _, lang in counts} == {"de", "en"}
    assert len(set(counts.values())) == 1, counts
    assert list(read_prototypes()) == ["negative", "neutral", "positive"]


def test_committed_head_stores_its_blend_and_prototypes_hash():
    head = HeadModel()
    assert head.blend.weight > 0 and head.prototypes_hash == prototypes_hash()
    assert head.blend.tag in head.version and head.prototypes_hash in head.version
    assert head.blend.pooling in ("text", "sentences") and head.blend.max_sentences > 0


def test_head_refuses_prototypes_it_was_not_built_with(tmp_path):
    edited = json.loads(PROTOTYPES_FILE.read_text(encoding="utf-8"))
    edited["classes"]["neutral"]["en"].append("Another sentence.")
    path = tmp_path / "prototypes.json"
    path.write_text(json.dumps(edited), encoding="utf-8")
    with pytest.raises(RuntimeError, match="resonanz train"):
        HeadModel(HEAD_FILE, path)
    original = json.loads(PROTOTYPES_FILE.read_text(encoding="utf-8"))
    path.write_text(json.dumps(original, indent=4, ensure_ascii=True), encoding="utf-8")
    assert HeadModel(HEAD_FILE, path).prototypes_hash == prototypes_hash(path)  # formatting does not count


def _unit(*rows: list[float]) -> np.ndarray:
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_scores_are_the_mean_of_the_top_k_similarities():
    scorer = PrototypeScorer([_unit([1, 0, 0], [0.6, 0.8, 0]), _unit([0, 1, 0]), _unit([0, 0, 1])])
    text = _unit([1, 0, 0])
    np.testing.assert_allclose(scorer.scores(text, top_k=1), [[1.0, 0.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(
        scorer.scores(text, top_k=2), [[0.8, 0.0, 0.0]], atol=1e-6
    )  # k capped per class
    probs = scorer.probabilities(text, temperature=0.05, top_k=1)
    assert probs.shape == (1, 3) and probs[0].argmax() == 0 and np.isclose(probs.sum(), 1.0)
    head = np.asarray([[0.1, 0.8, 0.1]])
    np.testing.assert_allclose(blend(head, probs, 0.5).sum(axis=1), [1.0], atol=1e-6)
    assert blend(head, probs, 0.0) is head


def test_selection_respects_the_cross_validation_floor_and_prefers_small_weights():
    scorer = PrototypeScorer([_unit([1, 0]), _unit([0, 1]), _unit([-1, -1])])
    labels = np.asarray([0, 1, 2, 0])
    use = _unit([1, 0.1], [0.1, 1], [-1, -1], [0.2, 1])  # the prototypes get the last text wrong
    cv = Scored(np.eye(3)[labels], use, labels, np.asarray(["de", "de", "en", "en"]))
    dev_head = np.full((4, 3), 1 / 3) + np.asarray([0.01, 0, 0])  # uninformative head → predicts negative
    dev = Scored(dev_head[:3], use[:3], labels[:3], np.asarray(["dev"] * 3))
    candidates = [BlendParams(a, 0.05, 1) for a in (0.2, 0.5, 0.9, 1.0)]
    best, table = select_blend(scorer, cv, dev, candidates, max_drop=0.02)
    assert table[0].params == BlendParams() and table[0].admissible
    assert not next(c for c in table if c.params.weight == 1.0).admissible  # CV drops on "en"
    assert best.params.weight == 0.2 and best.dev_f1 == 1.0 > table[0].dev_f1  # ties → the smallest weight


def test_selection_can_choose_sentence_pooling():
    # One text of two sentences: factual (scores neutral) + negative. Per text it reads neutral; per
    # sentence the negative one counts in full. The rule picks the pooling that gets it right on dev.
    scorer = PrototypeScorer([_unit([1, 0]), _unit([0, 1]), _unit([-1, -1])])
    labels = np.asarray([0])
    sentences = SentenceVectors(_unit([0, 1], [1, 0]), np.asarray([0, 0]))
    data = Scored(np.asarray([[0.3, 0.4, 0.3]]), _unit([0.6, 1]), labels, np.asarray(["de"]), sentences)
    candidates = [BlendParams(0.5, 0.05, 1, pooling) for pooling in ("text", "sentences")]
    best, table = select_blend(scorer, data, data, candidates)
    assert [c.dev_f1 for c in table[1:]] == [0.0, 1.0] and best.params.pooling == "sentences"
    assert best.params.tag == "a0.5-T0.05-k1-sent8" and table[1].params.tag == "a0.5-T0.05-k1-text"


def test_sentence_splitter_keeps_abbreviations_dates_and_emoji_with_their_sentence():
    text = "Ab dem 1. März kostet z. B. das Modul 20 % mehr. Das ist absurd! 😡\nGrüße"
    assert split_sentences(text) == [
        "Ab dem 1. März kostet z. B. das Modul 20 % mehr.",
        "Das ist absurd! 😡",
        "Grüße",
    ]
    assert split_sentences("@anna Great, e.g. the export. Thanks!") == [
        "@anna Great, e.g. the export.",
        "Thanks!",
    ]
    assert split_sentences("   ") == [] and split_sentences("Nur ein Satz.") == ["Nur ein Satz."]
    assert len(split_sentences(" ".join(["Noch ein Satz."] * 50), max_sentences=8)) == 8


def test_pooled_scores_max_negative_and_positive_mean_neutral():
    scorer = PrototypeScorer([_unit([1, 0, 0]), _unit([0, 1, 0]), _unit([0, 0, 1])])
    rows = _unit([0, 1, 0], [1, 1, 0], [0, 0, 1])  # text 0: neutral + half negative; text 1: positive
    texts = _unit([1, 2, 0], [0, 0, 1])
    pooled = scorer.pooled_scores(texts, SentenceVectors(rows, np.asarray([0, 0, 1])), top_k=1)
    h = np.sqrt(0.5)
    np.testing.assert_allclose(pooled, [[h, (1 + h) / 2, 0], [0, 0, 1]], atol=1e-6)


@pytest.fixture(scope="module")
def scorer():
    return PrototypeScorer.from_sentences(read_prototypes())


def test_one_negative_sentence_in_factual_text_weighs_more_with_sentence_pooling(scorer):
    texts = [
        "Wir setzen KontorOne seit 2019 in drei Niederlassungen ein und haben 45 Nutzer. Die neue Preisliste "
        "sieht für uns ab Januar 2027 eine Abrechnung pro Modul statt pro Arbeitsplatz vor. Das ist absurd.",
        "Wir haben das Update am Dienstag eingespielt.",
        "Danke für den Hinweis!",
    ]
    features = BatchFeatures(texts, device="cpu")
    vectors = features.embedding(PROTOTYPE_ENCODER)
    sentences = features.sentence_embedding(PROTOTYPE_ENCODER)
    assert sentences.owner.tolist() == [0, 0, 0, 1, 2]
    per_text = scorer.probabilities(vectors, temperature=0.05, top_k=3)
    per_sentence = scorer.probabilities(vectors, temperature=0.05, top_k=3, sentences=sentences)
    assert per_sentence[0, 0] > per_text[0, 0] + 0.1  # the complaint is no longer diluted
    assert per_sentence[0].argmax() == 0
    np.testing.assert_array_equal(per_sentence[1:], per_text[1:])  # one sentence: identical to "text"
    np.testing.assert_array_equal(sentences.vectors[3:], vectors[1:])  # and not encoded again
    assert features.sentence_embedding(PROTOTYPE_ENCODER) is sentences  # computed once per batch


def test_long_texts_are_scored_as_a_whole():
    """Articles (more than MAX_SENTENCES sentences) keep their whole-text embedding: no max over dozens."""
    from nlp.features import MAX_SENTENCES

    article = " ".join(f"Satz Nummer {i} handelt von Rechnungen." for i in range(MAX_SENTENCES + 3))
    short = "Der erste Satz ist sachlich. Der zweite ist es auch."
    features = BatchFeatures([article, short], device="cpu")
    sentences = features.sentence_embedding(PROTOTYPE_ENCODER)
    assert sentences.owner.tolist() == [0, 1, 1]
    np.testing.assert_array_equal(sentences.vectors[0], features.embedding(PROTOTYPE_ENCODER)[0])

"""Build the offline heads: `python -m nlp.train` (or `resonanz train`).

Sentiment: logistic regression on USE-m v3 ⊕ MiniLM ⊕ VADER features, trained on the German and
English XLM-T train splits jointly; C chosen by 5-fold cross-validation on train (fixed seed). The head is
blended with zero-shot prototype probabilities (nlp/prototypes.py); the blend (a, T, k, pooling per text or
per sentence) is chosen by the rule in nlp/selection.py: best macro-F1 on the external demo blogs' labelled comments (dev) while the
cross-validated tweet macro-F1 drops by at most 0.02 per language. Validation splits and the own blog's
comments are never used here.
Background: the mean embedding of a mixed German/English corpus (nlp/background.py; never demo or
evaluation text), used to centre topic scores when a batch is too small to calibrate on itself. Artifacts go to nlp/artifacts/ with a manifest of data hashes;
an up-to-date build is skipped unless forced.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from pathlib import Path

import numpy as np

from .background import build_background
from .evaldata import TRAIN_SETS, default_data_dir, demo_comments, read_split
from .features import BatchFeatures
from .language import get_language_detector
from .prototypes import PROTOTYPE_ENCODER, PROTOTYPES_FILE, PrototypeScorer, prototypes_hash, read_prototypes
from .records import SENTIMENT_LABELS
from .selection import MAX_CV_DROP, Candidate, Scored, macro_f1_by_group, select_blend
from .sentiment import HEAD_FILE
from .topics import BACKGROUND_FILE

log = logging.getLogger(__name__)

SEED = 13
C_GRID = (0.1, 0.25, 0.5, 1.0, 2.0)
PARTS = ("builtin:use", "builtin:minilm", "vader")
RECIPE = "head-5"  # bump when the recipe changes
MANIFEST = HEAD_FILE.parent / "manifest.json"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def sentiment_features(texts: list[str], device: str = "cpu") -> BatchFeatures:
    """The head's features, with languages from the same detector the pipeline uses."""
    languages = [r.label for r in get_language_detector("builtin:lingua").detect(texts)]
    return BatchFeatures(texts, languages, device)


def _cross_validate(X: np.ndarray, y: np.ndarray, langs: np.ndarray) -> tuple[float, dict, np.ndarray]:
    """C by 5-fold CV (mean of the per-language macro-F1); returns C, all scores, out-of-fold probabilities."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    scores, probs = {}, {}
    for c in C_GRID:
        probs[c] = cross_val_predict(
            LogisticRegression(C=c, max_iter=5000), X, y, cv=folds, method="predict_proba"
        )
        scores[c] = macro_f1_by_group(y, probs[c], langs)
        log.info("C=%s cross-validated macro-F1 %s", c, scores[c])
    best = max(C_GRID, key=lambda c: float(np.mean(list(scores[c].values()))))
    return best, {str(c): v for c, v in scores.items()}, probs[best]


def _dev_comments(project_dir: Path) -> tuple[list[str], np.ndarray]:
    """The external demo blogs' labelled comments (the dev set for the blend); never the own blog's."""
    comments = demo_comments(project_dir / "demo" / "content", own=False)
    if not comments:
        raise FileNotFoundError(
            f"no labelled external demo comments under {project_dir / 'demo' / 'content'}"
        )
    return [c.text for c in comments], np.asarray([SENTIMENT_LABELS.index(c.sentiment) for c in comments])


def _train_hash(data_dir: Path) -> str:
    files = [
        data_dir / TRAIN_SETS[lang] / f"train_{k}.txt" for lang in TRAIN_SETS for k in ("text", "labels")
    ]
    return hashlib.sha256("".join(_sha(f) for f in files).encode()).hexdigest()[:12]


def train_sentiment(data_dir: Path, project_dir: Path) -> dict:
    """Cross-validate C, fit on all train data, select the prototype blend, write the head."""
    from sklearn.linear_model import LogisticRegression

    splits = [read_split(data_dir, lang, "train") for lang in TRAIN_SETS]
    texts = [t for s in splits for t in s.texts]
    y = np.concatenate([s.labels for s in splits])
    langs = np.concatenate([[s.lang] * len(s.texts) for s in splits])
    log.info("embedding %d training texts", len(texts))
    train_features = sentiment_features(texts)
    X = train_features.stack(PARTS)
    best_c, cv_scores, cv_probs = _cross_validate(X, y, langs)
    clf = LogisticRegression(C=best_c, max_iter=5000).fit(X, y)
    if list(clf.classes_) != list(range(len(SENTIMENT_LABELS))):
        raise ValueError(f"training labels {clf.classes_} are not 0..2 (negative, neutral, positive)")

    dev_texts, dev_y = _dev_comments(project_dir)
    log.info("embedding %d dev comments (external demo blogs)", len(dev_texts))
    dev_features = sentiment_features(dev_texts)
    log.info("embedding the sentences of the training texts and dev comments (pooling 'sentences')")
    scorer = PrototypeScorer.from_sentences(read_prototypes())
    chosen, table = select_blend(
        scorer,
        Scored(
            cv_probs,
            train_features.embedding(PROTOTYPE_ENCODER),
            y,
            langs,
            train_features.sentence_embedding(PROTOTYPE_ENCODER),
        ),
        Scored(
            clf.predict_proba(dev_features.stack(PARTS)),
            dev_features.embedding(PROTOTYPE_ENCODER),
            dev_y,
            np.full(len(dev_y), "dev"),
            dev_features.sentence_embedding(PROTOTYPE_ENCODER),
        ),
    )
    log.info("selected blend %s: cv %s, dev macro-F1 %s", chosen.params.tag, chosen.cv_f1, chosen.dev_f1)
    proto_hash = prototypes_hash()
    version = f"{RECIPE}-C{best_c}-{chosen.params.tag}-p{proto_hash}-{_train_hash(data_dir)}"
    HEAD_FILE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        HEAD_FILE,
        coef=clf.coef_.astype(np.float32),
        intercept=clf.intercept_.astype(np.float32),
        parts=np.asarray(PARTS),
        classes=clf.classes_,
        version=np.asarray(version),
        blend_weight=np.asarray(chosen.params.weight),
        blend_temperature=np.asarray(chosen.params.temperature),
        blend_top_k=np.asarray(chosen.params.top_k),
        blend_pooling=np.asarray(chosen.params.pooling),
        blend_max_sentences=np.asarray(chosen.params.max_sentences),
        prototypes_hash=np.asarray(proto_hash),
    )
    return {
        "version": version,
        "C": best_c,
        "cv_macro_f1": cv_scores,
        "n_train": len(y),
        "blend": _blend_summary(chosen, table, len(dev_y), proto_hash),
    }


def _blend_summary(chosen: Candidate, table: list[Candidate], n_dev: int, proto_hash: str) -> dict:
    """What the manifest records of the selection: the rule, the choice, the head alone, the best per
    pooling and a."""
    per_weight: dict[str, dict] = {}
    for cand in table[1:]:
        key = f"{cand.params.pooling} a{cand.params.weight:g}"
        best = per_weight.get(key)
        if cand.admissible and (best is None or cand.dev_f1 > best["dev_f1"]):
            per_weight[key] = cand.as_dict()
    return {
        "rule": f"max dev macro-F1 s.t. CV macro-F1 per language >= head alone - {MAX_CV_DROP}",
        "dev": f"external demo blogs' labelled comments (n={n_dev})",
        "prototypes": {"file": PROTOTYPES_FILE.name, "hash": proto_hash},
        "weight": chosen.params.weight,
        "temperature": chosen.params.temperature,
        "top_k": chosen.params.top_k,
        "pooling": chosen.params.pooling,
        "max_sentences": chosen.params.max_sentences,
        "selected": chosen.as_dict(),
        "head_alone": table[0].as_dict(),
        "best_admissible_per_weight": per_weight,
    }


def inputs_hash(data_dir: Path, project_dir: Path) -> str:
    files = [
        data_dir / TRAIN_SETS[lang] / f"train_{k}.txt" for lang in TRAIN_SETS for k in ("text", "labels")
    ]
    files += [*sorted((project_dir / "demo" / "content").glob("*.json")), PROTOTYPES_FILE]
    return hashlib.sha256((RECIPE + "".join(_sha(f) for f in files if f.exists())).encode()).hexdigest()[:16]


def train(data_dir: Path | None = None, force: bool = False) -> dict:
    """Build all artifacts unless the manifest says they are up to date; returns the manifest."""
    data_dir = data_dir or default_data_dir()
    project_dir = Path(__file__).resolve().parents[1]
    if not (data_dir / TRAIN_SETS["de"]).is_dir():
        raise FileNotFoundError(f"training data not found under {data_dir} (set RESONANZ_SHARED_DATA)")
    key = inputs_hash(data_dir, project_dir)
    if not force and MANIFEST.exists() and HEAD_FILE.exists() and BACKGROUND_FILE.exists():
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
        if manifest.get("inputs_hash") == key:
            log.info("artifacts are up to date (inputs %s); use --force to rebuild", key)
            return manifest
    np.random.seed(SEED)
    manifest = {
        "inputs_hash": key,
        "seed": SEED,
        "sentiment_head": train_sentiment(data_dir, project_dir),
        "background": build_background(data_dir),
        "data": {
            f"{TRAIN_SETS[lang]}/train_{k}.txt": _sha(data_dir / TRAIN_SETS[lang] / f"train_{k}.txt")
            for lang in TRAIN_SETS
            for k in ("text", "labels")
        },
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.train", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=None, help="shared data folder (default: ../shared/data)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    manifest = train(args.data, args.force)
    json.dump(manifest, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

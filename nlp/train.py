"""Build the offline heads: `python -m nlp.train` (or `resonanz train`).

Sentiment: logistic regression on USE-m v3 ⊕ MiniLM ⊕ VADER features, trained on the German and
English XLM-T train splits jointly; C chosen by 5-fold cross-validation on train (fixed seed).
Background: the mean embedding of a mixed German/English corpus, used to centre topic scores when a
batch is too small to calibrate on itself. Artifacts go to nlp/artifacts/ with a manifest of data hashes;
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

from .evaldata import TRAIN_SETS, default_data_dir, demo_texts, read_split
from .features import BatchFeatures
from .language import get_language_detector
from .sentiment import HEAD_FILE
from .topics import BACKGROUND_FILE

log = logging.getLogger(__name__)

SEED = 13
C_GRID = (0.1, 0.25, 0.5, 1.0, 2.0)
PARTS = ("builtin:use", "builtin:minilm", "vader")
BACKGROUND_SPECS = ("builtin:use-minilm", "builtin:use")
RECIPE = "head-2"  # bump when the recipe changes
MANIFEST = HEAD_FILE.parent / "manifest.json"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def sentiment_features(texts: list[str], device: str = "cpu") -> np.ndarray:
    """The head's features, with languages from the same detector the pipeline uses."""
    languages = [r.label for r in get_language_detector("builtin:lingua").detect(texts)]
    return BatchFeatures(texts, languages, device).stack(PARTS)


def train_sentiment(data_dir: Path) -> dict:
    """Cross-validate C, fit on all train data, write the head; returns the manifest entry."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    splits = [read_split(data_dir, lang, "train") for lang in TRAIN_SETS]
    texts = [t for s in splits for t in s.texts]
    y = np.concatenate([s.labels for s in splits])
    langs = np.concatenate([[s.lang] * len(s.texts) for s in splits])
    log.info("embedding %d training texts", len(texts))
    X = sentiment_features(texts)
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    cv_scores = {}
    for c in C_GRID:
        pred = cross_val_predict(LogisticRegression(C=c, max_iter=5000), X, y, cv=folds)
        per_lang = {
            lang: f1_score(y[langs == lang], pred[langs == lang], average="macro") for lang in TRAIN_SETS
        }
        cv_scores[c] = {k: round(v, 4) for k, v in per_lang.items()}
        log.info("C=%s cross-validated macro-F1 %s", c, cv_scores[c])
    best = max(C_GRID, key=lambda c: float(np.mean(list(cv_scores[c].values()))))
    clf = LogisticRegression(C=best, max_iter=5000).fit(X, y)
    data_hash = hashlib.sha256(
        "".join(
            _sha(data_dir / TRAIN_SETS[s.lang] / f"train_{k}.txt") for s in splits for k in ("text", "labels")
        ).encode()
    ).hexdigest()[:12]
    version = f"{RECIPE}-C{best}-{data_hash}"
    HEAD_FILE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        HEAD_FILE,
        coef=clf.coef_.astype(np.float32),
        intercept=clf.intercept_.astype(np.float32),
        parts=np.asarray(PARTS),
        classes=clf.classes_,
        version=np.asarray(version),
    )
    return {
        "version": version,
        "C": best,
        "cv_macro_f1": {str(k): v for k, v in cv_scores.items()},
        "n_train": len(y),
    }


def background_texts(data_dir: Path, project_dir: Path) -> dict[str, list[str]]:
    """German and English texts of several kinds: tweets, news articles and the demo blogs if present."""
    sources = {f"tweets-{lang}": read_split(data_dir, lang, "train").texts for lang in TRAIN_SETS}
    truth = data_dir / "extraction" / "ground-truth.json"
    if truth.exists():
        sources["news-en"] = [
            v["articleBody"] for v in json.loads(truth.read_text(encoding="utf-8")).values()
        ]
    demo = [d.text for d in demo_texts(project_dir / "demo" / "content")]
    if demo:
        sources["demo-blogs"] = demo
    return sources


def build_background(data_dir: Path, project_dir: Path) -> dict:
    """Mean embedding per source kind, averaged over kinds (so no single corpus dominates)."""
    sources = background_texts(data_dir, project_dir)
    means: dict[str, np.ndarray] = {}
    for spec in BACKGROUND_SPECS:
        per_source = [BatchFeatures(texts).embedding(spec).mean(axis=0) for texts in sources.values()]
        means[spec] = np.mean(per_source, axis=0).astype(np.float32)
    np.savez_compressed(BACKGROUND_FILE, **means)
    digest = hashlib.sha256("\x1e".join("\x1f".join(t) for t in sources.values()).encode()).hexdigest()[:12]
    return {"sources": {k: len(v) for k, v in sources.items()}, "data_hash": digest}


def inputs_hash(data_dir: Path, project_dir: Path) -> str:
    files = [
        data_dir / TRAIN_SETS[lang] / f"train_{k}.txt" for lang in TRAIN_SETS for k in ("text", "labels")
    ]
    files += sorted((project_dir / "demo" / "content").glob("*.json"))
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
        "sentiment_head": train_sentiment(data_dir),
        "background": build_background(data_dir, project_dir),
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

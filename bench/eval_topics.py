"""Zero-shot topic accuracy on 10kGNAD dev (German news, 9 categories), from names + one-line descriptions only.

Usage: python bench/eval_topics.py [--model builtin:prototypes|NLI-MODEL] [--select]

Inductive first (nothing fitted on the evaluated texts: each text scored alone against the taxonomy, centred on
the committed background built from other text, see nlp/background.py), then the transductive figures (centred
on the mean of the evaluated texts, then the pipeline's corpus calibration: that mean + prototypes refined on
the texts). `--select` prints the design comparison the inductive scoring was chosen by: the hand-labelled
English news articles of bench/data/news_en_topics.json — 10kGNAD is never used for selection.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench.figures import figure
from nlp.encoders import normalize
from nlp.enrich import calibrate_topics, enrich_documents
from nlp.evaldata import default_data_dir, gnad_dev
from nlp.models import ModelSpec, load_models
from nlp.records import DocText, Taxonomy
from nlp.topics import PrototypeTopics, TopicCalibration, stored_background

# One line per category, written from what each section of an Austrian daily covers; nothing else is used.
TAXONOMY = {
    "Web": "Internet, Smartphones, Apps, Computer, Software, Games, soziale Netzwerke, Netzpolitik, Datenschutz, Technologiekonzerne",
    "Panorama": "Chronik, Kriminalität, Polizei, Unfälle, Gerichtsprozesse, Katastrophen, Wetter, Gesundheit, Prominente",
    "International": "Ausland, Weltpolitik, Krieg, Terror, Flüchtlinge, Diplomatie, Wahlen, Europäische Union, USA, Nahost",
    "Wirtschaft": "Unternehmen, Banken, Börse, Konjunktur, Arbeitsmarkt, Handel, Industrie, Steuern, Finanzen",
    "Sport": "Fußball, Tennis, Skifahren, Formel 1, Spiel, Tor, Trainer, Meisterschaft, Olympia",
    "Inland": "Innenpolitik, Österreich, Bundesregierung, Parlament, Parteien, Minister, Landtag, Asyl",
    "Etat": "Medien, Fernsehen, ORF, Zeitungen, Journalismus, Rundfunk, Werbung, Serien",
    "Wissenschaft": "Forschung, Wissenschaftler, Studie, Universität, Medizin, Biologie, Physik, Weltraum, Archäologie",
    "Kultur": "Kunst, Musik, Film, Kino, Theater, Oper, Literatur, Bücher, Ausstellung, Festival",
}
SELECTION = Path(__file__).parent / "data" / "news_en_topics.json"


def taxonomy() -> Taxonomy:
    return Taxonomy.from_dicts([{"name": k, "description": v} for k, v in TAXONOMY.items()])


def accuracy(docs, models, gold, calibration) -> float:
    results = enrich_documents(docs, models, tasks=("topics",), calibration=calibration)
    return float(np.mean([e.best_topic == g for e, g in zip(results, gold, strict=True)]))


def design_accuracies(topics: PrototypeTopics, vectors: np.ndarray, gold: list[str]) -> dict[str, float]:
    """Inductive designs side by side: one mean prototype per topic vs the top-k term scores, with/without background."""
    names = np.asarray(topics.taxonomy.names)
    stored = stored_background(topics.embedding, vectors.shape[1])
    zero = np.zeros_like(stored)
    out = {}
    for bname, background in (("no background", zero), ("stored background", stored)):
        mean = (vectors - background) @ topics.label_prototypes.T
        out[f"mean prototype, {bname}"] = mean
        for k in (1, 3):
            cols = [
                -np.sort(-((vectors - background) @ t.T), axis=1)[:, : min(k, len(t))].mean(axis=1)
                for t in topics.term_vectors
            ]
            out[f"top-{k} terms, {bname}"] = np.stack(cols, axis=1)
    return {k: float(np.mean(names[s.argmax(axis=1)] == np.asarray(gold))) for k, s in out.items()}


def selection_set(data_dir: Path) -> tuple[list[str], list[str]]:
    labels = json.loads(SELECTION.read_text(encoding="utf-8"))["labels"]
    truth = json.loads((data_dir / "extraction" / "ground-truth.json").read_text(encoding="utf-8"))
    return [truth[k]["articleBody"] for k in labels], list(labels.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin:prototypes")
    parser.add_argument(
        "--select", action="store_true", help="print the design comparison on the selection set"
    )
    args = parser.parse_args()
    data_dir = default_data_dir()
    if not (data_dir / "topics").is_dir():
        print(f"no evaluation data under {data_dir}")
        return 1
    models = load_models(ModelSpec(topics=args.model), taxonomy())
    if args.select:
        texts, gold = selection_set(data_dir)
        docs = [DocText(str(i), t) for i, t in enumerate(texts)]
        vectors = normalize(
            np.vstack([e.embedding for e in enrich_documents(docs, models, tasks=("embedding",))])
        )
        print(f"selection set: {len(texts)} hand-labelled English news articles ({SELECTION.name})")
        for name, acc in design_accuracies(models.topics, vectors, gold).items():
            print(f"  {name:<34} {acc:.3f}")
        return 0
    rows = gnad_dev()
    gold = [r.label for r in rows]
    docs = [DocText(str(i), r.text) for i, r in enumerate(rows)]
    print(f"10kGNAD dev n={len(rows)}, model {args.model} ({models.info('topics').version})")
    if args.model != "builtin:prototypes":
        print(f"10kGNAD zero-shot accuracy: {accuracy(docs, models, gold, None):.3f}")
        return 0
    vectors = [e.embedding for e in enrich_documents(docs, models, tasks=("embedding",))]
    docs = [replace(d, embedding=v) for d, v in zip(docs, vectors, strict=True)]
    sample = np.vstack(vectors)
    topics = models.topics
    for name, acc in design_accuracies(topics, sample, gold).items():
        print(f"  inductive design: {name:<34} {acc:.3f}")
    inductive = accuracy(docs, models, gold, None)
    centred = accuracy(
        docs, models, gold, TopicCalibration(sample.mean(axis=0), topics.label_prototypes, len(sample))
    )
    final = accuracy(docs, models, gold, calibrate_topics(models, sample))
    print(f"inductive, single texts with the stored background:              {inductive:.3f}")
    print(f"transductive, centred on the evaluated texts' mean (no refinement): {centred:.3f}")
    print(f"transductive, pipeline corpus calibration (mean + 5 refinements):   {final:.3f}")
    figure("topics.inductive", f"{inductive:.3f}")
    figure("topics.transductive", f"{final:.3f}")
    print(
        f"10kGNAD zero-shot accuracy: inductive {inductive:.3f}, transductive (corpus calibration) {final:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

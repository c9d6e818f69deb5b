"""Zero-shot topic accuracy on 10kGNAD dev (German news, 9 categories), from names + one-line descriptions only.

Usage: python bench/eval_topics.py [--model builtin:prototypes|NLI-MODEL]
Prints the stored-background figure (single texts), the corpus-centred one, and last the pipeline's figure
(the corpus calibration that flows/enrich.py applies: background mean + refined prototypes).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from nlp.enrich import calibrate_topics, enrich_documents
from nlp.evaldata import default_data_dir, gnad_dev
from nlp.models import ModelSpec, load_models
from nlp.records import DocText, Taxonomy
from nlp.topics import TopicCalibration

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


def accuracy(docs, models, gold, calibration) -> float:
    results = enrich_documents(docs, models, tasks=("topics",), calibration=calibration)
    return float(np.mean([e.best_topic == g for e, g in zip(results, gold, strict=True)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin:prototypes")
    args = parser.parse_args()
    if not (default_data_dir() / "topics").is_dir():
        print(f"no evaluation data under {default_data_dir()}")
        return 1
    rows = gnad_dev()
    taxonomy = Taxonomy.from_dicts([{"name": k, "description": v} for k, v in TAXONOMY.items()])
    models = load_models(ModelSpec(topics=args.model), taxonomy)
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
    stored = accuracy(docs, models, gold, None)
    centred = accuracy(
        docs, models, gold, TopicCalibration(sample.mean(axis=0), topics.label_prototypes, len(sample))
    )
    print(f"stored background (single texts, `resonanz classify` with few lines): {stored:.3f}")
    print(f"corpus-centred prototypes, no refinement:                             {centred:.3f}")
    final = accuracy(docs, models, gold, calibrate_topics(models, sample))
    print(f"10kGNAD zero-shot accuracy (pipeline: corpus-calibrated prototypes): {final:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

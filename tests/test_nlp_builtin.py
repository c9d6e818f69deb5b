"""The offline default models (committed heads, packaged encoders) and the classify command."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

from nlp.enrich import classify_texts
from nlp.models import load_models
from nlp.records import Taxonomy
from resonanz.cli import main


@pytest.fixture(scope="module")
def models():
    return load_models(
        taxonomy=Taxonomy.from_dicts(
            [
                {"name": "E-Rechnung", "description": "XRechnung, ZUGFeRD, Peppol, elektronische Rechnungen"},
                {
                    "name": "Sicherheit",
                    "description": "Ransomware, Backups, Zwei-Faktor-Authentifizierung, Angriffe",
                },
            ]
        )
    )


def test_language(models):
    rows = classify_texts(
        ["Wann kommt die neue Version?", "When will the new version ship?", "😀"], "language", models
    )
    assert [r["label"] for r in rows] == ["de", "en", "other"]


def test_sentiment_head(models):
    rows = classify_texts(
        [
            "Super, vielen Dank, das hat uns sehr geholfen!",
            "This update is terrible, everything broke again.",
        ],
        "sentiment",
        models,
    )
    assert [r["label"] for r in rows] == ["positive", "negative"]


def test_topics_single_texts_use_the_stored_background(models):
    rows = classify_texts(
        ["Ab 2025 müssen wir XRechnung empfangen können.", "Ransomware hat unsere Backups verschlüsselt."],
        "topics",
        models,
    )
    assert [r["label"] for r in rows] == ["E-Rechnung", "Sicherheit"]


def test_classify_command_keeps_input_order(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("Das ist großartig!\nThis is awful.\nok\n"))
    assert main(["classify", "--task", "sentiment"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and rows[0]["label"] == "positive" and rows[1]["label"] == "negative"


CORPUS = [
    *(f"XRechnung und ZUGFeRD: Rechnung {i} kommt als E-Rechnung über Peppol." for i in range(20)),
    *(f"Ransomware-Angriff Nummer {i}: die Backups waren verschlüsselt, 2FA fehlte." for i in range(20)),
]


def test_classify_skips_blank_lines(models):
    rows = classify_texts(["Das ist großartig!", "", "   ", "This is awful."], "sentiment", models)
    assert len(rows) == 4 and rows[1] == rows[2] == {} and rows[0]["label"] and rows[3]["label"]


def test_topics_calibrate_on_the_project_corpus_as_the_pipeline_does(models):
    """With the project's stored embeddings, classify assigns exactly what the pipeline stores."""
    from nlp.enrich import calibrate_topics, enrich_documents
    from nlp.records import DocText

    sample = np.vstack(
        [
            e.embedding
            for e in enrich_documents(
                [DocText(str(i), t) for i, t in enumerate(CORPUS)], models, 64, ("embedding",)
            )
        ]
    )
    texts = ["Great post, thanks for sharing!", "Unsere Backups wurden von Ransomware verschlüsselt."]
    rows = classify_texts(texts, "topics", models, corpus_sample=sample)
    calibration = calibrate_topics(models, sample)
    stored = list(
        enrich_documents(
            [DocText(str(i), t, kind="comment") for i, t in enumerate(texts)],
            models,
            64,
            ("topics",),
            calibration,
        )
    )
    assert [r["assigned"] for r in rows] == [[t.topic for t in e.topics if t.assigned] for e in stored]
    assert rows[0] == {"label": None, "assigned": [], "scores": rows[0]["scores"]}  # a thank-you has no topic
    assert rows[1]["label"] == "Sicherheit"

"""The offline default models (committed heads, packaged encoders) and the classify command."""

from __future__ import annotations

import io
import json
import sys

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

"""Docs cannot drift: README's generated sections, the example config, the set-up commands, quoted figures."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bench.figures import logged, quoted
from resonanz.commands.collect import example_config
from resonanz.config import Config
from resonanz.docs import README, _model_of, render

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_readme_generated_sections_are_up_to_date():
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "README.md is out of date: run `python -m resonanz.docs`"


def test_readme_names_exactly_the_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    assert set(re.findall(r"^make (\w+)", text, flags=re.M)) == {"demo", "test"}


def test_example_config_shows_every_key():
    """`resonanz init` writes every key of every section, set or as a commented example."""
    text = example_config()
    parsed = tomllib.loads(text)
    for section, field in Config.model_fields.items():
        model = _model_of(field.annotation)
        if model is None:
            continue
        assert section in parsed, f"example config lacks [{section}]"
        for key, sub in model.model_fields.items():
            name = sub.alias or key
            assert re.search(rf"^#?\s*{re.escape(name)}\s*=", text, flags=re.M), (
                f"example config lacks {section}.{name}"
            )


def test_readme_and_docs_figures_equal_the_latest_results():
    """Every `<!-- fig:KEY -->VALUE` in README/docs is the latest bench/RESULTS.md row of KEY (bench/figures.py)."""
    log = logged()
    assert log, "bench/RESULTS.md has no figures log"
    quotes = [
        (path, *q) for path in [README, *sorted(DOCS.glob("*.md"))] for q in quoted(path.read_text("utf-8"))
    ]
    assert any(path == README for path, *_ in quotes), (
        "README quotes no figure with a <!-- fig:KEY --> marker"
    )
    for path, key, value in quotes:
        assert key in log, (
            f"{path.name}: fig:{key} has no row in bench/RESULTS.md (run its script via bench.figures)"
        )
        assert value == log[key].value, (
            f"{path.name}: fig:{key} = {value}, bench/RESULTS.md says {log[key].value}"
        )


def test_every_logged_figure_names_a_script_that_prints_figures():
    for key, row in logged().items():
        parts = row.command.split()
        assert parts[0] == "python", row
        script = ROOT / (parts[2].replace(".", "/") + ".py") if parts[1] == "-m" else ROOT / parts[1]
        assert script.is_file(), f"fig:{key}: {row.command} names no script"
        assert "figure(" in script.read_text(encoding="utf-8"), f"fig:{key}: {script.name} prints no figure"
        assert row.commit and row.measured, row

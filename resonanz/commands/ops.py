"""Sub-commands: ops (filled in by its area)."""

from __future__ import annotations

COMMANDS: dict = {}

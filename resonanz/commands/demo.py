"""Sub-commands: demo (filled in by its area)."""

from __future__ import annotations

COMMANDS: dict = {}

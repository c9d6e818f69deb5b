"""Sub-commands of `resonanz`, grouped by area; each module exports COMMANDS."""

from __future__ import annotations

from . import collect, demo, demo_run, enrichment, operations, ops, sources, storage, surface
from . import nlp as nlp_commands

COMMANDS = {
    **collect.COMMANDS,
    **sources.COMMANDS,
    **demo.COMMANDS,
    **demo_run.COMMANDS,
    **nlp_commands.COMMANDS,
    **enrichment.COMMANDS,
    **surface.COMMANDS,
    **ops.COMMANDS,
    **operations.COMMANDS,
    **storage.COMMANDS,
}

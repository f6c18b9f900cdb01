"""The record each finished stage leaves in ``OUT/.state/STAGE.json``, read back with its shape checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embedkit.errors import ModelFormatError
from embedkit.io import read_json

STATE_DIR = ".state"
"""The folder of a run folder that holds the stages' records; its presence marks a run folder."""


def read_state(state_file: Path) -> dict[str, Any]:
    """A stage's record in ``.state/``: its fingerprint, artifacts (name -> path) and summary table.

    A record of another shape (edited by hand, damaged) is a :class:`ModelFormatError`.
    """
    state = read_json(state_file)
    if not (isinstance(state, dict) and isinstance(state.get("fingerprint", ""), str)
            and isinstance(state.get("artifacts", {}), dict)
            and all(isinstance(p, str) for p in state.get("artifacts", {}).values())
            and isinstance(state.get("summary", {}), dict)):
        raise ModelFormatError(f"{state_file}: not a stage record (run the pipeline again)")
    return state

"""What a stage of ``embedkit run`` receives: where to write, what earlier stages produced."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rich.console import Console

from embedkit.io import resolve_data_path


@dataclasses.dataclass
class RunContext:
    """Shared state of one pipeline run.

    ``artifacts`` maps a kind (``tokens``, ``vocab``, ``subword``, ``vectors``, ``lm``, ``clf``, ``ngram``)
    to the path an earlier stage wrote, so later stages find their inputs without repeating them.
    ``summaries`` collects each stage's figures for the printed summary and the report.
    """

    out_dir: Path
    base_dir: Path
    console: Console
    artifacts: dict[str, Path] = dataclasses.field(default_factory=dict)
    summaries: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def resolve(self, spec: str | Path) -> Path | str:
        """An input path from the pipeline file: ``gensim:NAME``, ``-``, absolute, or relative to the file."""
        resolved = resolve_data_path(spec)
        if isinstance(resolved, Path) and not resolved.is_absolute():
            return self.base_dir / resolved
        return resolved

    def output(self, name: str) -> Path:
        """A path inside the run's output folder."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self.out_dir / name

"""What a stage of ``embedkit run`` receives: where to write, what earlier stages produced."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from embedkit.errors import ConfigError
from embedkit.io import resolve_data_path


def resolve_spec(spec: str | Path, base_dir: Path) -> Path | str:
    """An input path of a pipeline file: ``gensim:NAME``, ``-``, absolute, or relative to ``base_dir``."""
    resolved = resolve_data_path(spec)
    if isinstance(resolved, Path) and not resolved.is_absolute():
        return base_dir / resolved
    return resolved


_KINDS = {
    "string": ("a string", lambda v: isinstance(v, str)),
    "integer": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "number": ("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    "strings": ("a list of strings", lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v)),
}


def check_options(table: Mapping[str, Any], kinds: Mapping[str, str], stage_name: str) -> None:
    """Raise :class:`ConfigError` where a stage's own option (not one of a config's) has the wrong type.

    ``kinds`` maps an option to ``string``, ``integer``, ``number`` or ``strings`` (a list of strings).
    """
    for key, kind in kinds.items():
        wants, fits = _KINDS[kind]
        if key in table and not fits(table[key]):
            raise ConfigError(f"[{stage_name}] option '{key}' wants {wants}, got {table[key]!r}")


@dataclasses.dataclass
class RunContext:
    """Shared state of one pipeline run.

    ``artifacts`` maps a kind (``tokens``, ``vocab``, ``subword``, ``vectors``, ``lm``, ``diagnose``, ``clf``,
    ``ngram``) to the path an earlier stage wrote, so later stages find their inputs without repeating them.
    ``summaries`` collects each stage's figures for the printed summary and the report.
    """

    out_dir: Path
    base_dir: Path
    console: Console
    artifacts: dict[str, Path] = dataclasses.field(default_factory=dict)
    summaries: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def resolve(self, spec: str | Path) -> Path | str:
        """An input path from the pipeline file: ``gensim:NAME``, ``-``, absolute, or relative to the file."""
        return resolve_spec(spec, self.base_dir)

    def output(self, name: str) -> Path:
        """A path inside the run's output folder."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self.out_dir / name

    def inputs(self, table: Mapping[str, Any], stage_name: str) -> list[str | Path]:
        """The stage's ``input`` (a path or a list, relative to the pipeline file) or the run's ``tokens``."""
        spec = table.get("input")
        if spec is None:
            if "tokens" not in self.artifacts:
                raise ConfigError(f"[{stage_name}] needs an 'input' (or a preprocess stage before it)")
            return [self.artifacts["tokens"]]
        specs = spec if isinstance(spec, list) else [spec]
        if not specs or not all(isinstance(s, str) for s in specs):
            raise ConfigError(f"[{stage_name}] option 'input' wants a path or a list of paths, got {spec!r}")
        return [self.resolve(s) for s in specs]

    def encoding(self, table: Mapping[str, Any], stage_name: str) -> str:
        """The stage's ``encoding`` of its input files (UTF-8 unless given)."""
        encoding = table.get("encoding", "utf-8")
        if not isinstance(encoding, str):
            raise ConfigError(f"[{stage_name}] option 'encoding' wants a string, got {encoding!r}")
        return encoding

    def vectors(self, table: Mapping[str, Any], stage_name: str) -> Path | str | None:
        """The word vectors a stage starts from: its ``embeddings`` folder, the run's vectors, or none (false)."""
        choice = table.get("embeddings", True)
        if isinstance(choice, str):
            return self.resolve(choice)
        if not isinstance(choice, bool):
            raise ConfigError(f"[{stage_name}] option 'embeddings' wants true, false or a folder, got {choice!r}")
        return self.artifacts.get("vectors") if choice else None

    def token_file(self, table: Mapping[str, Any], stage_name: str) -> Path | str:
        """The one token file a stage trains on: its ``input`` or the run's ``tokens``."""
        found = self.inputs(table, stage_name)
        if len(found) != 1:
            raise ConfigError(f"[{stage_name}] trains on one token file, got {len(found)}")
        return found[0]

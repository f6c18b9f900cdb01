"""Execute a pipeline file: stages in order, each skipped when its fingerprint is unchanged.

A pipeline file is TOML: an optional ``[run]`` table (``stages``: the order; ``output``: the folder) and
one table per stage. Each finished stage records in ``OUT/.state/STAGE.json`` a fingerprint of its inputs
(its table, the content of the files it reads, the fingerprint of the stage before it, library versions),
the artifacts it produced and its summary. A later run skips a stage whose fingerprint still matches and
whose outputs still exist, so only what a change touches downstream runs again; a failed stage leaves the
finished ones in place.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from embedkit import __version__
from embedkit.config import load_toml
from embedkit.errors import ConfigError
from embedkit.io import read_json, write_json
from embedkit.run.context import RunContext

STAGES = ("preprocess", "vocab", "subword", "w2v", "eval", "ngram", "lm", "clf")
FILE_KEYS = ("input", "labels", "valid", "test", "vectors", "analogies", "pairs", "embeddings")
StageFn = Callable[[dict[str, Any], RunContext], dict[str, Any]]


def stage_function(name: str) -> StageFn:
    """The ``stage`` function of ``embedkit.run.stage_NAME``."""
    if name not in STAGES:
        raise ConfigError(f"unknown stage [{name}] (known: {', '.join(STAGES)})")
    return importlib.import_module(f"embedkit.run.stage_{name}").stage


def plan(pipeline: dict[str, Any]) -> list[str]:
    """Stage names in run order: ``[run].stages`` if given, else the order of the tables in the file."""
    run_table = pipeline.get("run", {})
    names = run_table.get("stages") or [key for key in pipeline if key != "run"]
    for name in names:
        if name not in STAGES:
            raise ConfigError(f"unknown stage [{name}] (known: {', '.join(STAGES)})")
        if name not in pipeline and run_table.get("stages"):
            pipeline[name] = {}
    return list(names)


def _file_digest(path: Path, cache: dict[Path, str]) -> str:
    if path not in cache:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        cache[path] = digest.hexdigest()
    return cache[path]


def fingerprint(name: str, table: dict[str, Any], previous: str, ctx: RunContext,
                digests: dict[Path, str]) -> str:
    """Hash of everything a stage's result depends on."""
    files = []
    for key in FILE_KEYS:
        raw = table.get(key)
        if isinstance(raw, dict):
            raw = list(raw.values())
        for spec in raw if isinstance(raw, list) else [raw] if raw else []:
            path = ctx.resolve(spec) if isinstance(spec, str) else None
            if isinstance(path, Path) and path.is_file():
                files.append(_file_digest(path, digests))
    blob = json.dumps({"stage": name, "table": table, "previous": previous, "files": files,
                       "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _up_to_date(state_file: Path, digest: str) -> dict[str, Any] | None:
    if not state_file.exists():
        return None
    try:
        state = read_json(state_file)
    except Exception:
        return None
    if state.get("fingerprint") != digest:
        return None
    if not all(Path(p).exists() for p in state.get("artifacts", {}).values()):
        return None
    return state


def run_pipeline(path: str | Path, out_dir: str | Path | None = None, console: Console | None = None,
                 only: str | None = None, start: str | None = None, dry_run: bool = False) -> RunContext:
    """Run (or, with ``dry_run``, plan) the stages of a pipeline file; returns the run's context."""
    path = Path(path)
    pipeline = load_toml(path)
    names = plan(pipeline)
    if not names:
        raise ConfigError(f"{path}: names no stage (known: {', '.join(STAGES)})")
    for flag, value in (("--only", only), ("--from", start)):
        if value is not None and value not in names:
            raise ConfigError(f"{flag} {value}: the pipeline has no such stage ({', '.join(names)})")
    out = Path(out_dir) if out_dir else Path(pipeline.get("run", {}).get("output", Path("runs") / path.stem))
    console = console or Console(stderr=True, highlight=False)
    ctx = RunContext(out_dir=out, base_dir=path.resolve().parent, console=console)
    state_dir = out / ".state"
    digests: dict[Path, str] = {}
    previous = ""
    forced = False
    ran = False
    for name in names:
        table = dict(pipeline.get(name, {}))
        digest = fingerprint(name, table, previous, ctx, digests)
        previous = digest
        forced = forced or name == start or name == only
        selected = only is None or name == only
        state = None if forced and selected else _up_to_date(state_dir / f"{name}.json", digest)
        if state is not None:
            ctx.artifacts.update({k: Path(v) for k, v in state.get("artifacts", {}).items()})
            ctx.summaries[name] = state.get("summary", {})
            console.print(f"[dim]{name}: up to date, skipped[/dim]")
            continue
        if not selected:
            raise ConfigError(f"--only {only}: stage {name} before it is not up to date; run it first")
        if dry_run:
            console.print(f"{name}: would run")
            continue
        console.print(f"[bold]{name}[/bold]: running")
        ran = True
        before = dict(ctx.artifacts)
        began = time.perf_counter()
        summary = stage_function(name)(table, ctx) or {}
        summary.setdefault("seconds", round(time.perf_counter() - began, 2))
        ctx.summaries[name] = summary
        produced = {k: str(v) for k, v in ctx.artifacts.items() if before.get(k) != v}
        write_json(state_dir / f"{name}.json", {"fingerprint": digest, "artifacts": produced, "summary": summary})
        console.print(f"{name}: done in {summary['seconds']}s")
    if not dry_run and (ran or not (out / "report.md").exists()):
        from embedkit.run.report import write_report

        write_report(out, title=f"embedkit run {path.name}")
    if not ran and not dry_run:
        console.print("nothing to do: every stage is up to date")
    return ctx

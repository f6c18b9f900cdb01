"""Execute a pipeline file: stages in order, each skipped when its fingerprint is unchanged.

A pipeline file is TOML: an optional ``[run]`` table (``stages``: the order; ``output``: the folder) and
one table per stage (see :mod:`embedkit.run.stages`). The whole file is checked before the first stage
runs: unknown tables and keys, bad option values, missing input files, a stage whose input no stage before
it makes, and a run folder that holds anything but a run stop it with one line. Paths in a table are
relative to the pipeline file. Each finished stage records in ``OUT/.state/STAGE.json`` a
fingerprint of its inputs (its table, the content of every file and folder it reads, the fingerprint of
the stage before it, the embedkit version), the artifacts it produced and its summary. A later run skips a
stage whose fingerprint still matches and whose outputs still exist, so only what a change touches
downstream runs again; a failed stage leaves the finished ones in place. One run at a time holds the run
folder (:func:`embedkit.run.lock.run_lock`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from embedkit import __version__
from embedkit.config import load_toml
from embedkit.errors import ConfigError, EmbedkitError, InputError
from embedkit.io import STDIN, check_output_folder, write_json
from embedkit.run.context import RunContext, resolve_spec
from embedkit.run.lock import LOCK_NAME, run_lock
from embedkit.run.stages import STAGES
from embedkit.run.state import STATE_DIR, read_state

RUN_KEYS = ("output", "stages")
RECIPE_HINT = ("the recipes in pipelines/ read their corpora from ../shared/data beside the checkout: "
               "put the data there or edit the paths")
_BLOCK = 1 << 20


def plan(pipeline: dict[str, Any]) -> list[str]:
    """Stage names in run order: ``[run].stages`` if given, else the order of the tables in the file.

    Raises :class:`ConfigError` for a key outside a table, an unknown table or ``[run]`` option, and a
    stage named twice.
    """
    known = ", ".join(STAGES)
    for key, value in pipeline.items():
        if not isinstance(value, dict):
            raise ConfigError(f"'{key}' is not a table: options go under [run] or a stage's table")
        if key != "run" and key not in STAGES:
            raise ConfigError(f"unknown stage [{key}] (known: {known})")
    run_table = pipeline.get("run", {})
    unknown = sorted(set(run_table) - set(RUN_KEYS))
    if unknown:
        raise ConfigError(f"unknown option '{unknown[0]}' in [run] (known: {', '.join(RUN_KEYS)})")
    if not isinstance(run_table.get("output", ""), str):
        raise ConfigError(f"[run] option 'output' wants a folder, got {run_table['output']!r}")
    names = run_table.get("stages")
    if names is None:
        return [key for key in pipeline if key != "run"]
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ConfigError(f"[run] option 'stages' wants a list of stage names, got {names!r}")
    for name in names:
        if name not in STAGES:
            raise ConfigError(f"unknown stage '{name}' in [run] stages (known: {known})")
        if names.count(name) > 1:
            raise ConfigError(f"[run] stages names '{name}' twice")
        pipeline.setdefault(name, {})
    return list(names)


def _path_specs(value: Any, name: str, key: str) -> list[str]:
    """The path strings of one option: a path, a list of paths, a table of paths (``true``/``false``: none)."""
    if isinstance(value, bool):
        return []
    values = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        raise ConfigError(f"[{name}] option '{key}' wants a path or a list of paths, got {value!r}")
    return values


def _resolve(spec: str, base_dir: Path) -> str:
    """A path of the pipeline file as the stage should read it: ``gensim:NAME`` found, relative ones joined."""
    path = resolve_spec(spec, base_dir)
    return path if path == STDIN else os.path.normpath(path)


def _inside(path: str, folder: Path) -> bool:
    return os.path.commonpath([os.path.abspath(path), os.path.abspath(folder)]) == os.path.abspath(folder)


def resolve_paths(name: str, table: Mapping[str, Any], base_dir: Path, out_dir: Path) -> dict[str, Any]:
    """A copy of a stage's table with its input paths resolved (relative to ``base_dir``) and checked to exist.

    A path inside the run folder ``out_dir`` may not exist yet (an earlier stage writes it); any other
    missing path raises :class:`InputError`, with a hint when it is a recipe's ``../shared/data``.
    """
    resolved = dict(table)
    for key in STAGES[name].paths:
        if key not in table:
            continue
        specs = _path_specs(table[key], name, key)
        paths = {spec: _resolve(spec, base_dir) for spec in specs}
        for spec, path in paths.items():
            if path != STDIN and not os.path.exists(path) and not _inside(path, out_dir):
                hint = f"; {RECIPE_HINT}" if "shared/data" in Path(spec).as_posix() else ""
                raise InputError(f"{path}: no such file or folder ([{name}] {key}){hint}")
        value = table[key]
        if isinstance(value, dict):
            resolved[key] = {label: paths[spec] for label, spec in value.items()}
        elif isinstance(value, list):
            resolved[key] = [paths[spec] for spec in value]
        elif isinstance(value, str):
            resolved[key] = paths[value]
    return resolved


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def path_digest(path: str | Path, cache: dict[str, str] | None = None) -> str:
    """A hash of what a stage reads at ``path``: a file's bytes; a folder's file names and their bytes.

    Hidden files and folders (which no reader reads) are left out. A missing path, ``-`` or a device has a
    fixed marker, so it is never read (``/dev/zero`` would never end).
    """
    cache = {} if cache is None else cache
    key = os.path.abspath(path)
    if key in cache:
        return cache[key]
    path = Path(path)
    if str(path) == STDIN:
        digest = "stdin"
    elif path.is_file():
        digest = _file_digest(path)
    elif path.is_dir():
        combined = hashlib.sha256()
        for item in sorted(path.rglob("*")):
            relative = item.relative_to(path)
            if item.is_file() and not any(part.startswith(".") for part in relative.parts):
                combined.update(f"{relative.as_posix()}\0{path_digest(item, cache)}\n".encode())
        digest = "folder:" + combined.hexdigest()
    elif path.exists():
        digest = "special"
    else:
        digest = "missing"
    cache[key] = digest
    return digest


def fingerprint(name: str, table: Mapping[str, Any], resolved: Mapping[str, Any], previous: str,
                cache: dict[str, str]) -> str:
    """Hash of everything a stage's result depends on: its table, what its paths hold, the stage before it."""
    files = {key: [path_digest(path, cache) for path in _path_specs(resolved[key], name, key)]
             for key in STAGES[name].paths if key in resolved}
    blob = json.dumps({"stage": name, "table": table, "previous": previous, "files": files,
                       "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _up_to_date(state_file: Path, digest: str) -> dict[str, Any] | None:
    if not state_file.exists():
        return None
    try:
        state = read_state(state_file)
    except (EmbedkitError, OSError):
        return None
    if state.get("fingerprint") != digest:
        return None
    if not all(Path(p).exists() for p in state.get("artifacts", {}).values()):
        return None
    return state


def load_pipeline(path: str | Path) -> dict[str, Any]:
    """The tables of a pipeline file; a folder, a missing or malformed file raise :class:`ConfigError`."""
    path = Path(path)
    if path.is_dir():
        found = sorted(p.name for p in path.glob("*.toml"))
        listed = f": name one of its files ({', '.join(found)})" if found else ""
        raise ConfigError(f"{path}: is a folder, not a pipeline file{listed}")
    return load_toml(path)


def check_inputs(pipeline: Mapping[str, Mapping[str, Any]], names: list[str]) -> None:
    """Raise :class:`ConfigError` for a stage of the plan ``names`` whose table does not name its input and no
    stage before it makes the artifact it would read instead (:attr:`~embedkit.run.stages.Stage.needs`)."""
    made: set[str] = set()
    for name in names:
        stage = STAGES[name]
        if stage.needs is not None:
            option, artifact = stage.needs
            if pipeline.get(name, {}).get(option) is None and artifact not in made:
                makers = " or ".join(s.name for s in STAGES.values() if s.makes == artifact)
                raise ConfigError(f"[{name}] needs '{option}' (or a {makers} stage before it)")
        if stage.makes is not None:
            made.add(stage.makes)


def check_tables(pipeline: dict[str, Any], names: list[str], base_dir: Path,
                 out_dir: Path) -> dict[str, dict[str, Any]]:
    """Check the options of every stage table, and the inputs of the stages in ``names`` (the plan): each one's
    input paths exist and what it reads from an earlier stage is made by one (:func:`check_inputs`).

    Returns the planned tables with their paths resolved. A table left out of ``[run].stages`` is checked
    for typos but its inputs need not exist.
    """
    for name, table in pipeline.items():
        if name != "run":
            STAGES[name].check(dict(table))
    check_inputs(pipeline, names)
    return {name: resolve_paths(name, pipeline[name], base_dir, out_dir) for name in names}


def is_run_dir(path: str | Path) -> bool:
    """True for a folder ``embedkit run`` wrote: it holds the stages' ``.state/`` or a run's lock file."""
    folder = Path(path)
    return (folder / STATE_DIR).is_dir() or (folder / LOCK_NAME).exists()


def check_run_dir(path: str | Path) -> Path:
    """Refuse a run folder that holds anything but a run (nothing of the user's is overwritten); returns it.

    A new or empty folder, or one :func:`is_run_dir` knows, is fine: a run resumes there. Call it before the
    first stage runs, as :func:`embedkit.io.check_model_dir` is for model folders.
    """
    return check_output_folder(path, is_run_dir, "run", "refusing to write into it")


@contextlib.contextmanager
def _run_folder(out: Path) -> Iterator[None]:
    """Hold the run folder ``out`` with ``.state/`` in it, so it is a run folder from the first stage on; a
    run that fails before any stage finished removes the folder when it made it (empty folders only)."""
    made = not out.exists()
    state = out / STATE_DIR
    try:
        with run_lock(out):
            state.mkdir(exist_ok=True)
            yield
    except BaseException:
        # only a folder this run made and left as it found it (nothing but an empty .state/) goes; one a stage
        # wrote into stays a run folder, so the next run takes it
        if made and state.is_dir() and not any(state.iterdir()) and list(out.iterdir()) == [state]:
            with contextlib.suppress(OSError):
                state.rmdir()
                out.rmdir()
        raise


def run_pipeline(path: str | Path, out_dir: str | Path | None = None, console: Console | None = None,
                 only: str | None = None, start: str | None = None, dry_run: bool = False) -> RunContext:
    """Run (or, with ``dry_run``, plan) the stages of a pipeline file; returns the run's context."""
    path = Path(path)
    pipeline = load_pipeline(path)
    base_dir = path.resolve().parent
    names = plan(pipeline)
    if not names:
        raise ConfigError(f"{path}: names no stage (known: {', '.join(STAGES)})")
    out = Path(out_dir) if out_dir else Path(pipeline.get("run", {}).get("output", Path("runs") / path.stem))
    resolved = check_tables(pipeline, names, base_dir, out)
    for flag, value in (("--only", only), ("--from", start)):
        if value is not None and value not in names:
            raise ConfigError(f"{flag} {value}: the pipeline has no such stage ({', '.join(names)})")
    check_run_dir(out)
    ctx = RunContext(out_dir=out, base_dir=base_dir, console=console or Console(stderr=True, highlight=False))
    if dry_run:
        _run_stages(path, pipeline, names, resolved, ctx, only, start, dry_run=True)
        return ctx
    with _run_folder(out):
        _run_stages(path, pipeline, names, resolved, ctx, only, start, dry_run=False)
    return ctx


def _run_stages(path: Path, pipeline: dict[str, Any], names: list[str], resolved: dict[str, dict],
                ctx: RunContext, only: str | None, start: str | None, dry_run: bool) -> None:
    console, out = ctx.console, ctx.out_dir
    state_dir = out / STATE_DIR
    cache: dict[str, str] = {}
    previous = ""
    forced = False
    ran = False
    for name in names:
        table = dict(pipeline.get(name, {}))
        digest = fingerprint(name, table, resolved[name], previous, cache)
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
        summary = STAGES[name].run(dict(resolved[name]), ctx) or {}
        summary.setdefault("seconds", round(time.perf_counter() - began, 2))
        ctx.summaries[name] = summary
        cache.clear()  # the stage may have written a file a later stage reads
        produced = {k: str(v) for k, v in ctx.artifacts.items() if before.get(k) != v}
        write_json(state_dir / f"{name}.json", {"fingerprint": digest, "artifacts": produced, "summary": summary})
        console.print(f"{name}: done in {summary['seconds']}s")
    if not dry_run and (ran or not (out / "report.md").exists()):
        from embedkit.run.report import write_report

        write_report(out, title=f"embedkit run {path.name}")
    if not ran and not dry_run:
        console.print("nothing to do: every stage is up to date")

"""`embedkit preprocess`: text in, one document (or sentence) a line of tokens out."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import typer

from embedkit.cli import text_options as opts
from embedkit.cli.options import default_help, switch_help
from embedkit.cli.progress import err_console, rate_progress
from embedkit.config import config_from_dict, load_toml, replace_config
from embedkit.errors import ConfigError
from embedkit.text.config import PreprocessConfig

_DEFAULTS = PreprocessConfig()


@opts.with_text_flags
def preprocess(
    inputs: list[str] = typer.Argument(..., help="Files, folders (searched by --glob), .gz files, or - for stdin."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output file (stdout when omitted or -)."),
    config_file: Path | None = typer.Option(None, "--config", help="TOML file with a \\[preprocess] table."),
    text_flags: dict[str, Any] | None = None,
    sentences: bool | None = typer.Option(None, "--sentences/--documents", help=switch_help(
        "One sentence a line, or one document.", _DEFAULTS, "sentences", "--sentences", "--documents")),
    unit: str | None = typer.Option(None, "--unit", help=default_help(
        "Input documents: line (one a line) or file.", _DEFAULTS, "unit")),
    output_format: str | None = typer.Option(None, "--format", help=default_help(
        "text (space-separated) or jsonl.", _DEFAULTS, "output_format")),
    encoding: str | None = typer.Option(None, "--encoding", help=default_help(
        "Input encoding, e.g. cp1251.", _DEFAULTS, "encoding")),
    glob: str | None = typer.Option(None, "--glob", help=(
        f"Pattern for files inside folders (default: {_DEFAULTS.glob}, taking files with a text suffix).")),
    workers: int | None = typer.Option(None, "--workers", "-j", help=default_help(
        "Worker processes, each with its own type cache (order is kept).", _DEFAULTS, "workers")),
    executor: str = typer.Option("local", "--executor", help="local (processes here) or dask."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address (default: a LocalCluster)."),
) -> None:
    """Normalise, tokenise, drop stop words, lemmatise or stem; stream text to a token file."""
    from embedkit.text.executors import DaskExecutor, dask_client
    from embedkit.text.pipeline import preprocess_files

    base = PreprocessConfig()
    if config_file is not None:
        base = config_from_dict(PreprocessConfig, load_toml(config_file).get("preprocess", {}), "preprocess")
    config = replace_config(opts.text_config(base, text_flags or {}), sentences=sentences, unit=unit,
                            output_format=output_format, encoding=encoding, glob=glob, workers=workers)
    if executor not in ("local", "dask"):
        raise ConfigError(f"unknown executor '{executor}' (choose from local, dask)")
    with contextlib.ExitStack() as stack:
        runner = None
        if executor == "dask":
            client = stack.enter_context(dask_client(scheduler, config.workers))
            runner = DaskExecutor(client, window=4 * max(config.workers, 2))
        advance = stack.enter_context(rate_progress("preprocess"))
        summary = preprocess_files(inputs, output, config, progress=advance, executor=runner)
    target = "stdout" if output is None or str(output) == "-" else str(output)
    err_console.print(
        f"{summary.documents:,} documents, {summary.tokens:,} tokens, {summary.types:,} types "
        f"in {summary.seconds:.2f}s ({summary.tokens_per_second:,.0f} tokens/s) -> {target}"
    )

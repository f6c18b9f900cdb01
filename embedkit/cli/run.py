"""`embedkit run PIPELINE.toml`: the stages of a pipeline file, in order, into one folder."""

from __future__ import annotations

from pathlib import Path

import typer

from embedkit.cli.progress import err_console


def run(
    pipeline: Path = typer.Argument(..., help="Pipeline TOML file (see pipelines/)."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Run folder: new, empty or an earlier run's (default: \\[run].output)."),
    only: str | None = typer.Option(None, "--only", help="Run just this stage (earlier ones must be done)."),
    start: str | None = typer.Option(None, "--from", help="Re-run from this stage on."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; run nothing."),
) -> None:
    """Run the stages of a pipeline file; stages whose inputs did not change are skipped."""
    from embedkit.run.runner import run_pipeline

    ctx = run_pipeline(pipeline, output, console=err_console, only=only, start=start, dry_run=dry_run)
    if not dry_run:
        err_console.print(f"run folder: {ctx.out_dir}")


def report(run_dir: Path = typer.Argument(..., help="A folder written by `embedkit run`.")) -> None:
    """Rebuild report.md and its plots from a run folder."""
    from embedkit.run.report import write_report

    err_console.print(f"wrote {write_report(run_dir)}")

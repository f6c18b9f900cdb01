"""Rich progress bars on a terminal, silence in pipes: shared by every long-running command."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

err_console = Console(stderr=True, highlight=False)


def interactive() -> bool:
    """True when stderr is a terminal (progress bars make sense)."""
    return sys.stderr.isatty()


@contextlib.contextmanager
def rate_progress(description: str, unit: str = "tokens") -> Iterator[Callable[[int, int], None]]:
    """A progress display with a running count of ``unit`` per second; yields ``advance(items, units)``."""
    if not interactive():
        yield lambda items, units: None
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(bar_width=None),
               TextColumn("{task.fields[items]:,} docs  {task.completed:,.0f} " + unit),
               TextColumn("{task.fields[rate]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(description, total=None, items=0, rate="")

        def advance(items: int, units: int) -> None:
            progress.update(task, advance=units, items=progress.tasks[task].fields["items"] + items)
            speed = progress.tasks[task].speed
            progress.update(task, rate=f"{speed:,.0f} {unit}/s" if speed else "")

        yield advance

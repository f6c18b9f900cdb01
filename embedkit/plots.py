"""The one place embedkit draws: a PNG figure on matplotlib's Agg canvas, written atomically.

Every plot (a run report's series, the trainer's ``loss.png``, ``lm diagnose``'s gradient norms) goes
through :func:`png_figure`. It draws on its own :class:`~matplotlib.figure.Figure` with an Agg canvas, so it
needs no display, never touches pyplot's global state (a notebook's backend stays as it was), and leaves
either the finished PNG or nothing at the target path.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "line.png"
>>> with png_figure(path) as ax:
...     _ = ax.plot([1, 2, 3], [3, 1, 2])
>>> path.read_bytes()[:4] == b"\\x89PNG"
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from embedkit.io import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FIGSIZE = (7.0, 4.0)
DPI = 90


@contextlib.contextmanager
def png_figure(path: str | Path, figsize: tuple[float, float] = FIGSIZE, dpi: int = DPI) -> Iterator[Axes]:
    """Yield the axes of a new figure; on a clean exit, lay it out and write it to ``path`` as a PNG.

    The file is written through :func:`embedkit.io.atomic_write`: an error while drawing or saving leaves
    no partial file (and an existing plot at ``path`` untouched).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    yield figure.subplots()
    figure.tight_layout()
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=dpi)

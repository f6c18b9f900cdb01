"""embedkit.plots: the one place that draws; PNGs written whole or not at all, pyplot left alone."""

from __future__ import annotations

import doctest
import sys

import pytest

import embedkit.plots
from embedkit.plots import png_figure


def test_png_figure_writes_a_png(tmp_path) -> None:
    path = tmp_path / "sub" / "a.png"
    with png_figure(path) as ax:
        ax.plot([1, 2, 3], [2, 1, 3])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in path.parent.iterdir() if p.name != "a.png"]


def test_error_while_drawing_leaves_the_old_plot_and_no_part_file(tmp_path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(b"old")
    with pytest.raises(ValueError), png_figure(path) as ax:
        ax.plot([1, 2], [1, 2])
        raise ValueError("broken")
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_drawing_does_not_import_pyplot() -> None:
    """A notebook's pyplot backend is its own: drawing uses a private Agg canvas."""
    import subprocess

    code = ("import sys, tempfile, pathlib\nfrom embedkit.plots import png_figure\n"
            "with png_figure(pathlib.Path(tempfile.mkdtemp()) / 'x.png') as ax:\n    ax.plot([1, 2])\n"
            "print('matplotlib.pyplot' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"


def test_docstring_example_runs() -> None:
    result = doctest.testmod(embedkit.plots)
    assert result.attempted > 0 and result.failed == 0

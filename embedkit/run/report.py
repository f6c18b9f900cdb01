"""``report.md`` of a run folder: each stage's figures as tables, series as PNG plots, samples as lists.

The report is built from what the stages recorded in ``.state/STAGE.json``, so ``embedkit report RUN_DIR``
rebuilds it at any time. Summary values are rendered by shape: numbers and strings go into the stage's
table; a list of numbers (a loss per epoch, a perplexity curve) becomes a PNG line plot; a mapping of
numeric lists becomes one plot with a line each; a list of number lists (a confusion matrix) becomes a
Markdown grid; a mapping of mappings of numbers (rows of named figures) becomes a Markdown table with its
row and column names; a mapping of lists (nearest neighbours) becomes a bullet list; a string ending in
``.png`` (a plot the stage drew, relative to the run folder) becomes an image.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from embedkit.io import atomic_write
from embedkit.plots import png_figure
from embedkit.run.stages import STAGES
from embedkit.run.state import STATE_DIR, read_state


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_series(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str) and len(value) > 1 and all(
        _is_number(v) for v in value)


def _is_matrix(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str) and bool(value) and all(
        isinstance(row, Sequence) and not isinstance(row, str) and all(_is_number(v) for v in row) for row in value)


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(
        isinstance(row, Mapping) and bool(row) and all(_is_number(v) for v in row.values()) for row in value.values())


def _is_image(value: Any) -> bool:
    return isinstance(value, str) and value.lower().endswith(".png")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def _plot(path: Path, title: str, series: Mapping[str, Sequence[float]]) -> None:
    with png_figure(path, figsize=(6, 3.5), dpi=100) as ax:
        for label, values in series.items():
            ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=label)
        ax.set_title(title)
        ax.set_xlabel("epoch / step")
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend()


def _stage_section(name: str, summary: Mapping[str, Any], run_dir: Path) -> list[str]:
    lines = [f"## {name}", ""]
    scalars = {k: v for k, v in summary.items() if (_is_number(v) or isinstance(v, (str, bool))) and not _is_image(v)}
    if scalars:
        lines += ["| figure | value |", "| --- | --- |"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in scalars.items()]
        lines.append("")
    for key, value in summary.items():
        if key in scalars:
            continue
        if _is_image(value):
            lines += [f"![{name} {key}]({value})", ""]
        elif _is_series(value):
            _plot(run_dir / f"{name}_{key}.png", f"{name}: {key}", {key: value})
            lines += [f"**{key}**: " + ", ".join(_fmt(v) for v in value), "",
                      f"![{name} {key}]({name}_{key}.png)", ""]
        elif isinstance(value, Mapping) and value and all(_is_series(v) for v in value.values()):
            _plot(run_dir / f"{name}_{key}.png", f"{name}: {key}", value)
            lines += [f"**{key}**", "", f"![{name} {key}]({name}_{key}.png)", ""]
        elif _is_table(value):
            columns = list(dict.fromkeys(column for row in value.values() for column in row))
            lines += [f"**{key}**", "", "| | " + " | ".join(_fmt(c) for c in columns) + " |",
                      "| --- " * (len(columns) + 1) + "|"]
            lines += [f"| {_fmt(label)} | " + " | ".join(_fmt(row.get(c, "")) for c in columns) + " |"
                      for label, row in value.items()]
            lines.append("")
        elif _is_matrix(value):
            width = max(len(row) for row in value)
            lines += [f"**{key}**", "", "| | " + " | ".join(str(i) for i in range(width)) + " |",
                      "| --- " * (width + 1) + "|"]
            lines += [f"| {i} | " + " | ".join(_fmt(v) for v in row) + " |" for i, row in enumerate(value)]
            lines.append("")
        elif isinstance(value, Mapping):
            lines += [f"**{key}**", ""]
            for sub, items in value.items():
                shown = ", ".join(_fmt(x) for x in items) if isinstance(items, (list, tuple)) else _fmt(items)
                lines.append(f"- {_fmt(sub)}: {shown}")
            lines.append("")
        elif isinstance(value, (list, tuple)):
            lines += [f"**{key}**", ""] + [f"- {_fmt(item)}" for item in value] + [""]
    return lines


def write_report(run_dir: str | Path, title: str = "embedkit run") -> Path:
    """Rebuild ``run_dir/report.md`` (and its PNG plots) from the stages' recorded summaries."""
    run_dir = Path(run_dir)
    states = {p.stem: p for p in (run_dir / STATE_DIR).glob("*.json")}
    if not states:
        from embedkit.errors import InputError

        raise InputError(f"{run_dir}: not a run folder (no .state/ with finished stages)")
    order = list(STAGES)
    ordered = sorted(states, key=lambda n: order.index(n) if n in order else len(order))
    lines = [f"# {title}", "", f"Run folder: `{run_dir}`. Stages: {', '.join(ordered)}.", ""]
    for name in ordered:
        state = read_state(states[name])
        lines += _stage_section(name, state.get("summary", {}), run_dir)
    report = run_dir / "report.md"
    with atomic_write(report) as handle:
        handle.write("\n".join(lines).rstrip() + "\n")
    return report

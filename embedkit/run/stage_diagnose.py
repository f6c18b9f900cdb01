"""The ``[diagnose]`` stage of ``embedkit run``: vanishing and exploding gradients of RNN, LSTM and GRU, seen.

Keys of the table: the options of :class:`~embedkit.training.config.DiagnoseConfig` (``steps``, ``hidden``,
``input_size``, ``cells``, ``init``, ``gain``, ``input_scale``, ``clip``, ``seed``), the flags of
``embedkit lm diagnose`` and their defaults. The stage reads no file. It writes ``<run>/diagnose/`` with
``gradients.png`` (``‖∂L/∂h_{T-k}‖`` of each cell for each step ``k`` back from the loss) and ``clipping.png``
(the RNN's weight gradient at ``gain``, else at
:data:`~embedkit.training.config.CLIPPING_GAIN`, clipped at ``clip`` by norm and by value, as
``lm diagnose`` compares them); the report gets the norms at a few steps back and the clipping figures.
``embedkit run`` skips the stage when its table (and the stages before it) did not change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from embedkit.config import config_from_dict
from embedkit.run.context import RunContext
from embedkit.training.config import DiagnoseConfig

if TYPE_CHECKING:
    from embedkit.training.diagnostics import Diagnosis

NORMS = "gradient norm at k steps back (rows: k)"
CLIPPING = "clipping the RNN's weight gradient (cosine: to the unclipped one)"
LOOK_BACK = 20
"""The step back the printed line compares the cells at (the last one on a shorter sequence)."""


def check(table: dict[str, Any]) -> DiagnoseConfig:
    """The stage's settings; an unknown key or a bad value raises :class:`ConfigError` before anything runs."""
    return config_from_dict(DiagnoseConfig, table, "diagnose")


def summary(found: Diagnosis, gradient_plot: str, clipping_plot: str) -> dict[str, Any]:
    """The report's figures of a :class:`~embedkit.training.diagnostics.Diagnosis`: its settings, each cell's
    norm at the steps back ``lm diagnose``'s table shows, the clipping comparison; the plots' paths (relative
    to the run folder)."""
    from embedkit.training.diagnostics import table_steps

    config = found.config
    settings: dict[str, Any] = {
        "cells": ", ".join(config.cells), "steps": config.steps, "hidden": config.hidden,
        "input_size": config.input_size, "input_scale": config.input_scale, "seed": config.seed,
        "init": "orthogonal, forget bias 1" if config.init else "torch default"}
    if config.gain is not None:
        settings["recurrent_gain"] = config.gain
    norms = {str(k): {cell: values[k] for cell, values in found.norms.items()} for k in table_steps(config.steps)}
    clipping = {mode: {figure: row[figure] for figure in ("norm", "max_abs", "cosine")}
                for mode, row in found.clipping.items()}
    return {**settings, "clip": config.clip, "clipping_gain": config.clipping_gain,
            "gradient_plot": gradient_plot, NORMS: norms, CLIPPING: clipping, "clipping_plot": clipping_plot}


def stage(table: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Compute the gradient norms and the clipping comparison, draw both into ``<run>/diagnose``; print the
    norms ``LOOK_BACK`` steps back and the two cosines; return the report's figures."""
    from embedkit.models.threads import set_threads
    from embedkit.training.diagnostics import diagnose, plot_clipping, plot_gradient_norms

    config = check(table)
    set_threads()
    found = diagnose(config)
    out = ctx.output("diagnose")
    out.mkdir(exist_ok=True)
    plot_gradient_norms(found.norms, out / "gradients.png", found.title)
    plot_clipping(found.clipping, out / "clipping.png", config.clip, found.clipping_title)
    ctx.artifacts["diagnose"] = out
    k = min(LOOK_BACK, config.steps - 1)
    ctx.console.print(f"[diagnose] gradient norm {k} steps back: "
                      + ", ".join(f"{cell} {values[k]:.2e}" for cell, values in found.norms.items()), markup=False)
    cosines = {mode: found.clipping[mode]["cosine"] for mode in ("norm", "value")}
    ctx.console.print(f"[diagnose] clipped at {config.clip:g} (recurrent gain {config.clipping_gain:g}): cosine to "
                      f"the unclipped gradient {cosines['norm']:.3f} by norm, {cosines['value']:.3f} by value",
                      markup=False)
    return summary(found, f"{out.name}/gradients.png", f"{out.name}/clipping.png")

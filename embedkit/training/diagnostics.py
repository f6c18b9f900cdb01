"""Vanishing and exploding gradients, seen: the norm of dL/dh_k for each step k back from the loss, for RNN,
LSTM and GRU; and what clipping by value and by norm do to an exploded gradient.

Each cell of :mod:`embedkit.models.cells` reads the same random sequence; the loss looks only at the last
hidden state, so ``‖∂L/∂h_{T-k}‖`` shows how much of the signal survives ``k`` steps of backpropagation
through time. ``∂h_j/∂h_{j-1} = diag(tanh'(z_j)) W``: with torch's default init (spectral radius of ``W``
about 0.6) a vanilla RNN's norm decays geometrically. The LSTM's cell path decays by its forget gate
(``∂c_t/∂c_{t-1} = f``), which torch's init leaves near ``σ(0) = 0.5``: with small inputs (tanh linear) its
norm vanishes as fast as the RNN's or faster; with saturating ones (``input_scale`` 1: small ``tanh'``) the
RNN's decays faster and the LSTM's outlasts it; the GRU's usually keeps the most. With ``W = gain ×
orthogonal`` and ``gain > 1`` the RNN's grows geometrically while tanh stays in its linear range, the
exploding gradient. :func:`clipping_comparison` clips that gradient both ways with the functions the
:class:`~embedkit.training.trainer.Trainer` uses: by norm keeps its direction (cosine 1), by value does not.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from embedkit.config import check_positive
from embedkit.models.cells import StackedRNN
from embedkit.models.config import CELL_TYPES
from embedkit.models.init import init_recurrent
from embedkit.plots import png_figure
from embedkit.training.config import DiagnoseConfig

TABLE_STEPS = (0, 1, 2, 5, 10, 20, 50, 100, 200)


def _unrolled(cell: str, steps: int, hidden: int, input_size: int, seed: int, init: bool, gain: float | None,
              input_scale: float) -> tuple[StackedRNN, list[torch.Tensor]]:
    """One cell run over the shared sequence, its loss backpropagated; returns the model and every ``h_t``."""
    for name, value in (("steps", steps), ("hidden", hidden), ("input_size", input_size)):
        check_positive(name, value)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, 1, input_size, generator=generator) * input_scale
    readout = torch.randn(hidden, generator=generator)
    torch.manual_seed(seed)
    model = StackedRNN(cell, input_size, hidden)
    if init or gain is not None:
        init_recurrent(model, generator=torch.Generator().manual_seed(seed))
    if gain is not None:
        with torch.no_grad():
            for name, param in model.named_parameters():
                if name.endswith("weight_hh"):
                    param.mul_(gain)
    layer = model.layers[0]
    layer(x, keep_states=True)
    states = layer.states
    for h in states:
        h.retain_grad()
    (states[-1][0] * readout).sum().backward()
    return model, states


def gradient_norms(steps: int = 50, hidden: int = 64, input_size: int = 16, seed: int = 0, init: bool = False,
                   cells: tuple[str, ...] = CELL_TYPES, gain: float | None = None,
                   input_scale: float = 0.1) -> dict[str, list[float]]:
    """``{cell: [‖∂L/∂h_T‖, ‖∂L/∂h_{T-1}‖, ...]}`` (index = steps back from the loss) on one shared sequence.

    ``init=True`` uses orthogonal recurrent weights and forget bias 1 (:func:`init_recurrent`) instead of
    torch's uniform default. ``gain`` makes every recurrent matrix ``gain ×`` an orthogonal one (all its
    singular values equal ``gain``): above 1 the gradient explodes, below 1 it vanishes. Inputs are
    ``N(0, input_scale²)``; small ones keep tanh in its linear range, where ``W`` alone decides.
    A size that is not positive is a :class:`~embedkit.errors.ConfigError`.
    """
    norms: dict[str, list[float]] = {}
    for cell in cells:
        _, states = _unrolled(cell, steps, hidden, input_size, seed, init, gain, input_scale)
        norms[cell] = [float(h.grad.norm()) if h.grad is not None else 0.0 for h in reversed(states)]
    return norms


def _flat(tensors: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.reshape(-1) for t in tensors])


def clipping_comparison(threshold: float = 1.0, cell: str = "rnn", steps: int = 50, hidden: int = 64,
                        input_size: int = 16, seed: int = 0, gain: float | None = 1.5,
                        input_scale: float = 0.1) -> dict[str, dict[str, Any]]:
    """The gradient of ``cell``'s weights (the :func:`gradient_norms` loss) unclipped and clipped at
    ``threshold`` by global norm and by value, with ``torch.nn.utils.clip_grad_norm_``/``clip_grad_value_``
    as the Trainer calls them.

    ``{"none" | "norm" | "value": {"norm": ‖g‖, "max_abs": max |g_i|, "cosine": cos(g, g_clipped),
    "grad": the flat gradient}}``. By norm scales ``g`` by ``min(1, threshold/‖g‖)``: the direction stays
    (cosine 1). By value cuts each component to ``[-threshold, threshold]``: large components shrink more
    than small ones, so the direction turns (cosine < 1 as soon as one component is cut).
    """
    model, _ = _unrolled(cell, steps, hidden, input_size, seed, False, gain, input_scale)
    params = [p for p in model.parameters() if p.grad is not None]
    original = _flat([p.grad for p in params]).clone()
    out: dict[str, dict[str, Any]] = {}
    for mode in ("none", "norm", "value"):
        grads = [p.grad.detach().clone() for p in params]
        holders = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
        for holder, g in zip(holders, grads, strict=True):
            holder.grad = g
        if mode == "norm":
            torch.nn.utils.clip_grad_norm_(holders, threshold)
        elif mode == "value":
            torch.nn.utils.clip_grad_value_(holders, threshold)
        flat = _flat([h.grad for h in holders])
        cosine = torch.nn.functional.cosine_similarity(flat.double(), original.double(), dim=0)
        out[mode] = {"norm": float(flat.norm()), "max_abs": float(flat.abs().max()), "cosine": float(cosine),
                     "grad": flat}
    return out


def format_clipping(result: dict[str, dict[str, Any]], threshold: float) -> str:
    """A plain-text table of :func:`clipping_comparison`: norm, largest component, cosine to the original."""
    lines = [f"clip at {threshold:g}       ‖g‖    max|g_i|   cos(g, clipped g)"]
    for mode, row in result.items():
        lines.append(f"{mode:>10}  {row['norm']:>10.3e}  {row['max_abs']:>10.3e}  {row['cosine']:>18.6f}")
    return "\n".join(lines)


def table_steps(length: int) -> list[int]:
    """The steps back a table of norms shows for a sequence of ``length`` steps: :data:`TABLE_STEPS` below
    ``length``, and the last one."""
    steps = [k for k in TABLE_STEPS if k < length]
    if steps[-1] != length - 1:
        steps.append(length - 1)
    return steps


def format_table(norms: dict[str, list[float]]) -> str:
    """A plain-text table: steps back from the loss, then the gradient norm of each cell."""
    cells = list(norms)
    lines = ["steps back  " + "".join(f"{c:>12}" for c in cells)]
    for k in table_steps(len(next(iter(norms.values())))):
        lines.append(f"{k:>10}  " + "".join(f"{norms[c][k]:>12.3e}" for c in cells))
    return "\n".join(lines)


def plot_gradient_norms(norms: dict[str, list[float]], path: str | Path,
                        title: str = "Gradient norm through time") -> Path:
    """Draw the norms on a log scale into a PNG (written atomically)."""
    path = Path(path)
    with png_figure(path) as ax:
        for cell, values in norms.items():
            ax.semilogy(range(len(values)), [max(v, 1e-30) for v in values], label=cell.upper())
        ax.set_xlabel("steps back from the loss (k)")
        ax.set_ylabel("‖∂L/∂h_{T-k}‖")
        ax.set_title(title)
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    return path


def plot_clipping(result: dict[str, dict[str, Any]], path: str | Path, threshold: float,
                  title: str = "Clipping the exploded gradient") -> Path:
    """Draw :func:`clipping_comparison`'s gradients into a PNG: ``|g_i|`` of each component, largest unclipped
    first, on a log scale. By norm the curve moves down whole (the direction stays); by value its top is cut
    flat at ``threshold`` while the small components stay (the direction turns)."""
    path = Path(path)
    order = torch.argsort(result["none"]["grad"].abs(), descending=True)
    labels = {"none": "unclipped", "norm": "clipped by norm", "value": "clipped by value"}
    with png_figure(path) as ax:
        for mode, label in labels.items():
            row = result[mode]
            values = row["grad"].abs()[order].clamp_min(1e-30)
            ax.semilogy(range(len(values)), values.tolist(), label=f"{label} (cos {row['cosine']:.3f})")
        ax.axhline(threshold, color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("component of the weight gradient, largest |g_i| first")
        ax.set_ylabel("|g_i|")
        ax.set_title(title)
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    return path


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What :func:`diagnose` found: the settings, each cell's :func:`gradient_norms` and the RNN's
    :func:`clipping_comparison` (at ``config.clipping_gain``)."""

    config: DiagnoseConfig
    norms: dict[str, list[float]]
    clipping: dict[str, dict[str, Any]]

    @property
    def title(self) -> str:
        """The gradient plot's title: it names the recurrent gain when one is set."""
        gain = self.config.gain
        return "Gradient norm through time" + (f" (recurrent gain {gain:g})" if gain is not None else "")

    @property
    def clipping_title(self) -> str:
        """The clipping plot's title: the gain and the threshold."""
        return f"RNN weight gradient (recurrent gain {self.config.clipping_gain:g}) clipped at {self.config.clip:g}"


def diagnose(config: DiagnoseConfig) -> Diagnosis:
    """The gradient norms of ``config.cells`` and the RNN's clipping comparison, as ``lm diagnose`` and the
    ``[diagnose]`` stage show them."""
    shared = {"steps": config.steps, "hidden": config.hidden, "input_size": config.input_size,
              "seed": config.seed, "input_scale": config.input_scale}
    norms = gradient_norms(init=config.init, cells=config.cells, gain=config.gain, **shared)
    clipping = clipping_comparison(config.clip, gain=config.clipping_gain, **shared)
    return Diagnosis(config, norms, clipping)

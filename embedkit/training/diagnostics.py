"""Vanishing gradients, seen: the norm of dL/dh_k for each step k back from the loss, for RNN, LSTM and GRU.

Each cell of :mod:`embedkit.models.cells` reads the same random sequence; the loss looks only at the last
hidden state, so ``‖∂L/∂h_{T-k}‖`` shows how much of the signal survives ``k`` steps of backpropagation
through time. A vanilla RNN's norm decays geometrically; the LSTM's cell path keeps it far longer.
"""

from __future__ import annotations

from pathlib import Path

import torch

from embedkit.models.cells import StackedRNN
from embedkit.models.config import CELL_TYPES
from embedkit.models.init import init_recurrent
from embedkit.plots import png_figure

TABLE_STEPS = (0, 1, 2, 5, 10, 20, 50, 100, 200)


def gradient_norms(steps: int = 50, hidden: int = 64, input_size: int = 16, seed: int = 0, init: bool = False,
                   cells: tuple[str, ...] = CELL_TYPES) -> dict[str, list[float]]:
    """``{cell: [‖∂L/∂h_T‖, ‖∂L/∂h_{T-1}‖, ...]}`` (index = steps back from the loss) on one shared sequence.

    ``init=True`` uses orthogonal recurrent weights and forget bias 1 (:func:`init_recurrent`) instead of
    torch's uniform default.
    """
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, 1, input_size, generator=generator)
    readout = torch.randn(hidden, generator=generator)
    norms: dict[str, list[float]] = {}
    for cell in cells:
        torch.manual_seed(seed)
        model = StackedRNN(cell, input_size, hidden)
        if init:
            init_recurrent(model, generator=torch.Generator().manual_seed(seed))
        layer = model.layers[0]
        layer(x, keep_states=True)
        states = layer.states
        for h in states:
            h.retain_grad()
        loss = (states[-1][0] * readout).sum()
        loss.backward()
        norms[cell] = [float(h.grad.norm()) if h.grad is not None else 0.0 for h in reversed(states)]
    return norms


def format_table(norms: dict[str, list[float]]) -> str:
    """A plain-text table: steps back from the loss, then the gradient norm of each cell."""
    cells = list(norms)
    length = len(next(iter(norms.values())))
    lines = ["steps back  " + "".join(f"{c:>12}" for c in cells)]
    for k in (k for k in TABLE_STEPS if k < length):
        lines.append(f"{k:>10}  " + "".join(f"{norms[c][k]:>12.3e}" for c in cells))
    return "\n".join(lines)


def plot_gradient_norms(norms: dict[str, list[float]], path: str | Path) -> Path:
    """Draw the norms on a log scale into a PNG (written atomically)."""
    path = Path(path)
    with png_figure(path) as ax:
        for cell, values in norms.items():
            ax.semilogy(range(len(values)), [max(v, 1e-30) for v in values], label=cell.upper())
        ax.set_xlabel("steps back from the loss (k)")
        ax.set_ylabel("‖∂L/∂h_{T-k}‖")
        ax.set_title("Gradient norm through time")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    return path

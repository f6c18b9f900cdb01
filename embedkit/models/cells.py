"""Recurrent cells as the lectures write them, one time step at a time: for reading and for checking.

Each cell holds its weights under ``torch.nn``'s names (``weight_ih``: the input matrix V, ``weight_hh``: the
recurrent matrix W, ``bias_ih`` + ``bias_hh``: the bias b, split in two as torch keeps it), so
:meth:`StackedRNN.load_torch_weights` copies a trained ``torch.nn.RNN/LSTM/GRU`` in and the tests check that
both agree to 1e-5, forward and backward. Training uses the torch modules (fused kernels); these are for
understanding and for diagnostics, where every ``h_t`` must be a tensor of its own.

Tensors are sequence-first, as in ``torch.nn`` by default: inputs ``[T, B, I]``, states ``[B, H]`` per layer.
Gate blocks are stacked in torch's order: LSTM ``i, f, g, o``; GRU ``r, z, n``.

Recurrent dropout (Gal & Ghahramani 2016), exactly: every cell takes an optional ``mask`` (``[B, H]`` or
``[H]``, already scaled by ``1/(1-p)``) that multiplies ``h_{t-1}`` where it enters ``W h_{t-1}``, and
:class:`Recurrent` applies the same mask at every step of the sequence. The cell state ``c`` and the GRU's
``z ⊙ h_{t-1}`` carry the unmasked state.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from embedkit.models.config import CELL_TYPES

State = Tensor | tuple[Tensor, Tensor]


def _masked(h: Tensor, mask: Tensor | None) -> Tensor:
    return h if mask is None else h * mask


class _Cell(nn.Module):
    """Weights ``V`` (``weight_ih``, ``[gates*H, I]``), ``W`` (``weight_hh``, ``[gates*H, H]``) and biases."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        rows = self.gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size))
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(rows))
        self.bias_hh = nn.Parameter(torch.empty(rows))
        bound = 1 / math.sqrt(hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def init_state(self, batch: int, like: Tensor) -> State:
        return like.new_zeros(batch, self.hidden_size)


class RNNCell(_Cell):
    """Vanilla RNN: ``h_t = tanh(V x_t + W h_{t-1} + b)``."""

    def forward(self, x: Tensor, h: Tensor, mask: Tensor | None = None) -> Tensor:
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + _masked(h, mask) @ self.weight_hh.T + self.bias_hh)


class LSTMCell(_Cell):
    """LSTM with a forget gate.

    ``i, f, o = σ(V_· x_t + W_· h_{t-1} + b_·)``, candidate ``g = tanh(V_g x_t + W_g h_{t-1} + b_g)``,
    cell ``c_t = f ⊙ c_{t-1} + i ⊙ g`` (the path along which the gradient does not vanish: ∂c_t/∂c_{t-1} = f),
    output ``h_t = o ⊙ tanh(c_t)``.
    """

    gates = 4

    def init_state(self, batch: int, like: Tensor) -> State:
        zeros = like.new_zeros(batch, self.hidden_size)
        return zeros, zeros.clone()

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor], mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        h, c = state
        pre = x @ self.weight_ih.T + self.bias_ih + _masked(h, mask) @ self.weight_hh.T + self.bias_hh
        i, f, g, o = pre.chunk(4, dim=-1)
        i, f, o, g = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o), torch.tanh(g)
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class GRUCell(_Cell):
    """GRU with reset ``r`` and update ``z``.

    ``r, z = σ(V_· x_t + W_· h_{t-1} + b_·)``; candidate ``n = tanh(V_n x_t + b_in + r ⊙ (W_n h_{t-1} + b_hn))``;
    ``h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}``. The lecture writes ``W_n (r ⊙ h_{t-1})``; torch (and cuDNN) apply the
    reset after the product, as here, which is what lets the tests compare with ``torch.nn.GRU``.
    """

    gates = 3

    def forward(self, x: Tensor, h: Tensor, mask: Tensor | None = None) -> Tensor:
        xr, xz, xn = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=-1)
        hr, hz, hn = (_masked(h, mask) @ self.weight_hh.T + self.bias_hh).chunk(3, dim=-1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h


CELLS: dict[str, type[_Cell]] = dict(zip(CELL_TYPES, (RNNCell, LSTMCell, GRUCell), strict=True))
TORCH_RNNS: dict[str, type[nn.RNNBase]] = dict(zip(CELL_TYPES, (nn.RNN, nn.LSTM, nn.GRU), strict=True))
"""The fast ``torch.nn`` module of each cell type, the one models train with."""


class Recurrent(nn.Module):
    """Unroll one cell over time (backpropagation through time is autograd over this loop).

    ``forward(x [T, B, I], state) -> (outputs [T, B, H], last state)``; ``reverse=True`` reads right to left.
    ``keep_states`` keeps every ``h_t`` in ``self.states`` (gradient diagnostics call ``retain_grad`` on them).
    ``mask`` (recurrent dropout) multiplies ``h_{t-1}`` inside ``W h_{t-1}``, the same mask at every step.
    """

    def __init__(self, cell: _Cell, reverse: bool = False) -> None:
        super().__init__()
        self.cell, self.reverse = cell, reverse
        self.states: list[Tensor] = []

    def forward(self, x: Tensor, state: State | None = None, keep_states: bool = False,
                mask: Tensor | None = None) -> tuple[Tensor, State]:
        if state is None:
            state = self.cell.init_state(x.shape[1], x)
        steps = range(x.shape[0] - 1, -1, -1) if self.reverse else range(x.shape[0])
        outputs: list[Tensor] = [x.new_empty(0)] * x.shape[0]
        self.states = []
        for t in steps:
            state = self.cell(x[t], state, mask)
            h = state[0] if isinstance(state, tuple) else state
            outputs[t] = h
            if keep_states:
                self.states.append(h)
        return torch.stack(outputs), state


class Bidirectional(nn.Module):
    """Two unrolled cells, one left to right, one right to left; outputs concatenated ``[T, B, 2H]``."""

    def __init__(self, forward_cell: _Cell, backward_cell: _Cell) -> None:
        super().__init__()
        self.fwd, self.bwd = Recurrent(forward_cell), Recurrent(backward_cell, reverse=True)

    def forward(self, x: Tensor, state: tuple[State, State] | tuple[None, None] = (None, None),
                mask: tuple[Tensor | None, Tensor | None] = (None, None)) -> tuple[Tensor, tuple[State, State]]:
        out_f, state_f = self.fwd(x, state[0], mask=mask[0])
        out_b, state_b = self.bwd(x, state[1], mask=mask[1])
        return torch.cat([out_f, out_b], dim=-1), (state_f, state_b)


class StackedRNN(nn.Module):
    """Layers of (bi)directional cells, the step-by-step twin of ``torch.nn.RNN/LSTM/GRU``.

    Same call and shapes as the torch module (sequence-first): ``forward(x, h0) -> (output, h_n)`` with
    ``h_n`` of shape ``[layers * directions, B, H]`` (a pair ``(h_n, c_n)`` for the LSTM). ``dropout`` acts on
    the outputs of every layer but the last, as in torch.

    >>> torch_lstm = torch.nn.LSTM(3, 4, num_layers=2)
    >>> ours = StackedRNN("lstm", 3, 4, num_layers=2).load_torch_weights(torch_lstm)
    >>> x = torch.randn(5, 2, 3)
    >>> torch.allclose(ours(x)[0], torch_lstm(x)[0], atol=1e-6)
    True
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell '{cell}' (choose from {', '.join(CELL_TYPES)})")
        self.cell_type, self.hidden_size, self.num_layers = cell, hidden_size, num_layers
        self.directions = 2 if bidirectional else 1
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList()
        for layer in range(num_layers):
            size = input_size if layer == 0 else hidden_size * self.directions
            cls = CELLS[cell]
            if bidirectional:
                self.layers.append(Bidirectional(cls(size, hidden_size), cls(size, hidden_size)))
            else:
                self.layers.append(Recurrent(cls(size, hidden_size)))

    def _cells(self) -> list[tuple[str, _Cell]]:
        """``(torch suffix, cell)`` for every cell: ``_l0``, ``_l0_reverse``, ``_l1``..."""
        out = []
        for k, layer in enumerate(self.layers):
            if isinstance(layer, Bidirectional):
                out += [(f"_l{k}", layer.fwd.cell), (f"_l{k}_reverse", layer.bwd.cell)]
            else:
                out.append((f"_l{k}", layer.cell))
        return out

    def load_torch_weights(self, module: nn.RNNBase) -> StackedRNN:
        """Copy the weights of a ``torch.nn.RNN/LSTM/GRU`` of the same shape into these cells."""
        with torch.no_grad():
            for suffix, cell in self._cells():
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(cell, name).copy_(getattr(module, name + suffix))
        return self

    def _split(self, state: State | None, layer: int) -> State | tuple[State, State] | None:
        if state is None:
            return None if self.directions == 1 else (None, None)  # type: ignore[return-value]
        rows = slice(layer * self.directions, (layer + 1) * self.directions)

        def pick(s: Tensor) -> list[Tensor]:
            return list(s[rows])

        if isinstance(state, tuple):
            hs, cs = pick(state[0]), pick(state[1])
            per_dir: list[State] = [(h, c) for h, c in zip(hs, cs, strict=True)]
        else:
            per_dir = pick(state)
        return per_dir[0] if self.directions == 1 else (per_dir[0], per_dir[1])

    def forward(self, x: Tensor, state: State | None = None,
                masks: dict[str, Tensor] | None = None) -> tuple[Tensor, State]:
        """Outputs and final states; ``masks`` maps torch's names (``weight_hh_l0``, ``weight_hh_l0_reverse``...)
        to the recurrent-dropout mask of that cell (see :mod:`embedkit.models.dropout`)."""
        finals: list[State] = []
        masks = masks or {}
        for k, layer in enumerate(self.layers):
            if k > 0:
                x = self.dropout(x)
            if isinstance(layer, Bidirectional):
                pair = (masks.get(f"weight_hh_l{k}"), masks.get(f"weight_hh_l{k}_reverse"))
                x, last = layer(x, self._split(state, k), mask=pair)
            else:
                x, last = layer(x, self._split(state, k), mask=masks.get(f"weight_hh_l{k}"))
            finals += list(last) if self.directions == 2 else [last]
        if self.cell_type == "lstm":
            return x, (torch.stack([s[0] for s in finals]), torch.stack([s[1] for s in finals]))
        return x, torch.stack(finals)  # type: ignore[arg-type]

"""The step-by-step cells match torch.nn.RNN/LSTM/GRU (forward and gradients), autograd matches BPTT, and the
recurrent init gives orthogonal blocks and forget-gate bias 1."""

from __future__ import annotations

import pytest
import torch

from embedkit.models.cells import GRUCell, LSTMCell, Recurrent, RNNCell, StackedRNN
from embedkit.models.init import init_recurrent, orthogonal_

TORCH = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _flat(state):
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (1, True), (2, True)])
def test_parity_with_torch(cell: str, layers: int, bidirectional: bool) -> None:
    torch.manual_seed(0)
    reference = TORCH[cell](5, 7, num_layers=layers, bidirectional=bidirectional)
    ours = StackedRNN(cell, 5, 7, num_layers=layers, bidirectional=bidirectional).load_torch_weights(reference)
    x = torch.randn(6, 3, 5)
    directions = 2 if bidirectional else 1
    h0 = torch.randn(layers * directions, 3, 7)
    state = (h0, torch.randn_like(h0)) if cell == "lstm" else h0
    out_ref, last_ref = reference(x, state)
    out, last = ours(x, state)
    torch.testing.assert_close(out, out_ref, atol=1e-5, rtol=1e-5)
    for a, b in zip(_flat(last), _flat(last_ref), strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    weights = torch.randn_like(out)
    (out_ref * weights).sum().backward()
    (out * weights).sum().backward()
    for suffix, c in ours._cells():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            torch.testing.assert_close(getattr(c, name).grad, getattr(reference, name + suffix).grad,
                                       atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_bptt_gradients_match_finite_differences(cls) -> None:
    torch.manual_seed(1)
    layer = Recurrent(cls(2, 3)).double()
    x = torch.randn(4, 1, 2, dtype=torch.float64, requires_grad=True)

    def loss(inp, w_hh):
        layer.cell.weight_hh.data = w_hh
        out, _ = layer(inp)
        return (out ** 2).sum()

    w = layer.cell.weight_hh.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda inp: loss(inp, w.detach()), (x,))
    layer.cell.weight_hh = torch.nn.Parameter(w.detach().clone())
    out, _ = layer(x.detach())
    (out ** 2).sum().backward()
    analytic = layer.cell.weight_hh.grad
    eps, numeric = 1e-6, torch.zeros_like(w)
    for idx in range(w.numel()):
        plus, minus = w.detach().clone().view(-1), w.detach().clone().view(-1)
        plus[idx] += eps
        minus[idx] -= eps
        with torch.no_grad():
            numeric.view(-1)[idx] = (loss(x.detach(), plus.view_as(w)) - loss(x.detach(), minus.view_as(w))) / (2 * eps)
    torch.testing.assert_close(analytic, numeric, atol=1e-6, rtol=1e-5)


def test_rnn_bptt_by_hand() -> None:
    """Backpropagation through time written out for h_t = tanh(V x_t + W h_{t-1} + b) equals autograd."""
    torch.manual_seed(2)
    cell = RNNCell(2, 3).double()
    x = torch.randn(5, 1, 2, dtype=torch.float64)
    out, _ = Recurrent(cell)(x)
    out[-1].sum().backward()
    with torch.no_grad():
        hs, h = [torch.zeros(1, 3, dtype=torch.float64)], torch.zeros(1, 3, dtype=torch.float64)
        for t in range(5):
            h = torch.tanh(x[t] @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh)
            hs.append(h)
        grad_w, delta = torch.zeros_like(cell.weight_hh), torch.ones(1, 3, dtype=torch.float64)
        for t in range(5, 0, -1):
            pre = delta * (1 - hs[t] ** 2)
            grad_w += pre.T @ hs[t - 1]
            delta = pre @ cell.weight_hh
    torch.testing.assert_close(cell.weight_hh.grad, grad_w)


def test_init_orthogonal_blocks_and_forget_bias() -> None:
    lstm = init_recurrent(torch.nn.LSTM(4, 6, num_layers=2))
    for block in lstm.weight_hh_l1.detach().chunk(4):
        torch.testing.assert_close(block @ block.T, torch.eye(6), atol=1e-5, rtol=0)
    total = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    assert torch.all(total[6:12] == 1) and torch.all(total[:6] == 0) and torch.all(total[12:] == 0)
    w = orthogonal_(torch.empty(5, 5))
    torch.testing.assert_close(w.T @ w, torch.eye(5), atol=1e-5, rtol=0)

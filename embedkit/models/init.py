"""Initialisation the lectures recommend for recurrent nets: orthogonal recurrent weights, forget-gate bias 1.

An orthogonal ``W`` keeps ``‖W h‖ = ‖h‖``, so at the start the gradient through ``h_t -> h_{t-1}`` neither
explodes nor vanishes from the matrix alone. A forget-gate bias of 1 makes ``f ≈ σ(1) ≈ 0.73`` at the start:
the LSTM remembers by default and learns to forget. Works on ``torch.nn.RNN/LSTM/GRU`` and on the cells of
:mod:`embedkit.models.cells` alike (both name their weights ``weight_ih*``, ``weight_hh*``, ``bias_*``).
"""

from __future__ import annotations

import torch
from torch import nn


def orthogonal_(weight: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``weight`` in place with ``gain * U Vᵀ`` from the SVD of a Gaussian matrix (an orthogonal matrix)."""
    rows, cols = weight.shape
    gaussian = torch.randn(rows, cols, generator=generator, dtype=torch.float64)
    u, _, vh = torch.linalg.svd(gaussian, full_matrices=False)
    with torch.no_grad():
        weight.copy_((gain * (u @ vh)).to(weight.dtype))
    return weight


def _gates(module: nn.Module) -> int:
    name = type(module).__name__.lower()
    return 4 if "lstm" in name else 3 if "gru" in name else 1


def init_recurrent(module: nn.Module, forget_bias: float = 1.0,
                   generator: torch.Generator | None = None) -> nn.Module:
    """Orthogonal ``weight_hh`` per gate block, Xavier ``weight_ih`` per block, zero biases, forget bias.

    torch keeps two biases, ``b_ih`` and ``b_hh``, and adds them; the forget block gets ``b_ih = forget_bias``
    and ``b_hh = 0`` so their sum is ``forget_bias``. Applies to every recurrent submodule of ``module``.
    """
    for sub in module.modules():
        gates = _gates(sub)
        with torch.no_grad():
            for name, param in sub.named_parameters(recurse=False):
                if name.startswith("weight_hh"):
                    for block in param.chunk(gates, dim=0):
                        orthogonal_(block, generator=generator)
                elif name.startswith("weight_ih"):
                    for block in param.chunk(gates, dim=0):
                        nn.init.xavier_uniform_(block, generator=generator)
                elif name.startswith("bias_"):
                    param.zero_()
                    if gates == 4 and name.startswith("bias_ih"):
                        hidden = param.shape[0] // 4
                        param[hidden: 2 * hidden] = forget_bias
    return module


def apply_init(module: nn.Module, scheme: str, forget_bias: float = 1.0,
               generator: torch.Generator | None = None) -> nn.Module:
    """``'orthogonal'``: :func:`init_recurrent`; ``'torch'``: leave torch's uniform default untouched."""
    if scheme == "orthogonal":
        init_recurrent(module, forget_bias=forget_bias, generator=generator)
    elif scheme != "torch":
        raise ValueError(f"unknown init '{scheme}' (choose from orthogonal, torch)")
    return module

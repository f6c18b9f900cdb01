"""Weights on disk, one home for the trainer, the language model and the classifier: safetensors for tensors,
``torch.load(weights_only=True)`` for optimiser state, never a pickle of code.

This module sits on the bottom floor (beside :mod:`embedkit.io`), so ``models`` and ``training`` both use it
without ``training`` reaching into ``models``. torch and safetensors are imported inside the functions.
"""

from __future__ import annotations

import json
import pickle
import struct
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedkit.errors import ModelFormatError
from embedkit.io import atomic_write

if TYPE_CHECKING:
    import torch

HEADER_LIMIT = 100 * 2**20
"""The largest safetensors JSON header read (bytes): a bigger one is a damaged or hostile file."""


def cpu_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached CPU copy of the weights; tied weights become separate copies, so safetensors accepts them."""
    return {key: value.detach().to("cpu", copy=True).contiguous() for key, value in model.state_dict().items()}


def save_tensors(tensors: Mapping[str, torch.Tensor], path: str | Path) -> None:
    """Write named tensors as one safetensors file, atomically."""
    from safetensors.torch import save

    with atomic_write(path, "wb") as handle:
        handle.write(save(dict(tensors)))


def save_weights(model: torch.nn.Module, path: str | Path) -> None:
    """Write a model's weights as safetensors, atomically."""
    save_tensors(cpu_state(model), path)


def read_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Named tensors of a safetensors file; an unreadable file is a :class:`ModelFormatError`."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (OSError, SafetensorError) as exc:
        raise ModelFormatError(f"{path}: not readable safetensors weights ({exc})") from None


def load_weights(model: torch.nn.Module, path: str | Path) -> None:
    """Load a safetensors file into ``model``; another architecture's weights raise :class:`ModelFormatError`."""
    weights = read_tensors(path)
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        detail = " ".join(line.strip() for line in str(exc).strip().splitlines()[:2])
        raise ModelFormatError(f"{path}: weights belong to another architecture ({detail[:200]})") from None


def tensor_shapes(path: str | Path) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor in a safetensors file, read from its header alone (nothing is allocated).

    Lets a loader check a config's sizes against the weights before it builds a model of those sizes.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            size = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
            if not 0 < size <= min(HEADER_LIMIT, path.stat().st_size - 8):
                raise ModelFormatError(f"{path}: not a safetensors file (bad header size)")
            header = json.loads(handle.read(size))
    except OSError as exc:
        raise ModelFormatError(f"{path}: cannot read weights ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelFormatError(f"{path}: not a safetensors file (bad header)") from None
    if not isinstance(header, dict):
        raise ModelFormatError(f"{path}: not a safetensors file (bad header)")
    shapes: dict[str, tuple[int, ...]] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise ModelFormatError(f"{path}: not a safetensors file (tensor '{name}' has no shape)")
        shapes[name] = tuple(shape)
    return shapes


def save_state(state: Mapping[str, Any], path: str | Path) -> None:
    """Write optimiser/scheduler/RNG state (tensors, numbers, dicts) with ``torch.save``, atomically."""
    import torch

    with atomic_write(path, "wb") as handle:
        torch.save(dict(state), handle)


def load_state(path: str | Path, map_location: Any = None) -> dict[str, Any]:
    """Read what :func:`save_state` wrote with ``torch.load(weights_only=True)``: data only, no code runs."""
    import torch

    try:
        with warnings.catch_warnings():  # torch warns about the pickle protocol of a file it then refuses
            warnings.simplefilter("ignore")
            state = torch.load(path, weights_only=True, map_location=map_location)
    except (OSError, RuntimeError, ValueError, EOFError, KeyError, pickle.UnpicklingError) as exc:
        # the weights-only unpickler refuses code as UnpicklingError; its message runs to many lines
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFormatError(f"{path}: unreadable training state ({reason[:120]})") from None
    if not isinstance(state, dict):
        raise ModelFormatError(f"{path}: unreadable training state (not a mapping)")
    return state

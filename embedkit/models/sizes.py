"""Sizes of a saved model, checked before the model is built: a model folder is untrusted input.

A ``config.json`` that says ``hidden = 200000`` would make torch allocate hundreds of gigabytes before the
weights are even read. :func:`check_saved_sizes` counts the parameters the config implies (arithmetic, nothing
allocated), refuses more than :data:`MAX_PARAMETERS` or more than the weights file can hold, and compares
the key tensor shapes with the file's header.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from embedkit.errors import ModelFormatError
from embedkit.weights import tensor_shapes

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
"""Weight blocks per recurrent cell type (torch stacks the gates of a layer in one matrix)."""

MAX_PARAMETERS = 2**31
"""The most parameters a saved model may declare (8 GiB of float32), far beyond anything embedkit trains."""

MIN_BYTES_PER_PARAMETER = 2
"""A weights file holds at least two bytes a parameter (float16/bfloat16; embedkit writes float32)."""


def rnn_parameters(cell: str, input_size: int, hidden: int, layers: int, directions: int = 1) -> int:
    """Parameters of ``torch.nn.RNN/LSTM/GRU(input_size, hidden, layers, bidirectional=directions == 2)``."""
    gates = GATES[cell]
    total = 0
    for layer in range(layers):
        inputs = input_size if layer == 0 else hidden * directions
        total += directions * gates * hidden * (inputs + hidden + 2)
    return total


def rnn_shapes(prefix: str, cell: str, input_size: int, hidden: int, layers: int) -> dict[str, tuple[int, ...]]:
    """The shapes of the first input and the last recurrent weight of a torch recurrent module."""
    gates = GATES[cell]
    return {f"{prefix}.weight_ih_l0": (gates * hidden, input_size),
            f"{prefix}.weight_hh_l{layers - 1}": (gates * hidden, hidden)}


def check_saved_sizes(weights: str | Path, parameters: int, shapes: Mapping[str, tuple[int, ...]],
                      what: str) -> None:
    """Refuse, before building, a model whose config implies ``parameters`` that are too many, that the
    weights file is too small to hold, or whose key tensor ``shapes`` differ from the file's header.

    Raises :class:`~embedkit.errors.ModelFormatError` (one line) naming ``what`` the config describes.
    """
    path = Path(weights)
    if parameters > MAX_PARAMETERS:
        raise ModelFormatError(f"{path.parent}: its config describes a {what} of {parameters:,} parameters "
                               f"(at most {MAX_PARAMETERS:,} are loaded); the folder is damaged")
    saved = tensor_shapes(path)
    size = path.stat().st_size
    if parameters * MIN_BYTES_PER_PARAMETER > size:
        raise ModelFormatError(f"{path}: {size:,} bytes cannot hold the {parameters:,} parameters its config "
                               f"describes; weights and config disagree")
    for name, shape in shapes.items():
        if saved.get(name) != tuple(shape):
            found = "missing" if name not in saved else f"{list(saved[name])}"
            raise ModelFormatError(f"{path}: weights belong to another architecture (tensor '{name}' is {found}, "
                                   f"its config implies {list(shape)})")

"""Language-model data: a token stream cut into BPTT windows (truncated backpropagation through time).

As in pytorch/examples ``word_language_model``: the whole stream of ids (``<eos>`` after every line) is
cut into ``batch_size`` parallel columns (:func:`batchify`), and training walks down the columns ``bptt``
steps at a time. Column ``b`` of window ``k+1`` continues column ``b`` of window ``k``, so the hidden state
is carried from one window to the next (and detached, which is what "truncated" means).

>>> import torch
>>> data = batchify(torch.arange(10), 2)
>>> data.T.tolist()
[[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
>>> [(x.T.tolist(), y.T.tolist()) for x, y in BPTTBatches(data, bptt=2)][0]
([[0, 1], [5, 6]], [[1, 2], [6, 7]])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import torch

from embedkit.errors import InputError
from embedkit.io import iter_lines
from embedkit.vocab import Vocab


def read_units(path: str | Path, to_units: Callable[[str], list[str]], encoding: str = "utf-8") -> list[list[str]]:
    """The units of every non-empty line of a token file; no line at all is an :class:`InputError`."""
    lines = [units for line in iter_lines([path], encoding) if (units := to_units(line))]
    if not lines:
        raise InputError(f"{path}: holds no tokens (the file is empty or blank)")
    return lines


def encode_stream(lines: Iterable[list[str]], vocab: Vocab) -> torch.Tensor:
    """One long id tensor: each line's ids followed by ``<eos>``."""
    eos = vocab.eos_id
    ids: list[int] = []
    for units in lines:
        ids.extend(vocab.encode(units))
        ids.append(eos)
    return torch.tensor(ids, dtype=torch.long)


def shard_stream(ids: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """The ``rank``-th of ``world_size`` equal contiguous slices of a 1-D stream (the tail that does not divide is
    dropped), so that every rank of a data-parallel run gets as many BPTT windows as the others.

    >>> shard_stream(torch.arange(7), 1, 2).tolist()
    [3, 4, 5]
    """
    if world_size <= 1:
        return ids
    size = ids.numel() // world_size
    return ids[rank * size: (rank + 1) * size]


def batchify(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut a 1-D stream into ``[steps, batch_size]`` columns, dropping the tail that does not fill a row."""
    steps = ids.numel() // batch_size
    if steps < 2:
        raise InputError(f"only {ids.numel()} tokens: too few for batches of {batch_size} columns")
    return ids[: steps * batch_size].view(batch_size, steps).t().contiguous()


def eval_columns(ids: torch.Tensor, batch_size: int, start: int) -> torch.Tensor:
    """``[steps + 1, B]`` columns that score every unit of ``ids`` exactly once, for evaluation.

    The stream after a ``start`` unit (``<eos>``: a file begins as a line does) is cut into ``B`` consecutive
    pieces; each column begins with the unit before its piece, so no unit goes unscored at a column's start,
    and the short last piece is padded with ``-1``: not a unit, never scored (see :func:`stream_nll_sum`).
    Only each column's start from a zero state depends on ``B``.
    """
    n = ids.numel()
    columns = max(1, min(batch_size, n))
    length = -(-n // columns)  # targets per column
    padded = torch.full((columns * length + 1,), -1, dtype=torch.long)
    padded[0] = start
    padded[1: n + 1] = ids
    rows = torch.arange(length + 1)[:, None] + length * torch.arange(columns)[None, :]
    return padded[rows]


class BPTTBatches:
    """``(input, target)`` windows of at most ``bptt`` steps down batchified columns; target = input shifted by 1.

    Deterministic and restartable: iterating again yields the same windows (the trainer's resume relies on it).
    """

    def __init__(self, data: torch.Tensor, bptt: int) -> None:
        self.data, self.bptt = data, bptt

    def __len__(self) -> int:
        return -(-(self.data.shape[0] - 1) // self.bptt)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for start in range(0, self.data.shape[0] - 1, self.bptt):
            length = min(self.bptt, self.data.shape[0] - 1 - start)
            yield self.data[start: start + length], self.data[start + 1: start + 1 + length]

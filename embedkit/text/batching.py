"""Batches of strings bounded both in count and in characters, for the streaming passes over a corpus."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def sized_batches(items: Iterable[str], max_items: int, max_chars: int) -> Iterator[list[str]]:
    """Consecutive runs of ``items``, each closed once it holds ``max_items`` strings or ``max_chars``
    characters (so one long document does not make a batch of a thousand huge ones); none is empty."""
    batch: list[str] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item)
        if len(batch) >= max_items or size >= max_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch

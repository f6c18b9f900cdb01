"""`embedkit preprocess`."""

from __future__ import annotations


def preprocess() -> None:
    """Normalise, tokenise, filter and lemmatise or stem text (being written)."""

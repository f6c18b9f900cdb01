"""Per-type cache entries packed for the trip between worker processes.

A worker passes on the types it analysed as two newline-joined strings, the tokens and their forms:
pickling and loading two strings costs a fraction of a dict of thousands of small ones. Entries are packed
where they are made, while their strings are still in the processor's cache (joining them later, from all
over the heap, cost about 3% of a pool's time), and the pieces are joined only when they are sent.

Tokens and forms hold no whitespace and a dropped token's form is ``""``, so the joined form is exact;
entries that would not fit it travel as a dict.
"""

from __future__ import annotations

from collections.abc import Sequence

Packed = tuple[str, str] | dict[str, str]
NOTHING: Packed = {}


def pack(tokens: Sequence[str], forms: Sequence[str]) -> Packed:
    """Entries ``tokens[i] -> forms[i]`` as two newline-joined strings (a dict if either holds a newline)."""
    if not tokens:
        return NOTHING
    keys, values = "\n".join(tokens), "\n".join(forms)
    newlines = len(tokens) - 1
    if keys.count("\n") != newlines or values.count("\n") != newlines:
        return dict(zip(tokens, forms, strict=True))
    return keys, values


def join(pieces: Sequence[Packed]) -> Packed:
    """One packed value holding the entries of all ``pieces``, later pieces winning."""
    pieces = [piece for piece in pieces if piece]
    if len(pieces) <= 1:
        return pieces[0] if pieces else NOTHING
    if all(isinstance(piece, tuple) for piece in pieces):
        return "\n".join([piece[0] for piece in pieces]), "\n".join([piece[1] for piece in pieces])
    merged: dict[str, str] = {}
    for piece in pieces:
        update(merged, piece)
    return merged


def update(cache: dict[str, str], packed: Packed) -> None:
    """Add packed entries to ``cache`` (no dict in between)."""
    if isinstance(packed, dict):
        cache.update(packed)
    else:
        keys, values = packed
        cache.update(zip(keys.split("\n"), values.split("\n"), strict=True))


def unpack(packed: Packed) -> dict[str, str]:
    """The entries of a packed value, as a dict."""
    entries: dict[str, str] = {}
    update(entries, packed)
    return entries

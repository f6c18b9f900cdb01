"""Rolling-origin splits for ordered data (time series, a corpus in time order): never train on the future.

Each fold trains on a window that ends at an origin and tests on the ``horizon`` items right after it
(optionally after a ``gap``); the origin then moves ``step`` items forward. ``window='expanding'`` keeps the
training start at 0; ``'sliding'`` keeps the training length fixed at ``initial``.

>>> [(list(tr), list(te)) for tr, te in rolling_origin_splits(6, initial=3, horizon=1)]
[([0, 1, 2], [3]), ([0, 1, 2, 3], [4]), ([0, 1, 2, 3, 4], [5])]
>>> [(list(tr), list(te)) for tr, te in rolling_origin_splits(6, initial=2, horizon=2, step=2, window="sliding")]
[([0, 1], [2, 3]), ([2, 3], [4, 5])]
"""

from __future__ import annotations

from collections.abc import Iterator

from embedkit.errors import ConfigError

WINDOWS = ("expanding", "sliding")


def rolling_origin_splits(n: int, initial: int, horizon: int = 1, step: int | None = None,
                          window: str = "expanding", gap: int = 0) -> Iterator[tuple[range, range]]:
    """``(train, test)`` index ranges over ``n`` ordered items; every test index is after every train index."""
    if window not in WINDOWS:
        raise ConfigError(f"unknown window '{window}' (choose from {', '.join(WINDOWS)})")
    step = horizon if step is None and window == "sliding" else (step or 1)
    if initial <= 0 or horizon <= 0 or step <= 0 or gap < 0:
        raise ConfigError("initial, horizon and step must be positive, gap not negative")
    if initial + gap + horizon > n:
        raise ConfigError(f"{n} items are too few for a training window of {initial}, gap {gap}, horizon {horizon}")
    origin = initial
    while origin + gap + horizon <= n:
        start = 0 if window == "expanding" else origin - initial
        yield range(start, origin), range(origin + gap, origin + gap + horizon)
        origin += step

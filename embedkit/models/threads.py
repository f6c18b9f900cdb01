"""How many CPU threads torch uses: one default and one setter for every torch command (lm, clf).

Recurrent models on small batches gain little from intra-op threads, and torch's own default (every core)
loses badly on a busy machine, where the threads wait for each other: a 1-layer LSTM (128 units) took
28.7 s an epoch on 1 thread and 199.3 s on 2 threads on a 2-core host with a load average of 10. So the
default is one thread (``$OMP_NUM_THREADS`` where it is set); ``--threads N`` asks for more.
"""

from __future__ import annotations

import os

from embedkit.config import check_workers


def default_threads() -> int:
    """Threads when none are asked for: ``$OMP_NUM_THREADS`` where it is set (``torchrun`` sets 1 for each of
    its processes), else 1."""
    given = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(given) if given.isdigit() and int(given) > 0 else 1


def set_threads(threads: int | None = None) -> int:
    """Set torch's intra-op CPU threads (``None``: :func:`default_threads`); returns the number set.

    Results depend on the thread count only through the order of floating-point sums: a seeded run
    repeats exactly with the same seed and the same number of threads.
    """
    import torch

    check_workers("threads", threads)
    count = default_threads() if threads is None else int(threads)
    torch.set_num_threads(count)
    return count

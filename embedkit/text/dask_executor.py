"""Preprocessing on Dask: chunks of documents go to a cluster's workers and come back in input order.

``Pipeline.run`` keeps a window of chunks in flight (memory stays flat) and writes results in submission
order, so the output is byte-identical to the local path. Each Dask worker keeps one pipeline, and so one
per-type cache, per config. Needs the ``embedkit[dask]`` extra.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections import deque
from collections.abc import Iterator
from typing import Any

from embedkit.errors import ConfigError
from embedkit.text.cache_entries import join, unpack
from embedkit.text.config import PreprocessConfig


@functools.lru_cache(maxsize=4)
def _worker_pipeline(config: PreprocessConfig):
    from embedkit.text.pipeline import Pipeline

    return Pipeline(config)


def _process(config: PreprocessConfig, chunk: list[str]) -> tuple[str, int, int, list[str]]:
    (text, docs, toks), learned = _worker_pipeline(config).process_chunk_learning(chunk)
    return text, docs, toks, list(unpack(join(learned)).values())


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int, timeout: str = "10s") -> Iterator[Any]:
    """A client for ``scheduler`` (``host:port``), or for a ``LocalCluster`` of ``workers`` processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("the dask executor needs the dask extra: pip install 'embedkit[dask]'") from None
    if not logging.getLogger().isEnabledFor(logging.INFO):
        for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.core",
                     "distributed.http.proxy", "distributed.worker"):
            logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler:
        try:
            client = Client(scheduler, timeout=timeout)
        except OSError as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        yield client


def dask_results(client: Any, config: PreprocessConfig, chunks: Iterator[list[str]], window: int,
                 types: set[str]) -> Iterator[tuple[str, int, int]]:
    """Submit chunks to the cluster and yield their results in input order, ``window`` in flight.

    ``types`` collects the output types the workers met for the first time (for the summary).
    """
    pending: deque = deque()

    def collect() -> tuple[str, int, int]:
        text, docs, toks, new_types = pending.popleft().result()
        types.update(t for t in new_types if t)
        return text, docs, toks

    for chunk in chunks:
        pending.append(client.submit(_process, config, chunk, pure=False))
        while len(pending) > window:
            yield collect()
    while pending:
        yield collect()

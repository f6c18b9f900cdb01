"""Where chunks of work run: here, on N local processes, or on a Dask cluster.

Every executor has one method, :meth:`Executor.map_ordered`: apply a function to each item of an iterable
and yield the results in input order, as they are ready. It reads the input lazily and keeps a bounded
window of items in flight, so memory stays flat whatever the input size; closing the generator early stops
the work. Executors know nothing of text:
the caller gives a function, and any state a worker keeps between items (a per-type cache) is the
function's own business. For :class:`ProcessExecutor` and :class:`DaskExecutor` the function and the items
must pickle; a worker process unpickles the function once per item, so a function that should keep state
in a worker pickles as a reference to a per-process object (see ``__reduce__``).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

from embedkit.errors import ConfigError, WorkerError

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Maps a function over items, yielding results in input order."""

    def map_ordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``fn(item)`` for each item, in input order, with a bounded number of items in flight."""
        ...


class LocalExecutor:
    """Runs every item in this process, one after the other."""

    def map_ordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``map(fn, items)``."""
        yield from map(fn, items)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the caller, which stops the pool


class ProcessExecutor:
    """Runs items on ``workers`` local processes (forked where the system can), results in input order.

    At most ``window`` items are submitted and not yet yielded (default: two per worker and one more), so a
    worker always has its next item queued while the caller writes results. A worker that dies (killed, out
    of memory) is a :class:`~embedkit.errors.WorkerError`; an exception raised by ``fn`` reaches the caller
    as it is. When the caller stops early (an error, Ctrl-C, closing the generator), items not started are
    cancelled and the workers are ended at once: a stopped run wants none of their results.
    """

    def __init__(self, workers: int, window: int | None = None) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.window = window or 2 * workers + 1

    def map_ordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``fn(item)`` for each item on the worker processes, yielded in input order."""
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context(method), initializer=_ignore_interrupts)
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= self.window:
                    yield _result(pending.popleft())
            while pending:
                yield _result(pending.popleft())
        except BrokenProcessPool:
            pool.shutdown(wait=True, cancel_futures=True)
            raise WorkerError("a preprocessing worker process died (killed, or out of memory?); "
                              "try fewer --workers") from None
        except BaseException:
            _stop_now(pool)  # Ctrl-C, an error, or the caller stopped reading: no result is wanted any more
            raise
        pool.shutdown(wait=True)


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers at once, rather than wait for their chunks."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # the pool keeps no public list
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)  # the pool sees its workers gone and winds up at once


def _result(future: Future[R]) -> R:
    return future.result()


class DaskExecutor:
    """Runs items as tasks on a Dask cluster through ``client``, ``window`` in flight, results in input order.

    Needs the ``embedkit[dask]`` extra; see :func:`dask_client` for a client.
    """

    def __init__(self, client: Any, window: int = 8) -> None:
        self.client = client
        self.window = window

    def map_ordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``fn(item)`` for each item on the cluster, yielded in input order."""
        pending: deque[Any] = deque()
        for item in items:
            pending.append(self.client.submit(fn, item, pure=False))
            if len(pending) >= self.window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def local_executor(workers: int) -> Executor:
    """This process for one worker, else a :class:`ProcessExecutor` of ``workers`` processes."""
    return LocalExecutor() if workers <= 1 else ProcessExecutor(workers)


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

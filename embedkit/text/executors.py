"""Where chunks of work run: here, on N local processes, or on a Dask cluster.

Every executor has one method, :meth:`Executor.map_ordered`: apply a function to each item of an iterable
and yield the results in input order, as they are ready. It reads the input lazily and keeps a bounded
window of items in flight, so memory stays flat whatever the input size; closing the generator early stops
the work. Executors know nothing of text: the caller gives a function, and any state a worker keeps
between items (a per-type cache) is the function's own business.

A function may also share what its workers learn (:class:`SharingTask`): after each item a worker hands
:class:`ProcessExecutor` what it learned, and the executor passes that on to the other workers, which take
it in before their next item. The pipeline shares its per-type cache this way, so a word type is analysed
about once in all rather than once per worker (measured: two workers do 17% more work than one without
sharing; see ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing as mp
import pickle
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol, TypeVar, runtime_checkable

from embedkit.config import check_workers
from embedkit.errors import ConfigError, WorkerError

T = TypeVar("T")
R = TypeVar("R")

BACKLOG = 2  # items a worker holds at once: it always has its next one queued while the caller collects
PIPE_BYTES = 1 << 20  # Linux's default ceiling for an unprivileged pipe: a chunk's result fits whole
_STOP = b""


class Executor(Protocol):
    """Maps a function over items, yielding results in input order."""

    def map_ordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``fn(item)`` for each item, in input order, with a bounded number of items in flight."""
        ...


@runtime_checkable
class SharingTask(Protocol):
    """A function whose workers pass on what they learn: ``learned()`` after an item, ``absorb()`` elsewhere."""

    def __call__(self, item: Any) -> Any: ...

    def learned(self) -> Any:
        """What this worker learned from its last item, for the others (``None``: nothing)."""
        ...

    def absorb(self, learned: Any) -> None:
        """Take in what another worker learned."""
        ...


class LocalExecutor:
    """Runs every item in this process, one after the other."""

    def map_ordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``map(fn, items)``."""
        yield from map(fn, items)


class ProcessExecutor:
    """Runs items on ``workers`` processes: this one and ``workers - 1`` children (forked where the system
    can), results in input order.

    Each child holds at most :data:`BACKLOG` items; when every child is full, this process runs the next
    item itself, so ``workers`` processes share the work and the caller's own reading and writing fits in
    between (no core waits on a scheduler). At most ``window`` items are read and not yet yielded (default:
    two per worker and one more). A child that dies (killed, out of memory) is a
    :class:`~embedkit.errors.WorkerError`; an exception raised by ``fn`` reaches the caller as it is, in its
    item's turn. When the caller stops early (an error, Ctrl-C, closing the generator) the children are
    ended at once: a stopped run wants none of their results. For a :class:`SharingTask` what each process
    learned is passed on to the others.
    """

    def __init__(self, workers: int, window: int | None = None) -> None:
        check_workers("workers", workers)
        self.workers = workers
        self.window = window or 2 * workers + 1

    def map_ordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``fn(item)`` for each item, here and on the children, yielded in input order."""
        pool = _Pool(fn, self.workers - 1)
        source = iter(items)
        next_in = next_out = 0
        exhausted = False

        def draw() -> Any:
            nonlocal exhausted
            item = next(source, _END)
            exhausted = item is _END
            return item

        try:
            while True:
                while not exhausted and next_in - next_out < self.window and (child := pool.with_room()):
                    if (item := draw()) is not _END:
                        child.send((next_in, item))
                        next_in += 1
                pool.collect(block=False)
                if next_out in pool.done:
                    result = pool.done.pop(next_out)
                    if isinstance(result, _Failure):
                        raise result.error
                    yield result
                    next_out += 1
                elif not exhausted and next_in - next_out < self.window:
                    if (item := draw()) is not _END:
                        pool.run_here(next_in, item)
                        next_in += 1
                elif next_out == next_in:
                    break
                else:
                    pool.collect(block=True)
        except BaseException:
            pool.kill()  # Ctrl-C, an error, or the caller stopped reading: no result is wanted any more
            raise
        pool.close()


_END = object()


class _Pool:
    """The children of one :meth:`ProcessExecutor.map_ordered` call, this process's own share, the results
    not yet yielded, and the passing on of what each learned."""

    def __init__(self, fn: Callable[[Any], Any], children: int) -> None:
        self.fn = fn
        self.sharing = isinstance(fn, SharingTask)
        self.children = _start_workers(fn, children, self.sharing)
        self.by_conn = {child.results: child for child in self.children}
        self.done: dict[int, Any] = {}  # results (or failures) not yet yielded, by input index

    def with_room(self) -> _Worker | None:
        """The least busy child, if it can take another item."""
        child = min(self.children, key=lambda c: c.in_flight, default=None)
        return child if child is not None and child.in_flight < BACKLOG else None

    def run_here(self, index: int, item: Any) -> None:
        try:
            self.done[index] = self.fn(item)
        except Exception as exc:
            self.done[index] = _Failure(exc)
            return
        if self.sharing and self.children and (value := self.fn.learned()) is not None:  # type: ignore[attr-defined]
            self._pass_on(_dumps(_Learned(value)), source=None)

    def collect(self, block: bool) -> None:
        """Take the replies the children have sent (wait for one when ``block``)."""
        busy = [child.results for child in self.children if child.in_flight]
        if not busy:
            return
        for conn in wait(busy, timeout=None if block else 0):
            child = self.by_conn[conn]
            index, result, learned = child.receive()
            self.done[index] = result
            if learned is not None:
                self.fn.absorb(pickle.loads(learned).value)  # type: ignore[attr-defined]
                self._pass_on(learned, source=child)

    def _pass_on(self, learned: bytes, source: _Worker | None) -> None:
        for child in self.children:
            if child is not source:
                child.send_learned(learned)

    def close(self) -> None:
        for child in self.children:
            child.close()

    def kill(self) -> None:
        for child in self.children:
            child.kill()


def _start_workers(fn: Callable[[Any], Any], n: int, sharing: bool) -> list[_Worker]:
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    workers: list[_Worker] = []
    gc.freeze()  # a forked child's garbage collector must not touch (and so copy) the parent's heap
    try:
        for _ in range(n):
            inherited = [w.inbox for w in workers] + [w.results for w in workers] if method == "fork" else []
            workers.append(_Worker(ctx, fn, sharing, inherited))
    except BaseException:
        for worker in workers:
            worker.kill()
        raise
    finally:
        gc.unfreeze()
    for worker in workers:
        worker._writer.start()
    return workers


class _Worker:
    """One worker process, its two pipes, and a thread that writes to it.

    The caller's messages go out through that thread, so the caller never blocks on a worker busy writing
    its own result (which the caller must be free to read); a blocking pipe write releases the GIL.
    """

    def __init__(self, ctx: Any, fn: Callable[[Any], Any], sharing: bool, inherited: list[Connection]) -> None:
        inbox_end, self.inbox = ctx.Pipe(duplex=False)
        self.results, results_end = ctx.Pipe(duplex=False)
        for conn in (self.inbox, self.results):
            _widen(conn)
        self.process = ctx.Process(target=_worker_main, daemon=True,
                                   args=(fn, sharing, inbox_end, results_end, [*inherited, self.inbox, self.results]))
        self.process.start()
        inbox_end.close()  # so a dead worker reads as EOF here, not as silence
        results_end.close()
        self.in_flight = 0
        self._outgoing: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, daemon=True)  # started once every worker is forked

    def send(self, message: tuple[int, Any]) -> None:
        self._outgoing.put(_dumps(message))
        self.in_flight += 1

    def send_learned(self, learned: bytes) -> None:
        self._outgoing.put(learned)

    def receive(self) -> tuple[int, Any, bytes | None]:
        """The next reply: (index, result or :class:`_Failure`, what the worker learned, still pickled)."""
        try:
            index, result, learned = pickle.loads(self.results.recv_bytes())
        except (EOFError, OSError):
            self.process.join(timeout=1)
            raise WorkerError(f"a preprocessing worker process died (exit code {self.process.exitcode}); "
                              "try fewer --workers") from None
        self.in_flight -= 1
        return index, result, learned

    def _write(self) -> None:
        while (payload := self._outgoing.get()) is not None:
            try:
                self.inbox.send_bytes(payload)
            except OSError:
                return  # the worker is gone; the caller finds out from its results pipe

    def close(self) -> None:
        """Tell the worker the input is over and wait for it to exit."""
        self._outgoing.put(_STOP)
        self._outgoing.put(None)
        self._writer.join()
        self.process.join()
        self.inbox.close()
        self.results.close()

    def kill(self) -> None:
        """End the worker now."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self._outgoing.put(None)
        if self._writer.is_alive():
            self._writer.join(timeout=1)
        self.inbox.close()
        self.results.close()


def _widen(conn: Connection) -> None:
    """Ask for a :data:`PIPE_BYTES` pipe (Linux), so a child writes a whole result while this process is
    busy with an item of its own, instead of waiting for it to read."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass  # another system, or a lower limit: writes then wait a little longer


class _Failure:
    """An exception raised by the function in a worker, carried back to the caller."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _dumps(message: Any) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def _worker_main(fn: Callable[[Any], Any], sharing: bool, inbox: Connection, results: Connection,
                 inherited: list[Connection]) -> None:
    """A worker's loop: read items (and what the others learned), run them in order, send the results."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the caller, which ends the workers
    for conn in inherited:  # the caller's ends, copied by fork: holding them would hide the caller's exit
        conn.close()
    queued: deque[tuple[int, Any]] = deque()
    stopping = False

    def read() -> None:
        nonlocal stopping
        payload = inbox.recv_bytes()
        if payload == _STOP:
            stopping = True
        elif isinstance(message := pickle.loads(payload), tuple):
            queued.append(message)
        else:
            fn.absorb(message.value)  # type: ignore[attr-defined]

    try:
        while True:
            while not queued and not stopping:
                read()
            while not stopping and inbox.poll():
                read()  # what the others learned meanwhile, before this item
            if not queued:
                return
            index, item = queued.popleft()
            try:
                result = fn(item)
                value = fn.learned() if sharing else None  # type: ignore[attr-defined]
                reply = _dumps((index, result, None if value is None else _dumps(_Learned(value))))
            except Exception as exc:
                reply = _dumps((index, _failure(exc), None))
            results.send_bytes(reply)
    except (EOFError, OSError):
        return  # the caller is gone


class _Learned:
    """What a worker learned, as it travels to the others (a tuple on the same pipe is an item)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _failure(exc: Exception) -> _Failure:
    try:
        pickle.dumps(exc)
        return _Failure(exc)
    except Exception:
        return _Failure(RuntimeError(f"{type(exc).__name__}: {exc}"))


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

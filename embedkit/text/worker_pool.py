"""Local worker processes for the pipeline: chunks out, results back in input order, one shared type cache.

``n`` workers in all: the calling process and ``n - 1`` children. Each child holds at most
:data:`CHILD_BACKLOG` chunks; the next chunk goes to a child with room, else the calling process works on
it itself, so no core waits and the caller's own reading and writing are balanced out. Results are
written in input order, so the output bytes are those of one worker. While the calling process works on a
chunk of its own it stops between the chunk's steps (tokenise, analyse the new types, map) to collect
results and refill the children, so a child seldom waits on it; at the end of the input it takes back the
chunks a child has not started instead of waiting for them.

The types a worker analysed travel with its result, or on their own while it works, and go on to the other
workers: a word type is analysed about once in all, not once per worker. The types, not the tokens, are the
work that is shared. Neighbouring workers go through a chunk's new types in opposite orders (this process
ascending, the first child descending), so when both meet the same new words at once, as in their first
chunks, each skips what the other has passed on instead of analysing it too.

Messages go over plain pipes, pickled and written by the thread that made them. ``multiprocessing.Queue``
would hand each one to a feeder thread that must win the GIL back from the busy main thread for every
64 KiB the pipe takes, and a child then waits on its next chunk. Here the pipes are widened (Linux) so a
chunk fits whole, and the caller writes a chunk only when it cannot block: into free room it has measured
(``FIONREAD``), or to a child with nothing in flight, which is waiting to read. A child may block while
writing a result, but the caller reads results whenever it is not working, so neither side waits on the
other for ever.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import pickle
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from embedkit.errors import WorkerError
from embedkit.text import cache_entries
from embedkit.text.cache_entries import Packed

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from embedkit.text.config import PreprocessConfig
    from embedkit.text.pipeline import ChunkResult, Pipeline

CHILD_BACKLOG = 2
PIPE_BYTES = 1 << 20  # Linux's default ceiling for an unprivileged pipe: about three chunks of Cyrillic text
_PAGE = 4096
_STOP = b""
_NEVER = 1 << 62


def _widen(conn: Connection) -> int:
    """Ask for a :data:`PIPE_BYTES` pipe buffer; the capacity the pipe has now (0 when it cannot be told)."""
    try:
        import fcntl

        try:
            return fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            return fcntl.fcntl(conn.fileno(), fcntl.F_GETPIPE_SZ)
    except (ImportError, AttributeError, OSError):
        return 0


def _unread(conn: Connection) -> int | None:
    """Bytes written to a pipe and not read yet, or ``None`` where the system cannot say."""
    try:
        import array
        import fcntl
        import termios

        count = array.array("i", [0])
        fcntl.ioctl(conn.fileno(), termios.FIONREAD, count, True)
        return count[0]
    except (ImportError, AttributeError, OSError):
        return None


def _dumps(message: Any) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


class _Child:
    """One child process, the pipes to and from it, and what the caller has sent it.

    The chunks sent and not yet collected stay here too, so the caller can take back one the child has
    not started: at the end of the input it works on those itself instead of waiting. A lock and two
    shared numbers (the message the child last started, and the first one it must skip) settle who runs
    a chunk, so it is processed exactly once.
    """

    def __init__(self, ctx: Any, config: PreprocessConfig, inherited: list[Connection], descending: bool) -> None:
        """Make the pipes and start the process (children started later must not inherit these pipes).

        ``descending``: the child analyses new types in that order (see ``Pipeline._learn_in_steps``).
        """
        inbox_end, self.inbox = ctx.Pipe(duplex=False)
        self.outbox, outbox_end = ctx.Pipe(duplex=False)
        self.capacity = _widen(self.inbox)
        _widen(outbox_end)
        self.lock = ctx.Lock()
        self.claims = ctx.RawArray("q", [-1, _NEVER])  # [last message started, first message to skip]
        self.process = ctx.Process(target=_child_main, daemon=True,
                                   args=(config, inbox_end, outbox_end, self.lock, self.claims,
                                         [*inherited, self.inbox, self.outbox], descending))
        self.process.start()
        inbox_end.close()  # so a dead child reads as EOF here, not as silence
        outbox_end.close()
        self.pending: deque[tuple[int, int, list[str]]] = deque()  # (chunk index, message number, chunk)
        self.sent = 0
        self.unsent: list[Packed] = []  # types the others learned since this child's last chunk
        self.stopped = False

    def has_room(self) -> bool:
        return len(self.pending) < CHILD_BACKLOG

    def can_take(self, nbytes: int) -> bool:
        """Whether ``nbytes`` can be written now without blocking."""
        if not self.pending:
            return True  # it has nothing to do, so it is reading: a blocking write returns soon
        unread = _unread(self.inbox)
        return unread is not None and unread + nbytes + 4 * _PAGE <= self.capacity

    def send_bytes(self, payload: bytes) -> None:
        try:
            self.inbox.send_bytes(payload)
        except OSError:
            raise self.died() from None

    def send(self, index: int, payload: bytes, chunk: list[str]) -> None:
        self.send_bytes(payload)
        self.pending.append((index, self.sent, chunk))
        self.sent += 1
        self.unsent = []

    def send_types(self) -> None:
        """Pass on what the others learned now, if the child is busy (it reads them between its steps)."""
        if not self.unsent or not self.pending:
            return
        payload = _dumps((None, cache_entries.join(self.unsent)))
        if self.can_take(len(payload)):
            self.send_bytes(payload)
            self.unsent = []

    def take_back(self) -> tuple[int, list[str]] | None:
        """The last chunk sent, if the child has not started it (it will skip it); else ``None``.

        Only once nothing more will be sent: the child skips every message from the one taken back on.
        """
        if not self.pending:
            return None
        index, number, chunk = self.pending[-1]
        with self.lock:
            if self.claims[0] >= number:
                return None
            self.claims[1] = number
        self.pending.pop()
        return index, chunk

    def died(self) -> WorkerError:
        self.process.join(timeout=1)
        return WorkerError(f"a preprocessing worker process died (exit code {self.process.exitcode}); "
                           "try fewer --workers")

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            try:
                self.inbox.send_bytes(_STOP)
            except OSError:
                pass


class WorkerPool:
    """Run :meth:`Pipeline.process_chunk` over chunks on ``n`` processes, yielding results in input order."""

    def __init__(self, parent: Pipeline, n: int) -> None:
        self.parent = parent
        self.n = n
        self.children: list[_Child] = []
        self.done: dict[int, ChunkResult] = {}
        self._source: Iterator[tuple[int, list[str]]] = iter(())
        self._held: deque[tuple[int, list[str]]] = deque()  # read, but no child could take it
        self._passed_on = 0  # how many of this process's newly analysed types the children have been sent

    def map_ordered(self, chunks: Iterator[list[str]]) -> Iterator[ChunkResult]:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(method)
        next_out = 0
        try:
            gc.freeze()  # the children's garbage collector must not touch (and so copy) the parent's heap
            try:
                for _ in range(self.n - 1):
                    inherited = [end for child in self.children for end in (child.inbox, child.outbox)]
                    descending = len(self.children) % 2 == 0  # this process ascends, the first child descends
                    self.children.append(_Child(ctx, self.parent.config, inherited, descending))
            finally:
                gc.unfreeze()
            self._source = enumerate(chunks)
            while (item := self._next_chunk()) is not None:
                if not self._send(*item):
                    index, chunk = item
                    self.done[index] = self._process_here(chunk)
                for child in self.children:
                    self._collect(child, block=False)
                while next_out in self.done:
                    yield self.done.pop(next_out)
                    next_out += 1
            while any(child.pending for child in self.children) or next_out in self.done:
                for child in self.children:
                    if not child.pending:
                        child.stop()  # the input is over: it can exit while the others finish
                if next_out in self.done:
                    yield self.done.pop(next_out)
                    next_out += 1
                elif (taken := self._take_back()) is not None:
                    index, chunk = taken
                    self.done[index] = self._process_here(chunk)
                else:
                    owner = next(c for c in self.children if c.pending and c.pending[0][0] == next_out)
                    self._collect(owner, block=True)
            for child in self.children:
                child.stop()  # each exits on its own; multiprocessing reaps it, nobody waits here
        finally:
            for child in self.children:
                if not child.stopped and child.process.is_alive():
                    child.process.terminate()
                    child.process.join()
                child.inbox.close()
                child.outbox.close()

    def _next_chunk(self) -> tuple[int, list[str]] | None:
        if self._held:
            return self._held.popleft()
        return next(self._source, None)

    def _send(self, index: int, chunk: list[str]) -> bool:
        """Give the chunk to the least busy child if that cannot block; whether it was given."""
        child = min(self.children, key=lambda c: len(c.pending))
        if not child.has_room():
            return False
        payload = _dumps((chunk, cache_entries.join(child.unsent)))
        if not child.can_take(len(payload)):
            return False
        child.send(index, payload, chunk)
        return True

    def _take_back(self) -> tuple[int, list[str]] | None:
        """A chunk a child has queued and not started, from the child with the most queued."""
        for child in sorted(self.children, key=lambda c: -len(c.pending)):
            if (taken := child.take_back()) is not None:
                return taken
        return None

    def _process_here(self, chunk: list[str]) -> ChunkResult:
        self._passed_on = 0
        result, learned = self.parent.process_chunk_learning(chunk, between=self._serve)
        self._share(learned[self._passed_on:], source=None)
        return result

    def _serve(self) -> None:
        """Between the steps of this process's own chunk: pass on the types it has analysed, take finished
        results, refill children with room."""
        learning = self.parent.learning
        if learning is not None and len(learning) > self._passed_on:
            self._share(learning[self._passed_on:], source=None)
            self._passed_on = len(learning)
            for child in self.children:
                child.send_types()
        for child in self.children:
            self._collect(child, block=False)
        while not self._held and (item := self._next_chunk()) is not None:
            if not self._send(*item):
                self._held.append(item)

    def _collect(self, child: _Child, block: bool) -> None:
        """Take every finished result of one child (at least one when ``block``)."""
        while child.pending and (block or child.outbox.poll()):
            try:
                reply = pickle.loads(child.outbox.recv_bytes())
            except (EOFError, OSError):
                raise child.died() from None
            if isinstance(reply, BaseException):
                raise reply
            *result, packed = reply
            self.parent.remember(packed)
            self._share([packed], source=child)
            if result:  # else only types, passed on while the child is busy with its chunk
                text, docs, toks = result
                self.done[child.pending.popleft()[0]] = (text, docs, toks)
                block = False

    def _share(self, learned: list[Packed], source: _Child | None) -> None:
        for child in self.children:
            if child is not source:
                child.unsent.extend(learned)


def _child_main(config: PreprocessConfig, inbox: Connection, outbox: Connection, lock: Any, claims: Any,
                inherited: list[Connection], descending: bool) -> None:
    import signal

    from embedkit.text.pipeline import Pipeline

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for end in inherited:  # the caller's ends, copied by fork: holding them would hide the caller's exit
        end.close()
    _ChildLoop(Pipeline(config), inbox, outbox, lock, claims, descending).run()


class _ChildLoop:
    """A child's side: read chunks (and types learned elsewhere), process them in order, send results.

    Between the steps of a chunk it reads whatever has arrived, so types the others analysed meanwhile are
    known before its own analysis step, and it passes on the types it has just analysed before mapping.
    """

    def __init__(self, pipeline: Pipeline, inbox: Connection, outbox: Connection, lock: Any, claims: Any,
                 descending: bool) -> None:
        self.pipeline, self.inbox, self.outbox, self.lock, self.claims = pipeline, inbox, outbox, lock, claims
        self.descending = descending
        self.queued: deque[tuple[int, list[str]]] = deque()  # (message number, chunk) read, not started
        self.received = 0
        self.stopping = False
        self.passed_on = 0

    def run(self) -> None:
        while (item := self._next()) is not None:
            number, chunk = item
            with self.lock:
                if number >= self.claims[1]:
                    continue  # the caller took this chunk back
                self.claims[0] = number
            self.passed_on = 0
            try:
                (text, docs, toks), learned = self.pipeline.process_chunk_learning(chunk, self._between,
                                                                                      self.descending)
                reply = _dumps((text.encode(), docs, toks, cache_entries.join(learned[self.passed_on:])))
            except Exception as exc:  # handed to the caller, which raises it
                try:
                    reply = _dumps(exc)
                except Exception:
                    reply = _dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
            self.outbox.send_bytes(reply)

    def _next(self) -> tuple[int, list[str]] | None:
        while not self.queued and not self.stopping:
            self._read(self.inbox.recv_bytes())
        return self.queued.popleft() if self.queued else None

    def _read(self, payload: bytes) -> None:
        if payload == _STOP:
            self.stopping = True
            return
        chunk, known = pickle.loads(payload)
        self.pipeline.remember(known)
        if chunk is not None:
            self.queued.append((self.received, chunk))
            self.received += 1

    def _between(self) -> None:
        while not self.stopping and self.inbox.poll():
            self._read(self.inbox.recv_bytes())
        learning = self.pipeline.learning
        if learning is not None and len(learning) > self.passed_on:
            self.outbox.send_bytes(_dumps((cache_entries.join(learning[self.passed_on:]),)))
            self.passed_on = len(learning)

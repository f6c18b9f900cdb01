"""Executors: one ordered map, here or on worker processes; input order, bounded input, clear failures."""

from __future__ import annotations

import io
import multiprocessing
import os

import pytest

from embedkit.errors import ConfigError, WorkerError
from embedkit.text import Pipeline
from embedkit.text.executors import LocalExecutor, ProcessExecutor, SharingTask, local_executor


def _square(x: int) -> int:
    return x * x


def _pid(_: int) -> int:
    return os.getpid()


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three is not allowed")
    return x


_CALLER = os.getpid()


def _die(x: int) -> int:
    if os.getpid() != _CALLER:
        os._exit(3)  # a child dies; the caller's own share goes on
    return x


@pytest.mark.parametrize("executor", [LocalExecutor(), ProcessExecutor(2), ProcessExecutor(3, window=2)])
def test_results_come_back_in_input_order(executor) -> None:
    assert list(executor.map_ordered(_square, range(40))) == [x * x for x in range(40)]


def test_items_run_on_the_children_and_here_when_they_are_full() -> None:
    pids = list(ProcessExecutor(3).map_ordered(_pid, range(30)))
    assert pids[0] != os.getpid() and pids[1] != os.getpid()  # the first items go to the children
    assert os.getpid() in pids and len(set(pids)) <= 3  # this process takes one while both are busy
    assert set(LocalExecutor().map_ordered(_pid, range(3))) == {os.getpid()}


def test_input_is_read_at_most_a_window_ahead() -> None:
    drawn = []

    def items():
        for x in range(100):
            drawn.append(x)
            yield x

    results = ProcessExecutor(2, window=3).map_ordered(_square, items())
    assert next(results) == 0
    assert len(drawn) <= 3
    assert next(results) == 1 and len(drawn) <= 4
    results.close()
    assert not multiprocessing.active_children()


def test_an_error_in_the_function_reaches_the_caller_as_it_is() -> None:
    results = ProcessExecutor(2).map_ordered(_fail_on_three, range(10))
    assert [next(results) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError, match="three is not allowed"):
        next(results)
    assert not multiprocessing.active_children()


def test_a_worker_that_dies_is_a_clear_error_not_a_hang() -> None:
    with pytest.raises(WorkerError, match="worker process died"):
        list(ProcessExecutor(2).map_ordered(_die, range(10)))
    assert not multiprocessing.active_children()


def test_one_worker_runs_here_and_none_is_an_error() -> None:
    assert isinstance(local_executor(1), LocalExecutor)
    assert isinstance(local_executor(2), ProcessExecutor)
    with pytest.raises(ConfigError, match="workers must be positive"):
        ProcessExecutor(0)


def test_the_pool_also_runs_where_processes_are_spawned_not_forked(lee_corpus, monkeypatch) -> None:
    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_DOCS", 40)
    lines = lee_corpus.read_text(encoding="utf-8").splitlines()
    one, two = io.StringIO(), io.StringIO()
    Pipeline(lang="en", stem=True, stopwords=True).run(lines, one, workers=1)
    Pipeline(lang="en", stem=True, stopwords=True).run(lines, two, workers=2)
    assert two.getvalue() == one.getvalue()


class _Remembering:
    """A sharing task: each item is what its worker learned; a result names what the worker had taken in."""

    def __init__(self) -> None:
        self.absorbed: set[int] = set()
        self.last: int | None = None

    def __call__(self, item: int) -> tuple[int, int, frozenset[int]]:
        self.last = item
        return item, os.getpid(), frozenset(self.absorbed)

    def learned(self) -> int | None:
        return self.last

    def absorb(self, learned: int) -> None:
        self.absorbed.add(learned)


def test_what_a_worker_learns_reaches_the_others_before_their_later_items() -> None:
    results = list(ProcessExecutor(2).map_ordered(_Remembering(), range(40)))
    assert [item for item, _, _ in results] == list(range(40))
    worker_of = {item: pid for item, pid, _ in results}
    for item, pid, absorbed in results:
        assert all(worker_of[other] != pid for other in absorbed)  # only the other worker's items
        assert item not in absorbed
    assert set().union(*(absorbed for _, _, absorbed in results))  # something was passed on


def test_a_plain_function_shares_nothing() -> None:
    assert isinstance(_Remembering(), SharingTask) and not isinstance(_square, SharingTask)

"""Preprocessing scale-out: the executors side by side, Dask with 2 local workers against 2 local worker
processes and this process alone.

Same input (the Russian novels in ../shared/data, lemmatised), same run; each figure is the best of
``--repeat`` runs, cluster start-up excluded (it is paid once per session, not per file).

    python benchmarks/preprocess_scale.py [--data ../shared/data] [--repeat 2]
"""

from __future__ import annotations

import argparse
import io
import platform
import time
from pathlib import Path

from embedkit.text import Pipeline
from embedkit.text.config import PreprocessConfig
from embedkit.text.executors import DaskExecutor, LocalExecutor, ProcessExecutor, dask_client

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def timed(repeat: int, run) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    lines = "\n".join(p.read_text(encoding="utf-8")
                      for p in sorted((args.data / "ru_literature").glob("*.txt"))).splitlines()
    config = PreprocessConfig(lang="ru", lemmatize=True)

    def on(executor) -> None:
        Pipeline(config).run(lines, io.BytesIO(), executor=executor)

    one = timed(args.repeat, lambda: on(LocalExecutor()))
    two = timed(args.repeat, lambda: on(ProcessExecutor(2)))
    with dask_client(None, 2) as client:
        dask = timed(args.repeat, lambda: on(DaskExecutor(client, window=8)))
    words = sum(len(line.split()) for line in lines)
    print(f"machine: {platform.machine()}, Python {platform.python_version()}; {words:,} words, Russian lemmas")
    print(f"  local, 1 process     {one:6.2f}s  {words / one:>10,.0f} words/s  1.00x")
    print(f"  local, 2 processes   {two:6.2f}s  {words / two:>10,.0f} words/s  {one / two:.2f}x")
    print(f"  Dask, 2 workers      {dask:6.2f}s  {words / dask:>10,.0f} words/s  {one / dask:.2f}x "
          f"({two / dask:.2f}x the local 2-process path)")


if __name__ == "__main__":
    main()

"""Shared fixtures: the evaluation data in ../shared/data (tests that need it skip when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of real corpora; skips the test when the checkout has no ../shared/data beside it."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def lee_corpus() -> Path:
    """gensim's bundled Lee background corpus (always installed with gensim)."""
    from gensim.test.utils import datapath

    return Path(datapath("lee_background.cor"))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models run faster on one thread (and much faster when the shared CPU is busy)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def one_huge_line(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 5.5 MB token file that is one line, and a 0.1 MB file of short lines of the same phrases.

    Few distinct words and n-grams, so what a command keeps grows only if it holds the raw text.
    """
    import random

    rng = random.Random(0)
    words = [f"w{i}" for i in range(300)]
    phrases = [" ".join(rng.choice(words) for _ in range(8)) for _ in range(60)]
    folder = tmp_path_factory.mktemp("huge")
    big, small = folder / "big.txt", folder / "small.txt"
    big.write_text(" ".join(rng.choice(phrases) for _ in range(150_000)) + "\n", encoding="utf-8")
    small.write_text("".join(" ".join(rng.choice(phrases) for _ in range(3)) + "\n" for _ in range(1000)),
                     encoding="utf-8")
    return small, big

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

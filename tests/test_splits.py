"""Rolling-origin splits never leak the future."""

from __future__ import annotations

import pytest

from embedkit.errors import ConfigError
from embedkit.training.splits import rolling_origin_splits


@pytest.mark.parametrize("window", ["expanding", "sliding"])
@pytest.mark.parametrize("initial,horizon,step,gap", [(5, 1, 1, 0), (3, 4, 2, 1), (10, 3, None, 2)])
def test_no_future_leak(window: str, initial: int, horizon: int, step: int | None, gap: int) -> None:
    folds = list(rolling_origin_splits(30, initial, horizon, step, window, gap))
    assert folds
    for train, test in folds:
        assert max(train) < min(test) and min(test) - max(train) == gap + 1
        assert len(test) == horizon and max(test) < 30
        assert len(train) == initial if window == "sliding" else train.start == 0
    origins = [test.start for _, test in folds]
    assert origins == sorted(origins)


def test_a_series_too_short_for_one_fold_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        list(rolling_origin_splits(3, initial=3, horizon=1))

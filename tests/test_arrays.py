"""dedup.arrays.distinct against np.unique (the reference it replaces)."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.arrays import distinct


@pytest.mark.parametrize("dtype", [np.int64, np.uint64, np.int32, np.uint32, np.uint8, np.bool_])
@pytest.mark.parametrize("seed", range(6))
def test_distinct_equals_np_unique(dtype, seed):
    rng = np.random.default_rng(seed)
    for shape in [(0,), (1,), (2,), (int(rng.integers(3, 3000)),), (int(rng.integers(1, 40)), 7), (0, 5)]:
        high = int(rng.choice([2, 50, 10**6]))
        values = rng.integers(0, high, shape).astype(dtype)
        got, want = distinct(values), np.unique(values)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)

"""LSH banding: which pairs of signatures are worth verifying.

Bands and rows come from the threshold exactly as datasketch's ``MinHashLSH``
chooses them (its own ``_optimal_param``, equal weights on false positives and
negatives). Two documents are candidates when all ``rows`` values of at least
one band are equal, which is exactly the rule of ``MinHashLSH``; instead of a
dict of buckets per band we sort each band's rows with numpy and read the runs
of equal rows, which is faster and far smaller in memory.
``tests/test_lsh.py`` checks the pairs against ``MinHashLSH`` itself.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit


#: Gauss-Legendre nodes for the false positive/negative integrals: the
#: integrands are smooth on [0, 1], and 256 nodes agree with scipy's adaptive
#: ``quad`` (which datasketch calls) far below the gaps between the errors
#: being compared (tests/test_lsh.py checks the chosen parameters).
_GAUSS_NODES = 256


@functools.lru_cache(maxsize=1)
def _gauss_legendre() -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(_GAUSS_NODES)


def _integral(f, lo: float, hi: float) -> np.ndarray:
    x, w = _gauss_legendre()
    s = (hi - lo) / 2 * x + (hi + lo) / 2
    return (hi - lo) / 2 * (f(s[:, None]) * w[:, None]).sum(axis=0)


@functools.lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` for a Jaccard threshold, as datasketch chooses them:
    the pair minimizing false positive + false negative probability (equal
    weights) over every ``bands * rows <= num_perm``, first minimum in
    datasketch's loop order. Computed here with numpy rather than by calling
    datasketch's ``_optimal_param``, whose scipy import alone made a small
    scan's start-up ~0.3 s slower."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)], dtype=np.float64)
    b, r = pairs[:, 0], pairs[:, 1]
    fp = _integral(lambda s: 1 - (1 - s**r) ** b, 0.0, threshold)
    fn = _integral(lambda s: (1 - s**r) ** b, threshold, 1.0)
    best = int(np.argmin(0.5 * fp + 0.5 * fn))
    return int(b[best]), int(r[best])


@njit(cache=True)
def _pairs_from_runs(order, run_starts, run_ends):
    total = 0
    for g in range(run_starts.size):
        size = run_ends[g] - run_starts[g]
        total += size * (size - 1) // 2
    left = np.empty(total, dtype=np.int64)
    right = np.empty(total, dtype=np.int64)
    p = 0
    for g in range(run_starts.size):
        for x in range(run_starts[g], run_ends[g]):
            for y in range(x + 1, run_ends[g]):
                i, j = order[x], order[y]
                if i > j:
                    i, j = j, i
                left[p] = i
                right[p] = j
                p += 1
    return left, right


def band_runs(band: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort the rows of one band; return ``(order, run_starts, run_ends)``
    for every run of two or more equal rows."""
    order = np.lexsort(band.T[::-1])
    ordered = band[order]
    differs = np.any(ordered[1:] != ordered[:-1], axis=1)
    bounds = np.concatenate(([0], np.flatnonzero(differs) + 1, [len(order)]))
    starts, ends = bounds[:-1], bounds[1:]
    keep = ends - starts >= 2
    return order, starts[keep], ends[keep]


def candidate_pairs(signatures: np.ndarray, bands: int, rows: int, ids: np.ndarray | None = None) -> np.ndarray:
    """All pairs ``(i, j)``, ``i < j``, that share at least one band.

    ``ids`` maps rows of ``signatures`` to document numbers (default: the row
    numbers). Returns an ``(m, 2)`` int64 array sorted by ``(i, j)``.
    """
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} hash values, have {signatures.shape[1]}")
    if ids is None:
        ids = np.arange(signatures.shape[0], dtype=np.int64)
    n = int(ids.max()) + 1 if ids.size else 0
    keys = []
    for band in range(bands):
        if signatures.shape[0] < 2:
            break
        order, starts, ends = band_runs(signatures[:, band * rows : (band + 1) * rows])
        left, right = _pairs_from_runs(ids[order], starts, ends)
        keys.append(left * n + right)
    if not keys:
        return np.empty((0, 2), dtype=np.int64)
    unique = np.unique(np.concatenate(keys))
    return np.stack([unique // n, unique % n], axis=1) if n else np.empty((0, 2), dtype=np.int64)

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

from .arrays import distinct
from .codepoints import kernel, sized

#: Gauss-Legendre nodes for the false positive/negative integrals: the
#: integrands are smooth on [0, 1], and 256 nodes agree with scipy's adaptive
#: ``quad`` (which datasketch calls) far below the gaps between the errors
#: being compared (tests/test_lsh.py checks the chosen parameters).
_GAUSS_NODES = 256


@functools.lru_cache(maxsize=1)
def _gauss_legendre(n: int = _GAUSS_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights on [-1, 1], by Newton's method on the Legendre
    recurrence (as in Numerical Recipes' ``gauleg``). numpy's ``leggauss``
    solves a 256 x 256 eigenproblem instead, which cost 15-160 ms of every
    scan's start (BLAS thread start-up); this takes a few milliseconds and
    agrees with it to 1e-14 (tests/test_lsh.py)."""
    x = np.cos(np.pi * (np.arange(1, n + 1) - 0.25) / (n + 0.5))
    for _ in range(100):
        p0, p1 = np.ones_like(x), x.copy()
        for k in range(2, n + 1):
            p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
        slope = n * (x * p1 - p0) / (x * x - 1)
        step = p1 / slope
        x = x - step
        if np.abs(step).max() < 1e-15:
            break
    p0, p1 = np.ones_like(x), x.copy()
    for k in range(2, n + 1):
        p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
    slope = n * (x * p1 - p0) / (x * x - 1)
    return x[::-1].copy(), (2 / ((1 - x * x) * slope * slope))[::-1].copy()


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


@kernel()
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
        left, right = sized(_pairs_from_runs, len(order))(ids[order], starts, ends)
        keys.append(left * n + right)
    if not keys:
        return np.empty((0, 2), dtype=np.int64)
    unique = distinct(np.concatenate(keys))
    return np.stack([unique // n, unique % n], axis=1) if n else np.empty((0, 2), dtype=np.int64)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(0x100000001B3)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(n, bands)`` int64 keys in ``[0, 2^63)``: band number and the band's
    values hashed together (FNV-style multiply-xor, then MurmurHash3 fmix64).

    Equal bands give equal keys, so grouping by key finds every pair
    ``MinHashLSH`` would (plus, with probability ~2^-63 a pair, a spurious one
    that exact verification rejects). 63 bits because SQLite integers are
    signed (the index stores these keys)."""
    n = signatures.shape[0]
    sig = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    with np.errstate(over="ignore"):
        h = np.repeat(((np.arange(bands, dtype=np.uint64) + np.uint64(1)) * _GOLDEN)[None, :], n, axis=0)
        for r in range(rows):
            h ^= sig[:, :, r]
            h *= _PRIME
        h ^= h >> _S33
        h *= _M1
        h ^= h >> _S33
        h *= _M2
        h ^= h >> _S33
    return (h >> np.uint64(1)).astype(np.int64)


@kernel()
def _packed_runs(packed, low_bits):
    """Runs of equal high bits in sorted ``packed`` (key << low_bits | item):
    the items of every run of two or more, and the runs' bounds in them."""
    mask = (np.uint64(1) << np.uint64(low_bits)) - np.uint64(1)
    shift = np.uint64(low_bits)
    n = packed.size
    total = 0
    runs = 0
    s = 0
    while s < n:
        e = s + 1
        while e < n and (packed[e] >> shift) == (packed[s] >> shift):
            e += 1
        if e - s >= 2:
            total += e - s
            runs += 1
        s = e
    items = np.empty(total, dtype=np.int64)
    bounds = np.zeros(runs + 1, dtype=np.int64)
    p = 0
    r = 0
    s = 0
    while s < n:
        e = s + 1
        while e < n and (packed[e] >> shift) == (packed[s] >> shift):
            e += 1
        if e - s >= 2:
            for t in range(s, e):
                items[p] = np.int64(packed[t] & mask)
                p += 1
            r += 1
            bounds[r] = p
        s = e
    return items, bounds


def key_runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group items ``0..n-1`` by ``keys`` (one band's key per item):
    ``(items, bounds)``, where ``items[bounds[r]:bounds[r+1]]`` are the items
    (ascending) of the ``r``-th key shared by two or more items.

    Key and item number are packed in one uint64 and sorted (numpy's
    vectorized sort; no argsort, no second array), so a band of 15 million
    window keys groups in about a second. Keys are truncated to the bits the
    item number leaves; a truncation collision only adds a pair that the
    candidate filter and exact verification judge like any other."""
    n = len(keys)
    low_bits = max(1, int(n - 1).bit_length()) if n else 1
    packed = (keys.astype(np.uint64) << np.uint64(low_bits)) | np.arange(n, dtype=np.uint64)
    packed.sort()
    return sized(_packed_runs, n)(packed, low_bits)


@kernel()
def _owner_pairs(items, bounds, owner, keep):
    """Pairs ``(owner[x], owner[y])``, smaller first, of kept items ``x, y``
    in one run with different owners (repeats possible)."""
    total = 0
    for r in range(bounds.size - 1):
        k = 0
        for t in range(bounds[r], bounds[r + 1]):
            if keep[items[t]]:
                k += 1
        total += k * (k - 1) // 2
    left = np.empty(total, dtype=np.int64)
    right = np.empty(total, dtype=np.int64)
    p = 0
    for r in range(bounds.size - 1):
        for x in range(bounds[r], bounds[r + 1]):
            if not keep[items[x]]:
                continue
            for y in range(x + 1, bounds[r + 1]):
                if not keep[items[y]]:
                    continue
                i, j = owner[items[x]], owner[items[y]]
                if i == j:
                    continue
                if i > j:
                    i, j = j, i
                left[p] = i
                right[p] = j
                p += 1
    return left[:p], right[:p]


def run_pairs(items: np.ndarray, bounds: np.ndarray, owner: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """``(m, 2)`` owner pairs ``(i, j)``, ``i < j``, of the kept items that
    share a run of :func:`key_runs` (not de-duplicated)."""
    if keep is None:
        keep = np.ones(len(owner), dtype=np.bool_)
    left, right = sized(_owner_pairs, len(items))(items, bounds, owner, keep)
    return np.stack([left, right], axis=1)


@kernel()
def _crowded(items, bounds, owner, limit, keep):
    for r in range(bounds.size - 1):
        s, e = bounds[r], bounds[r + 1]
        if e - s <= limit:
            continue
        distinct = 1
        for t in range(s + 1, e):
            if owner[items[t]] != owner[items[t - 1]]:
                distinct += 1
        if distinct > limit:
            for t in range(s, e):
                keep[items[t]] = False


def drop_crowded(runs: list[tuple[np.ndarray, np.ndarray]], owner: np.ndarray, limit: int) -> np.ndarray:
    """Mask of the items none of whose runs holds more than ``limit``
    distinct owners (``owner`` ascending with the item number, as windows
    are numbered in document order): a window shared by that many documents
    is boilerplate (a footer, a dateline), and would pair all of them."""
    keep = np.ones(len(owner), dtype=np.bool_)
    for items, bounds in runs:
        sized(_crowded, len(items))(items, bounds, owner, limit, keep)
    return keep

"""Batches of texts as one array of code points, normalized by a compiled loop.

The hashing core reads code points, not Python strings, so a batch of texts is
encoded once (one UTF-32 encode of the joined texts) and stays an array from
normalization to signature. :func:`normalize_encoded` applies the
normalization of :mod:`dedup.normalize` (NFKC, the per-character rule, space
collapsing) in one compiled pass over the batch, NFKC included for nearly
every text (:class:`dedup.normalize.Tables`): at ~2,700 characters an
article that is ~10x faster than ``str.translate`` with a dict, and it spares
CPython's NFKC the texts with harakat or presentation forms, which made
normalization, not hashing, the cost of signing raw text. Its output equals
:func:`dedup.normalize.normalize_reference` text for text (tested on real and
adversarial texts).

The compiled functions are :func:`kernel` s: numba is imported and they are
loaded from its cache on the first call, not on import, and batches small
enough to cost less than that take the reference path while it has not
happened (:func:`use_reference`).
"""

from __future__ import annotations

import atexit
import functools
import gc
import sys
from collections.abc import Callable

import numpy as np

from .normalize import OTHER, REMOVED, nfkc, normalize, tables

#: Batches of fewer code points than this take the reference path
#: (:func:`use_reference`) while numba is not loaded: ~75 articles. Measured
#: on the development machine: 94k code points (37 generated articles)
#: normalized, signed, windowed and their windows signed in ~0.14 s, against
#: ~0.45 s for importing numba and loading the first kernel.
SMALL_BATCH = 200_000

#: Kernels not handed to numba yet: ``(module namespace, function, options)``.
_PENDING: list[tuple[dict, Callable, dict]] = []
_LOADED: list[bool] = []
#: Set while :func:`run_python` runs a kernel: pending kernels run as Python.
_PYTHON = 0


def kernel(**options) -> Callable[[Callable], Callable]:
    """Compile the decorated function with numba (``njit(cache=True,
    **options)``) when a kernel is first called, not on import.

    Importing numba and loading the first function from its cache cost
    ~0.45 s a process, which a scan of a few documents need not pay (see
    :func:`use_reference`). On the first call of any kernel every pending
    kernel is compiled (or loaded from numba's cache) and replaces its name
    in its module, so kernels calling kernels see compiled functions. The
    Python function stays available as ``.py_func`` (see :func:`run_python`)."""

    def wrap(func: Callable) -> Callable:
        namespace = func.__globals__
        _PENDING.append((namespace, func, options))

        @functools.wraps(func)
        def first_call(*args):
            if _PYTHON:
                return func(*args)
            _load_kernels()
            return namespace[func.__name__](*args)

        first_call.py_func = func
        return first_call

    return wrap


def _load_kernels() -> None:
    from numba import njit

    if _PENDING and not _LOADED:
        _LOADED.append(True)
        # Once numba and LLVM are loaded, the interpreter's last garbage
        # collections at exit walk their many objects: ~0.15 s of a small
        # scan's wall time. Nothing of ours needs them (files are closed and
        # flushed explicitly), so exit with the collector frozen.
        atexit.register(gc.freeze)
    while _PENDING:
        namespace, func, options = _PENDING.pop()
        namespace[func.__name__] = njit(cache=True, **options)(func)


def run_python(compiled: Callable, *args):
    """Run a kernel as plain Python, the kernels it calls too (no numba
    import): the same code, for inputs too small to be worth loading it."""
    global _PYTHON
    _PYTHON += 1
    try:
        return compiled.py_func(*args)
    finally:
        _PYTHON -= 1


#: Below this many items (signatures, pairs, window keys) a kernel of
#: ``dedup.lsh`` or ``dedup.verify`` runs as Python while numba is not loaded
#: (:func:`sized`); a Python loop over that many takes tens of milliseconds,
#: loading numba ~0.45 s.
SMALL_ITEMS = 50_000


def sized(compiled: Callable, items: int) -> Callable:
    """``compiled`` (a :func:`kernel`), or the same kernel run as Python when
    its input has fewer than :data:`SMALL_ITEMS` items and numba is not
    loaded: after a small batch took the reference path (:func:`use_reference`)
    the rest of a small scan need not load numba either."""
    if items < SMALL_ITEMS and use_reference(0):
        return functools.partial(run_python, compiled)
    return compiled


def kernels_loaded() -> bool:
    """Whether numba is imported (by anyone) or a kernel was called."""
    return "numba" in sys.modules


def use_reference(size: int) -> bool:
    """Whether a batch of ``size`` code points should skip the compiled
    kernels: it is small and numba is not loaded yet, so the reference code
    (Python, numpy; equal output, tests/test_small_path.py) costs less than
    loading them."""
    return size < SMALL_BATCH and not kernels_loaded()

_SPACE = 0x20
_BMP = 0x10000
_REMOVED = REMOVED
_OTHER = OTHER


def encode(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate texts into one uint32 code point array plus offsets
    (``cps[offsets[i]:offsets[i+1]]`` is text ``i``)."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    return cps, offsets


def decode(cps: np.ndarray, offsets: np.ndarray) -> list[str]:
    """The texts of an encoded batch."""
    data = cps.tobytes()
    return [data[4 * lo : 4 * hi].decode("utf-32-le") for lo, hi in zip(offsets[:-1].tolist(), offsets[1:].tolist())]


@kernel(inline="always")
def _emit(out, pos, pending, start, x):
    """Write code point ``x`` of the current doc (which starts at ``start``)
    at ``out[pos]``, collapsing spaces: a space only marks one as pending,
    written before the next character and never at the doc's start or end.
    Returns the new ``(pos, pending)``."""
    if x == _SPACE:
        return pos, pos > start
    if pending:
        out[pos] = _SPACE
        pos += 1
    out[pos] = x
    return pos + 1, False


@kernel()
def _normalize_batch(cps, offsets, table, exp_off, exp_cps):
    """Table lookup (a code point, removed, or a short expansion) and space
    collapsing, doc by doc; a doc holding a code point the table marks
    OTHER, or one outside the BMP, is left empty and flagged.

    Room: a code point writes at most one more than it reads (a pending
    space), after a space that wrote nothing, so ``out`` only has to grow
    for expansions; before each one it is made large enough for the
    expansion and all the input left."""
    n = offsets.size - 1
    out = np.empty(cps.size + 1, dtype=np.uint32)
    out_off = np.zeros(n + 1, dtype=np.int64)
    other = np.zeros(n, dtype=np.bool_)
    pos = 0
    for d in range(n):
        start = pos
        pending = False
        for t in range(offsets[d], offsets[d + 1]):
            cp = cps[t]
            if cp >= _BMP:
                other[d] = True
                break
            m = table[cp]
            if m >= 0:
                pos, pending = _emit(out, pos, pending, start, m)
                continue
            if m == _REMOVED:
                continue
            if m == _OTHER:
                other[d] = True
                break
            lo, hi = exp_off[-3 - m], exp_off[-2 - m]
            need = pos + (hi - lo) + 1 + (cps.size - t)
            if need > out.size:
                grown = np.empty(max(need, 2 * out.size), dtype=np.uint32)
                grown[:pos] = out[:pos]
                out = grown
            for j in range(lo, hi):
                pos, pending = _emit(out, pos, pending, start, exp_cps[j])
        if other[d]:
            pos = start
        out_off[d + 1] = pos
    return out[:pos], out_off, other


def _splice(out: np.ndarray, out_off: np.ndarray, docs: list[int], parts: tuple[np.ndarray, np.ndarray]):
    """The batch ``(out, out_off)``, where docs ``docs`` (ascending) are
    empty, with those docs replaced by the encoded texts ``parts``."""
    cps, offsets = parts
    lengths = np.diff(out_off)
    lengths[docs] = np.diff(offsets)
    new_off = np.zeros_like(out_off)
    np.cumsum(lengths, out=new_off[1:])
    pieces = []
    done = 0  # out[:done] is placed
    for i, d in enumerate(docs):
        pieces += [out[done : out_off[d]], cps[offsets[i] : offsets[i + 1]]]
        done = out_off[d]
    pieces.append(out[done:])
    return np.concatenate(pieces), new_off


def normalize_encoded(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Normalize raw texts straight into an encoded batch.

    Equal to ``encode([normalize(t) for t in texts])``. One compiled pass
    does NFKC and the rules at once where NFKC may go character by character
    (:attr:`dedup.normalize.Tables.raw`: every text here but those holding a
    mark that composes, e.g. a decomposed أ or é). Those take CPython's NFKC
    and a second pass with the rules alone; the rare texts with characters
    outside the BMP (emoji) take :func:`dedup.normalize.normalize`, so the
    tables stay 64k entries.
    """
    if use_reference(sum(map(len, texts))):
        return encode([normalize(t) for t in texts])
    tab = tables()
    out, out_off, other = _normalize_batch(*encode(texts), tab.raw, tab.exp_off, tab.exp_cps)
    if not other.any():
        return out, out_off
    docs = np.flatnonzero(other).tolist()
    redo = [texts[d] for d in docs]
    cps, offsets, astral = _normalize_batch(*encode([nfkc(t) for t in redo]), tab.mapped, tab.exp_off, tab.exp_cps)
    if astral.any():
        fixed = decode(cps, offsets)
        for d in np.flatnonzero(astral).tolist():
            fixed[d] = normalize(redo[d])
        cps, offsets = encode(fixed)
    return _splice(out, out_off, docs, (cps, offsets))


def normalize_many(texts: list[str]) -> list[str]:
    """:func:`dedup.normalize.normalize` of each text, batch-compiled."""
    return decode(*normalize_encoded(texts))


@kernel()
def _word_bounds(cps, lo, hi, starts, ends):
    """Word start and end positions of normalized text ``cps[lo:hi]`` (words
    are separated by single spaces); returns the number of words."""
    if hi == lo:
        return 0
    nw = 0
    starts[0] = lo
    for t in range(lo, hi):
        if cps[t] == _SPACE:
            ends[nw] = t
            nw += 1
            starts[nw] = t + 1
    ends[nw] = hi
    return nw + 1


@kernel()
def _window_plan(nw, size, stride, first):
    """First word of each window, as :func:`dedup.passages._window_starts`;
    written to ``first``, returns how many."""
    if nw == 0:
        return 0
    if nw <= size:
        first[0] = 0
        return 1
    c = 0
    for s in range(0, nw - size + 1, stride):
        first[c] = s
        c += 1
    if first[c - 1] + size < nw:
        first[c] = nw - size
        c += 1
    return c


@kernel()
def _windows(cps, offsets, size, stride, min_chars):
    n = offsets.size - 1
    longest = 1
    for d in range(n):
        longest = max(longest, offsets[d + 1] - offsets[d] + 1)
    starts = np.empty(longest, dtype=np.int64)
    ends = np.empty(longest, dtype=np.int64)
    first = np.empty(longest + 1, dtype=np.int64)
    # pass 1: how many windows and code points
    count = 0
    total = 0
    for d in range(n):
        nw = _word_bounds(cps, offsets[d], offsets[d + 1], starts, ends)
        for w in range(_window_plan(nw, size, stride, first)):
            length = ends[min(first[w] + size, nw) - 1] - starts[first[w]]
            if length >= min_chars:
                count += 1
                total += length
    out = np.empty(total, dtype=np.uint32)
    out_off = np.zeros(count + 1, dtype=np.int64)
    owner = np.empty(count, dtype=np.int64)
    c = 0
    pos = 0
    for d in range(n):
        nw = _word_bounds(cps, offsets[d], offsets[d + 1], starts, ends)
        for w in range(_window_plan(nw, size, stride, first)):
            lo, hi = starts[first[w]], ends[min(first[w] + size, nw) - 1]
            if hi - lo >= min_chars:
                out[pos : pos + hi - lo] = cps[lo:hi]
                pos += hi - lo
                owner[c] = d
                c += 1
                out_off[c] = pos
    return out, out_off, owner


def word_windows(
    cps: np.ndarray, offsets: np.ndarray, size: int, stride: int, min_chars: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word windows of an encoded batch of normalized texts, encoded in turn:
    ``(cps, offsets, owner)``, window ``w`` belonging to text ``owner[w]``.

    The same windows as :func:`dedup.passages.windows` (``size`` words every
    ``stride`` words, a last one over the tail), without a Python string per
    window: a scan of a million articles cuts ~15 million of them. Windows
    shorter than ``min_chars`` code points are left out (too short to
    shingle)."""
    if size < 1 or stride < 1:
        raise ValueError(f"window size and stride must be >= 1 word, got {size} and {stride}")
    if use_reference(cps.size):  # the same code, run by Python (a few ms a document)
        return run_python(_windows, cps, offsets, size, stride, min_chars)
    return _windows(cps, offsets, size, stride, min_chars)

"""The hashing core: normalized texts -> shingle hash sets -> MinHash signatures.

Every command runs this for every document, so it is compiled (numba) and works
on a whole batch at once: the texts are one array of code points (see
:mod:`dedup.codepoints`) and one call hashes every shingle and computes every
signature. No Python code runs per shingle.

Two products, because they cost differently: signatures alone
(:func:`sign_encoded`, ~30 µs for a 2,700-character article: the 128
permutations run as vector instructions over each shingle hash), and
signatures plus each document's sorted set of 64-bit shingle hashes
(:func:`hash_encoded`, :func:`hash_documents`) for exact verification, which
adds a radix sort (~6x faster than a comparison sort at these sizes). A scan
of millions of documents keeps only signatures and recomputes sets for the
documents in candidate pairs.

Small batches in a process that has not loaded numba yet (a scan of a few
files) take a reference path instead, which costs less than loading the
compiled functions (~0.45 s): numpy, with datasketch's own ``affine32``
arithmetic (:func:`dedup.codepoints.use_reference`; equal output,
``tests/test_small_path.py``).

Signatures equal datasketch's ``MinHash(num_perm, seed, scheme="affine32",
hashfunc=dedup.shingle.shingle_hash32)`` updated with the document's shingles,
bit for bit: the same permutation parameters (drawn exactly as datasketch draws
them), the same MurmurHash3 fmix32 pre-mix, the same ``a*h + b mod 2^32``
(computed in 32-bit lanes: the low 32 bits of a product depend only on the low
32 bits of its factors). ``tests/test_minhash.py`` checks this on hundreds of
real Arabic documents.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .arrays import distinct
from .codepoints import encode, kernel, use_reference
from .shingle import ShingleKind, shingle_hash64, shingles

__all__ = ["EMPTY", "HashedDocs", "encode", "hash_documents", "hash_encoded", "permutations", "sign_encoded"]

_U32 = np.uint64(0xFFFFFFFF)
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_M64_1 = np.uint64(0xFF51AFD7ED558CCD)
_M64_2 = np.uint64(0xC4CEB9FE1A85EC53)
_M32_1 = np.uint64(0x85EBCA6B)
_M32_2 = np.uint64(0xC2B2AE35)
_S33 = np.uint64(33)
_S16 = np.uint64(16)
_S13 = np.uint64(13)
_S8 = np.uint64(8)
_BYTE = np.uint64(0xFF)
_SPACE = np.uint32(0x20)

#: The "empty" value of a signature slot, as in datasketch.
EMPTY = np.uint32(0xFFFFFFFF)


@functools.lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine32 permutation parameters ``(a, b)``, drawn as datasketch does.

    Cached (read-only arrays): drawing them costs ~0.25 ms, which a screened
    story would otherwise pay on every signature."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b


@kernel(inline="always")
def _fnv_fmix64(cps, start, end):
    h = _FNV_OFFSET
    for t in range(start, end):
        h ^= np.uint64(cps[t])
        h *= _FNV_PRIME
    h ^= h >> _S33
    h *= _M64_1
    h ^= h >> _S33
    h *= _M64_2
    h ^= h >> _S33
    return h


@kernel(inline="always")
def _fmix32(x):
    x ^= x >> _S16
    x = (x * _M32_1) & _U32
    x ^= x >> _S13
    x = (x * _M32_2) & _U32
    x ^= x >> _S16
    return x


@kernel()
def _fill_shingles(cps, lo, hi, k, word_mode, out, starts, ends):
    """Write the doc's shingle hashes (with repeats) to ``out``; return the count."""
    if not word_mode:
        m = hi - lo - k + 1
        for s in range(m):
            out[s] = _fnv_fmix64(cps, lo + s, lo + s + k)
        return max(0, m)
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
    nw += 1
    m = nw - k + 1
    for s in range(m):
        out[s] = _fnv_fmix64(cps, starts[s], ends[s + k - 1])
    return max(0, m)


@kernel()
def _minhash(hashes, m, a, b, sig):
    """Fold ``hashes[:m]`` into ``sig`` (min of ``a*fmix32(h)+b mod 2^32``).

    32-bit lanes and a branch-free min let LLVM vectorize the permutation
    loop (16 permutations per AVX-512 instruction)."""
    for s in range(m):
        x = np.uint32(_fmix32(hashes[s] & _U32))
        for i in range(a.size):
            sig[i] = min(sig[i], np.uint32(a[i] * x + b[i]))


@kernel()
def _radix_unique(x, m, tmp, count):
    """Sort ``x[:m]`` (LSD radix, 8 passes of 8 bits; the result is back in
    ``x`` after an even number of passes) and de-duplicate it in place;
    return the number of distinct values."""
    src, dst = x, tmp
    for p in range(8):
        shift = np.uint64(8 * p)
        count[:] = 0
        for i in range(m):
            count[(src[i] >> shift) & _BYTE] += 1
        total = 0
        for c in range(256):
            here = count[c]
            count[c] = total
            total += here
        for i in range(m):
            digit = (src[i] >> shift) & _BYTE
            dst[count[digit]] = src[i]
            count[digit] += 1
        src, dst = dst, src
    u = 0
    for s in range(m):
        if s == 0 or x[s] != x[u - 1]:
            x[u] = x[s]
            u += 1
    return u


@kernel()
def _max_doc(doc_off):
    longest = 1
    for d in range(doc_off.size - 1):
        longest = max(longest, doc_off[d + 1] - doc_off[d] + 1)
    return longest


@kernel()
def _count_distinct(hashes, m, table):
    """Distinct values among ``hashes[:m]``: linear probing in ``table``
    (a power of two at least twice ``m``, all zeros on entry and on exit).
    The hashes are fmix64 outputs, so their low bits index well; 0 marks an
    empty slot, and a hash equal to 0 is counted on the side."""
    mask = table.size - 1
    distinct = 0
    zero = False
    for s in range(m):
        h = hashes[s]
        if h == 0:
            zero = True
            continue
        t = np.int64(h & np.uint64(mask))
        while table[t] != 0 and table[t] != h:
            t = (t + 1) & mask
        if table[t] == 0:
            table[t] = h
            distinct += 1
    for s in range(m):
        h = hashes[s]
        if h != 0:
            t = np.int64(h & np.uint64(mask))
            while table[t] != 0:
                table[t] = 0
                t = (t + 1) & mask
    return distinct + (1 if zero else 0)


@kernel()
def _sign_batch(cps, doc_off, k, word_mode, a, b, distinct):
    n = doc_off.size - 1
    longest = _max_doc(doc_off)
    buf = np.empty(longest, dtype=np.uint64)
    starts = np.empty(longest if word_mode else 1, dtype=np.int64)
    ends = np.empty(longest if word_mode else 1, dtype=np.int64)
    size = 1
    while distinct and size < 2 * longest:
        size *= 2
    table = np.zeros(size, dtype=np.uint64)
    sigs = np.full((n, a.size), EMPTY, dtype=np.uint32)
    counts = np.empty(n, dtype=np.int64)
    for d in range(n):
        m = _fill_shingles(cps, doc_off[d], doc_off[d + 1], k, word_mode, buf, starts, ends)
        counts[d] = _count_distinct(buf, m, table) if distinct else m
        _minhash(buf, m, a, b, sigs[d])
    return sigs, counts


@kernel()
def _hash_batch(cps, doc_off, k, word_mode, a, b):
    n = doc_off.size - 1
    longest = _max_doc(doc_off)
    # A doc of L code points has at most L shingles, so this bounds the total.
    flat = np.empty(max(0, doc_off[n] - doc_off[0]) + n, dtype=np.uint64)
    tmp = np.empty(longest, dtype=np.uint64)
    count = np.empty(256, dtype=np.int64)
    starts = np.empty(longest if word_mode else 1, dtype=np.int64)
    ends = np.empty(longest if word_mode else 1, dtype=np.int64)
    out_off = np.zeros(n + 1, dtype=np.int64)
    sigs = np.full((n, a.size), EMPTY, dtype=np.uint32)
    pos = 0
    for d in range(n):
        seg = flat[pos:]
        m = _fill_shingles(cps, doc_off[d], doc_off[d + 1], k, word_mode, seg, starts, ends)
        u = _radix_unique(seg, m, tmp, count)
        _minhash(seg, u, a, b, sigs[d])
        pos += u
        out_off[d + 1] = pos
    return sigs, flat[:pos].copy(), out_off


@dataclass(frozen=True)
class HashedDocs:
    """Signatures and exact shingle sets of a batch of documents.

    ``hashes[offsets[i]:offsets[i+1]]`` is document ``i``'s sorted set of
    64-bit shingle hashes; a document with an empty set was too short to
    shingle and has an all-``EMPTY`` signature.

    A large scan holds the sets of only the documents it verifies: then
    ``sizes`` has every document's set size, ``rows[i]`` is the number of
    document ``i``'s set in ``offsets`` (-1: not held), and ``fill`` shingles
    documents whose sets are asked for later (:meth:`holding`), returning
    their ``(hashes, offsets)``.
    """

    signatures: np.ndarray
    hashes: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray | None = None
    rows: np.ndarray | None = None
    fill: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def set_sizes(self) -> np.ndarray:
        return self.sizes if self.sizes is not None else np.diff(self.offsets)

    def set_rows(self, docs: np.ndarray) -> np.ndarray:
        """Where in ``offsets`` the sets of documents ``docs`` are."""
        if self.rows is None:
            return docs
        rows = self.rows[docs]
        if (rows < 0).any():
            raise KeyError("shingle sets of some documents are not held; call holding() first")
        return rows

    def holding(self, docs: np.ndarray) -> "HashedDocs":
        """These docs, with the sets of documents ``docs`` added if missing
        (computed by ``fill``)."""
        if self.rows is None:
            return self
        missing = docs[self.rows[docs] < 0]
        if len(missing) == 0:
            return self
        if self.fill is None:
            raise KeyError("shingle sets of some documents are not held and cannot be computed")
        hashes, offsets = self.fill(missing)
        rows = self.rows.copy()
        rows[missing] = np.arange(len(self.offsets) - 1, len(self.offsets) - 1 + len(missing))
        if len(self.offsets) > 1:  # add to the sets held (else: no copy)
            hashes = np.concatenate([self.hashes, hashes])
            offsets = np.concatenate([self.offsets, offsets[1:] + self.offsets[-1]])
        return replace(self, hashes=hashes, offsets=offsets, rows=rows)

    def shingle_set(self, i: int) -> np.ndarray:
        r = int(self.set_rows(np.array([i]))[0])
        return self.hashes[self.offsets[r] : self.offsets[r + 1]]


# --- the reference path: numpy, datasketch's own arithmetic ---------------------------------------

#: Shingles per block of the reference MinHash (a block x num_perm matrix).
_BLOCK = 4096


def _reference_hashes(cps: np.ndarray, lo: int, hi: int, k: int, word_mode: bool) -> np.ndarray:
    """The doc's 64-bit shingle hashes (with repeats), as :func:`dedup.shingle.shingle_hash64`
    names them: word shingles through that function itself, character shingles
    with its FNV-1a and fmix64 vectorized over every position."""
    if word_mode:
        text = cps[lo:hi].tobytes().decode("utf-32-le")
        return np.array([shingle_hash64(s) for s in shingles(text, k, "word")], dtype=np.uint64)
    seg = cps[lo:hi].astype(np.uint64)
    m = seg.size - k + 1
    if m <= 0:
        return np.empty(0, dtype=np.uint64)
    h = np.full(m, _FNV_OFFSET, dtype=np.uint64)
    for j in range(k):
        h ^= seg[j : j + m]
        h *= _FNV_PRIME
    for mult in (_M64_1, _M64_2):
        h ^= h >> _S33
        h *= mult
    h ^= h >> _S33
    return h


def _reference_minhash(hashes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """datasketch's ``update_batch`` for ``affine32``: the low 32 bits,
    MurmurHash3's fmix32, ``a*h + b`` in uint32, the minimum per permutation."""
    sig = np.full(a.size, EMPTY, dtype=np.uint32)
    x = (hashes & _U32).astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x85EBCA6B)
    x ^= x >> np.uint32(13)
    x *= np.uint32(0xC2B2AE35)
    x ^= x >> np.uint32(16)
    for start in range(0, x.size, _BLOCK):
        np.minimum(sig, (x[start : start + _BLOCK, None] * a + b).min(axis=0), out=sig)
    return sig


def _reference_batch(cps, doc_off, k, word_mode, a, b) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Signatures, sorted shingle sets and shingle counts (with repeats) of
    every doc, the reference way."""
    n = doc_off.size - 1
    sigs = np.full((n, a.size), EMPTY, dtype=np.uint32)
    sets = []
    counts = np.zeros(n, dtype=np.int64)
    for d in range(n):
        hashes = _reference_hashes(cps, int(doc_off[d]), int(doc_off[d + 1]), k, word_mode)
        if hashes.size:
            sigs[d] = _reference_minhash(hashes, a, b)
        sets.append(distinct(hashes))
        counts[d] = hashes.size
    return sigs, sets, counts


def _check(k: int, kind: str) -> None:
    if k < 1:
        raise ValueError(f"shingle size must be >= 1, got {k}")
    if kind not in ("char", "word"):
        raise ValueError(f"unknown shingle kind {kind!r}; expected 'char' or 'word'")


def hash_encoded(cps: np.ndarray, offsets: np.ndarray, k: int, kind: ShingleKind, num_perm: int, seed: int) -> HashedDocs:
    """Signatures and shingle sets of normalized texts given as code points
    (``cps[offsets[i]:offsets[i+1]]`` is text ``i``)."""
    _check(k, kind)
    a, b = permutations(num_perm, seed)
    if use_reference(cps.size):
        sigs, sets, _ = _reference_batch(cps, offsets, k, kind == "word", a, b)
        set_off = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in sets], out=set_off[1:])
        return HashedDocs(sigs, np.concatenate([np.empty(0, np.uint64), *sets]), set_off)
    return HashedDocs(*_hash_batch(cps, offsets, k, kind == "word", a, b))


def sign_encoded(
    cps: np.ndarray, offsets: np.ndarray, k: int, kind: ShingleKind, num_perm: int, seed: int, distinct: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Signatures only, and each text's number of shingles (0: too short);
    with ``distinct``, the number of distinct shingles (the exact set size).

    Equal to :func:`hash_encoded`'s signatures (MinHash ignores repeats), at
    about half the cost and without the 8 bytes per shingle the sets take.
    ``distinct`` counts through a small hash table instead of sorting, so a
    scan knows every set's size (what the candidate prefilter needs) without
    keeping or sorting any set.
    """
    _check(k, kind)
    a, b = permutations(num_perm, seed)
    if use_reference(cps.size):
        sigs, sets, counts = _reference_batch(cps, offsets, k, kind == "word", a, b)
        return sigs, (np.array([len(s) for s in sets], dtype=np.int64) if distinct else counts)
    return _sign_batch(cps, offsets, k, kind == "word", a, b, distinct)


def hash_documents(normalized: list[str], k: int, kind: ShingleKind, num_perm: int, seed: int) -> HashedDocs:
    """Shingle, hash and sign a batch of normalized texts in one compiled call."""
    return hash_encoded(*encode(normalized), k, kind, num_perm, seed)

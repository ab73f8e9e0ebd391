"""The hashing core: normalized texts -> shingle hash sets -> MinHash signatures.

Every command runs this for every document, so it is compiled (numba) and works
on a whole batch at once: the texts are concatenated into one array of code
points and one call hashes every shingle, sorts and de-duplicates each
document's hashes (kept for exact verification) and computes its signature. No
Python code runs per shingle.

Signatures equal datasketch's ``MinHash(num_perm, seed, scheme="affine32",
hashfunc=dedup.shingle.shingle_hash32)`` updated with the document's shingles,
bit for bit: the same permutation parameters (drawn exactly as datasketch draws
them), the same MurmurHash3 fmix32 pre-mix, the same ``a*h + b mod 2^32``.
``tests/test_minhash.py`` checks this on hundreds of real Arabic documents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .shingle import ShingleKind

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
_SPACE = np.uint32(0x20)

#: The "empty" value of a signature slot, as in datasketch.
EMPTY = np.uint32(0xFFFFFFFF)


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine32 permutation parameters ``(a, b)``, drawn as datasketch does."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def _fmix32(x):
    x ^= x >> _S16
    x = (x * _M32_1) & _U32
    x ^= x >> _S13
    x = (x * _M32_2) & _U32
    x ^= x >> _S16
    return x


@njit(cache=True)
def _count_shingles(cps, lo, hi, k, word_mode):
    n = hi - lo
    if not word_mode:
        return max(0, n - k + 1)
    if n == 0:
        return 0
    words = 1
    for t in range(lo, hi):
        if cps[t] == _SPACE:
            words += 1
    return max(0, words - k + 1)


@njit(cache=True)
def _fill_shingles(cps, lo, hi, k, word_mode, out, pos, starts, ends):
    """Write the doc's shingle hashes to ``out[pos:]``; return the count."""
    if not word_mode:
        m = hi - lo - k + 1
        for s in range(m):
            out[pos + s] = _fnv_fmix64(cps, lo + s, lo + s + k)
        return max(0, m)
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
        out[pos + s] = _fnv_fmix64(cps, starts[s], ends[s + k - 1])
    return max(0, m)


@njit(cache=True)
def _hash_batch(cps, doc_off, k, word_mode, a, b):
    n = doc_off.size - 1
    num_perm = a.size
    counts = np.empty(n, dtype=np.int64)
    max_words = 1
    for d in range(n):
        counts[d] = _count_shingles(cps, doc_off[d], doc_off[d + 1], k, word_mode)
        max_words = max(max_words, doc_off[d + 1] - doc_off[d] + 1)
    total = counts.sum()
    flat = np.empty(total, dtype=np.uint64)
    starts = np.empty(max_words if word_mode else 1, dtype=np.int64)
    ends = np.empty(max_words if word_mode else 1, dtype=np.int64)
    out_off = np.zeros(n + 1, dtype=np.int64)
    sigs = np.full((n, num_perm), EMPTY, dtype=np.uint32)
    a64 = a.astype(np.uint64)
    b64 = b.astype(np.uint64)
    pos = 0
    for d in range(n):
        m = _fill_shingles(cps, doc_off[d], doc_off[d + 1], k, word_mode, flat, pos, starts, ends)
        seg = np.sort(flat[pos : pos + m])
        u = 0
        for s in range(m):
            if s == 0 or seg[s] != seg[s - 1]:
                flat[pos + u] = seg[s]
                u += 1
        sig = sigs[d]
        for s in range(u):
            x = _fmix32(flat[pos + s] & _U32)
            for i in range(num_perm):
                v = (a64[i] * x + b64[i]) & _U32
                if v < sig[i]:
                    sig[i] = v
        pos += u
        out_off[d + 1] = pos
    return sigs, flat[:pos].copy(), out_off


@dataclass(frozen=True)
class HashedDocs:
    """Signatures and exact shingle sets of a batch of documents.

    ``hashes[offsets[i]:offsets[i+1]]`` is document ``i``'s sorted set of
    64-bit shingle hashes; a document with an empty set was too short to
    shingle and has an all-``EMPTY`` signature.
    """

    signatures: np.ndarray
    hashes: np.ndarray
    offsets: np.ndarray

    @property
    def set_sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def shingle_set(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]


def encode(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate texts into one code point array plus document offsets."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    return cps, offsets


def hash_documents(
    normalized: list[str], k: int, kind: ShingleKind, num_perm: int, seed: int
) -> HashedDocs:
    """Shingle, hash and sign a batch of normalized texts in one compiled call."""
    if k < 1:
        raise ValueError(f"shingle size must be >= 1, got {k}")
    if kind not in ("char", "word"):
        raise ValueError(f"unknown shingle kind {kind!r}; expected 'char' or 'word'")
    cps, offsets = encode(normalized)
    a, b = permutations(num_perm, seed)
    sigs, hashes, out_off = _hash_batch(cps, offsets, k, kind == "word", a, b)
    return HashedDocs(sigs, hashes, out_off)

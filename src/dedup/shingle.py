"""Shingles of normalized text and the hash that names each shingle.

A shingle is a substring of the normalized text: ``k`` consecutive characters
(``char`` shingles, the default) or ``k`` consecutive space-separated words
(``word`` shingles). Either way its name is :func:`shingle_hash64` of that
substring, so the fast core (which hashes code points in place, see
:mod:`dedup.minhash`) and this obviously-correct reference agree by
construction and are tested against each other.

The 64-bit hash serves exact verification (two different shingles collide with
probability ~2^-64 per pair, far below anything a Jaccard score can show); its
low 32 bits, :func:`shingle_hash32`, is the ``hashfunc`` datasketch's
``MinHash(scheme="affine32")`` is given, so our signatures equal datasketch's
bit for bit.
"""

from __future__ import annotations

from typing import Literal

ShingleKind = Literal["char", "word"]

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1


def fmix64(h: int) -> int:
    """MurmurHash3's 64-bit finalizer: spreads FNV's weak low bits."""
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK64
    h ^= h >> 33
    return h


def shingle_hash64(shingle: str) -> int:
    """FNV-1a over the shingle's code points, then fmix64."""
    h = FNV_OFFSET
    for ch in shingle:
        h ^= ord(ch)
        h = (h * FNV_PRIME) & MASK64
    return fmix64(h)


def shingle_hash32(shingle: str) -> int:
    """Low 32 bits of :func:`shingle_hash64`: the MinHash input hash."""
    return shingle_hash64(shingle) & 0xFFFFFFFF


def shingles(normalized: str, k: int, kind: ShingleKind = "char") -> list[str]:
    """All shingles of ``normalized`` in order (with repeats).

    A text with fewer than ``k`` characters (or words) has none: it is too
    short to compare and the scan reports it instead of guessing.
    """
    if k < 1:
        raise ValueError(f"shingle size must be >= 1, got {k}")
    if kind == "char":
        return [normalized[i : i + k] for i in range(len(normalized) - k + 1)]
    if kind == "word":
        words = normalized.split(" ") if normalized else []
        return [" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]
    raise ValueError(f"unknown shingle kind {kind!r}; expected 'char' or 'word'")

"""The compiled core against the references: datasketch's MinHash bit for bit,
Python-set shingles and exact Jaccard."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash

from dedup.minhash import hash_documents, permutations
from dedup.normalize import normalize
from dedup.shingle import shingle_hash32, shingle_hash64, shingles
from dedup.verify import estimated_jaccard, jaccard


def _datasketch(text: str, k: int, kind: str, num_perm: int, seed: int) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=shingle_hash32)
    m.update_batch(shingles(text, k, kind))
    return m.hashvalues


def _check(texts: list[str], k: int, kind: str, num_perm: int, seed: int) -> None:
    normalized = [normalize(t) for t in texts]
    ours = hash_documents(normalized, k, kind, num_perm, seed)
    assert ours.signatures.dtype == np.uint32
    for i, text in enumerate(normalized):
        np.testing.assert_array_equal(ours.signatures[i], _datasketch(text, k, kind, num_perm, seed), err_msg=text[:80])
        expected = np.array(sorted({shingle_hash64(s) for s in shingles(text, k, kind)}), dtype=np.uint64)
        np.testing.assert_array_equal(ours.shingle_set(i), expected)


def test_permutations_are_datasketchs():
    a, b = permutations(128, 42)
    ref = MinHash(num_perm=128, seed=42, scheme="affine32").permutations
    np.testing.assert_array_equal(a, ref[0])
    np.testing.assert_array_equal(b, ref[1])


def test_signatures_equal_datasketch_on_seed_paragraphs(seed_paragraphs):
    _check(seed_paragraphs, 5, "char", 128, 1)
    _check(seed_paragraphs, 3, "word", 64, 7)


def test_signatures_equal_datasketch_on_real_news(wirecopy_docs):
    texts = [d.text for d in wirecopy_docs[:400]]
    _check(texts, 5, "char", 128, 1)
    _check(texts[:150], 4, "char", 256, 12345)
    _check(texts[:150], 2, "word", 128, 1)


def test_too_short_and_empty():
    hashed = hash_documents(["", "abc", "abcde", "one two"], 5, "char", 16, 1)
    assert hashed.set_sizes.tolist() == [0, 0, 1, 3]
    assert (hashed.signatures[0] == 0xFFFFFFFF).all()
    words = hash_documents(["", "one", "one two three"], 2, "word", 16, 1)
    assert words.set_sizes.tolist() == [0, 0, 2]


def test_hash_reference_is_not_trivial():
    # Distinct shingles get distinct hashes; the low 32 bits are the MinHash input.
    values = {shingle_hash64(s) for s in ["الكويت", "الكويه", "abcde", "abcdf", " "]}
    assert len(values) == 5
    assert shingle_hash32("abcde") == shingle_hash64("abcde") & 0xFFFFFFFF


def test_exact_jaccard_matches_python_sets(seed_paragraphs):
    texts = [normalize(t) for t in seed_paragraphs[:40]]
    hashed = hash_documents(texts, 5, "char", 128, 1)
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, len(texts), size=(200, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    got = jaccard(hashed, pairs)
    for (i, j), value in zip(pairs, got):
        a, b = set(shingles(texts[i], 5)), set(shingles(texts[j], 5))
        assert value == pytest.approx(len(a & b) / len(a | b), abs=1e-12)
    # the MinHash estimate agrees with datasketch's own jaccard()
    for (i, j), est in zip(pairs[:30], estimated_jaccard(hashed.signatures, pairs[:30])):
        ma = MinHash(num_perm=128, seed=1, scheme="affine32", hashfunc=shingle_hash32)
        mb = MinHash(num_perm=128, seed=1, scheme="affine32", hashfunc=shingle_hash32)
        ma.update_batch(shingles(texts[i], 5))
        mb.update_batch(shingles(texts[j], 5))
        assert est == pytest.approx(ma.jaccard(mb))

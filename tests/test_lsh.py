"""Our numpy banding returns exactly the candidates of datasketch's MinHashLSH."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from dedup.lsh import candidate_pairs, lsh_params
from dedup.minhash import hash_documents
from dedup.normalize import normalize


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("num_perm", [64, 128, 256])
def test_params_are_datasketchs(threshold, num_perm):
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    assert lsh_params(threshold, num_perm) == (lsh.b, lsh.r)


@pytest.mark.parametrize("num_perm", [16, 100, 128])
def test_params_are_datasketchs_on_a_fine_grid(num_perm):
    from datasketch.lsh import _optimal_param

    for step in range(1, 101, 3):
        threshold = step / 100
        assert lsh_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5), threshold


def _datasketch_pairs(signatures: np.ndarray, bands: int, rows: int) -> set[tuple[int, int]]:
    num_perm = signatures.shape[1]
    lsh = MinHashLSH(num_perm=num_perm, params=(bands, rows))
    sketches = [MinHash(num_perm=num_perm, hashvalues=s, scheme="affine32") for s in signatures]
    for i, m in enumerate(sketches):
        lsh.insert(i, m)
    pairs = set()
    for i, m in enumerate(sketches):
        for j in lsh.query(m):
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    return pairs


def _perturbed(texts: list[str], rng: np.random.Generator) -> list[str]:
    out = list(texts)
    for t in texts:
        words = t.split()
        for _ in range(2):
            w = list(words)
            for _ in range(max(1, len(w) // 10)):
                w[rng.integers(len(w))] = "كلمة"
            out.append(" ".join(w))
    return out


def _check(texts: list[str], threshold: float) -> None:
    hashed = hash_documents([normalize(t) for t in texts], 5, "char", 128, 1)
    bands, rows = lsh_params(threshold, 128)
    ours = {tuple(p) for p in candidate_pairs(hashed.signatures, bands, rows).tolist()}
    assert ours == _datasketch_pairs(hashed.signatures, bands, rows)
    return ours


def test_candidates_equal_minhashlsh_seeds(seed_paragraphs):
    texts = _perturbed(seed_paragraphs, np.random.default_rng(1))
    found = _check(texts, 0.5)
    assert len(found) > len(seed_paragraphs)  # the perturbed copies are found


def test_candidates_equal_minhashlsh_real(wirecopy_docs):
    texts = [d.text for d in wirecopy_docs[:2500]]
    for threshold in (0.3, 0.5, 0.8):
        _check(texts, threshold)


def test_ids_mapping_and_edge_cases():
    sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4], [5, 5, 5, 5]], dtype=np.uint32)
    pairs = candidate_pairs(sigs, 2, 2, ids=np.array([10, 11, 12, 13]))
    assert pairs.tolist() == [[10, 11], [10, 12]]
    assert candidate_pairs(sigs[:1], 2, 2).shape == (0, 2)
    with pytest.raises(ValueError):
        candidate_pairs(sigs, 3, 2)


def test_gauss_legendre_nodes_equal_numpys():
    from dedup.lsh import _gauss_legendre

    for n in (5, 64, 256):
        x, w = _gauss_legendre.__wrapped__(n)
        want_x, want_w = np.polynomial.legendre.leggauss(n)
        np.testing.assert_allclose(x, want_x, rtol=0, atol=1e-14)
        np.testing.assert_allclose(w, want_w, rtol=0, atol=1e-14)

"""The two-pass scan that scales to a million documents finds what the
one-pass scan found: the same candidates that can be duplicates, the same
set sizes, the same windows, the same clusters, with texts read back from a
spool file and exact sets computed only for candidate documents."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

from conftest import NATURAL, WIRECOPY, need, read_jsonl_docs
from dedup.codepoints import decode, normalize_encoded, word_windows
from dedup.inputs import Document
from dedup.lsh import candidate_pairs, drop_crowded, key_runs, run_pairs
from dedup.minhash import hash_encoded, sign_encoded
from dedup.normalize import normalize
from dedup.passages import PartialConfig, _not_boilerplate, window_candidates, windows
from dedup.scan import ScanConfig, _first_pass, candidates, cluster_signed, collect, scan, sign
from dedup.spool import SpooledDocuments
from dedup.verdict import overlap
from dedup.verify import PREFILTER_MARGIN, intersection_sizes, jaccard, plausible


def _texts(seed_paragraphs: list[str]) -> list[str]:
    rng = random.Random(3)
    out = ["", "a", "abcd", "abcde", "x x x x x x", "كلمة " * 50, "🙂 نص مع رمز تعبيري " * 3]
    for _ in range(150):
        out.append(" ".join(rng.sample(seed_paragraphs, rng.randint(1, 6))))
    return out


@pytest.mark.parametrize("k,kind", [(5, "char"), (1, "char"), (3, "word"), (1, "word")])
def test_distinct_counts_are_exact_set_sizes(seed_paragraphs, k, kind):
    cps, offsets = normalize_encoded(_texts(seed_paragraphs))
    sigs, sizes = sign_encoded(cps, offsets, k, kind, 64, 1, distinct=True)
    hashed = hash_encoded(cps, offsets, k, kind, 64, 1)
    np.testing.assert_array_equal(sizes, hashed.set_sizes)
    np.testing.assert_array_equal(sigs, hashed.signatures)
    # and without ``distinct`` the counts still include repeats
    _, counts = sign_encoded(cps, offsets, k, kind, 64, 1)
    assert (counts >= sizes).all() and (counts > sizes).any()


@pytest.mark.parametrize("size,stride", [(30, 30), (30, 10), (3, 2), (1, 1), (200, 7)])
def test_word_windows_equal_the_passage_windows(seed_paragraphs, size, stride):
    texts = _texts(seed_paragraphs)
    cps, offsets = normalize_encoded(texts)
    wcps, woffsets, owner = word_windows(cps, offsets, size, stride, 5)
    expected = [(d, w) for d, t in enumerate(texts) for w in windows(normalize(t), size, stride) if len(w) >= 5]
    assert decode(wcps, woffsets) == [w for _, w in expected]
    assert owner.tolist() == [d for d, _ in expected]


def test_key_runs_and_pairs_against_brute_force():
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 40, 300).astype(np.int64)
    owner = np.sort(rng.integers(0, 120, 300))
    items, bounds = key_runs(keys)
    runs = [items[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:])]
    expected = sorted(sorted(np.flatnonzero(keys == k).tolist()) for k in set(keys.tolist()) if (keys == k).sum() >= 2)
    assert sorted(runs) == expected
    keep = rng.random(300) < 0.8
    got = {tuple(p) for p in run_pairs(items, bounds, owner, keep).tolist()}
    brute = {
        (min(owner[x], owner[y]), max(owner[x], owner[y]))
        for x in range(300)
        for y in range(x + 1, 300)
        if keys[x] == keys[y] and keep[x] and keep[y] and owner[x] != owner[y]
    }
    assert got == {(int(a), int(b)) for a, b in brute}


def test_crowded_windows_as_the_passage_index_drops_them():
    rng = np.random.default_rng(9)
    n = 400
    sigs = rng.integers(0, 3, (n, 8)).astype(np.uint32)  # few distinct values: crowded buckets
    owner = np.sort(rng.integers(0, 150, n))
    from dedup.lsh import band_keys

    keys = band_keys(sigs, 4, 2)
    runs = [key_runs(keys[:, b]) for b in range(4)]
    for limit in (3, 10, 20):
        np.testing.assert_array_equal(drop_crowded(runs, owner, limit), _not_boilerplate(sigs, owner, 4, 2, limit))


def test_plausible_against_the_formula():
    rng = np.random.default_rng(2)
    sigs = rng.integers(0, 4, (60, 128)).astype(np.uint32)
    sizes = rng.integers(0, 3000, 60)
    pairs = np.array([(i, j) for i in range(60) for j in range(i + 1, 60)], dtype=np.int64)
    got = plausible(sigs, sizes, pairs, 0.5, 0.75)
    for (i, j), g in zip(pairs.tolist(), got.tolist()):
        est = float((sigs[i] == sigs[j]).mean())
        a, b = int(sizes[i]), int(sizes[j])
        implied = est * (a + b) / ((1 + est) * min(a, b)) if min(a, b) else 0.0
        assert g == (est >= 0.5 - PREFILTER_MARGIN or implied >= 0.75 - PREFILTER_MARGIN)
    assert got.any() and not got.all()


def _one_pass_candidates(docs: list[Document], hashed, config: ScanConfig) -> np.ndarray:
    """The candidates of the one-pass scan (before the prefilter existed):
    document LSH on full signatures plus the passage window index."""
    valid = np.flatnonzero(hashed.set_sizes > 0)
    doc = candidate_pairs(hashed.signatures[valid], *config.bands_rows, ids=valid)
    w = config.containment_windows
    found = window_candidates([normalize(d.text) for d in docs], PartialConfig(window_words=w, stride_words=w))
    sizes = hashed.set_sizes
    found = found[(sizes[found[:, 0]] > 0) & (sizes[found[:, 1]] > 0)]
    return np.unique(np.concatenate([doc, found]), axis=0)


@pytest.mark.parametrize("which", ["wirecopy", "natural"])
def test_prefilter_keeps_every_pair_the_verdict_gate_passes(which):
    """On the evaluation sets, every one-pass candidate whose EXACT Jaccard or
    containment passes the verdict's gate (down to a reworded copy's floor)
    is still a candidate after the signature prefilter, and nothing new
    appears."""
    path = need(WIRECOPY / "docs.jsonl") if which == "wirecopy" else need(NATURAL / "docs.jsonl")
    docs = read_jsonl_docs(path)
    config = ScanConfig()
    hashed = sign([d.text for d in docs], config)
    old = _one_pass_candidates(docs, hashed, config)
    signatures, sizes, keys, owner = _first_pass(docs, config, None, 1)
    np.testing.assert_array_equal(signatures, hashed.signatures)
    np.testing.assert_array_equal(sizes, hashed.set_sizes)
    new, collisions = candidates(signatures, sizes, keys, owner, config)
    assert collisions >= len(old)
    inter = intersection_sizes(hashed, old)
    gate = np.array(
        [
            (lambda j, c: j >= config.verdict.floor or max(c) >= config.containment)(*overlap(x, sizes[a], sizes[b]))
            for (a, b), x in zip(old.tolist(), inter.tolist())
        ]
    )
    old_set = {tuple(p) for p in old.tolist()}
    new_set = {tuple(p) for p in new.tolist()}
    assert new_set <= old_set
    assert {tuple(p) for p in old[gate].tolist()} <= new_set
    assert len(new) < len(old)  # the prefilter does drop pairs


def test_two_pass_scan_equals_sweep_path_and_holds_only_candidate_sets(seed_paragraphs):
    rng = random.Random(11)
    stories = [" ".join(rng.sample(seed_paragraphs, 4)) for _ in range(40)]
    copies = [s.replace("،", "") + " تحديث" for s in stories[:8]]
    truncated = [s[: len(s) * 2 // 3] for s in stories[8:12]]
    docs = [Document(f"d{n}", t, f"mem:{n}") for n, t in enumerate(stories + copies + truncated + ["قصير"])]
    config = ScanConfig()
    two_pass = scan(docs, config)
    sweep = cluster_signed(docs, sign([d.text for d in docs], config), config)
    assert [c.cluster.members for c in two_pass.clusters] == [c.cluster.members for c in sweep.clusters]
    assert [c.similarities for c in two_pass.clusters] == [c.similarities for c in sweep.clusters]
    assert two_pass.pairs.tolist() == sweep.pairs.tolist() and len(two_pass.clusters) >= 8
    assert two_pass.stats == sweep.stats
    # exact sets were computed for the candidate documents only ...
    held = two_pass.hashed.rows >= 0
    assert set(np.flatnonzero(held).tolist()) == set(np.unique(two_pass.candidates).tolist())
    assert held.sum() < len(docs)
    # ... and any other pair is still measured exactly on request
    other = np.array([[0, 1], [2, 30], [5, 47]], dtype=np.int64)
    np.testing.assert_array_equal(jaccard(two_pass.hashed, other), jaccard(sweep.hashed, other))


def test_spooled_documents_round_trip_and_fork(tmp_path):
    docs = [
        Document("a", "نص عربي أول", "x:1"),
        Document("b", "🙂 emoji and \u0000-free text \u200f", "x:2"),
        Document("c", "x" * 70000, "x:3"),
        Document("d", "آخر", "x:4"),
    ]
    spooled, problems = collect(iter(docs))
    assert problems == [] and isinstance(spooled, SpooledDocuments)
    assert list(spooled) == docs and spooled[1] == docs[1] and spooled[-1] == docs[-1] and spooled[1:3] == docs[1:3]
    assert spooled.texts(0, 4) == [d.text for d in docs]
    with pytest.raises(IndexError):
        spooled[4]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a forked worker reads the same spool (pread: no shared offset)
        os.write(write, spooled.text(2)[:5].encode() + spooled.text(0).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1000).decode() == "xxxxx" + docs[0].text
    assert spooled.text(3) == docs[3].text


def test_spooled_scan_equals_list_scan_with_jobs(wirecopy_docs):
    docs = wirecopy_docs[:1200]
    spooled, _ = collect(iter(docs))
    listed = scan(docs, ScanConfig())
    forked = scan(spooled, ScanConfig(), jobs=2)
    assert [c.cluster.members for c in listed.clusters] == [c.cluster.members for c in forked.clusters]
    assert listed.pairs.tolist() == forked.pairs.tolist() and len(listed.clusters) > 10

"""The vectorized offset map equals the reference loop (text, starts, ends),
and the vectorized containment equals the one on sets of shingle strings."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

import dedup.normalize as normalize_mod
from dedup.evidence import containment, containment_reference, pair_evidence
from dedup.normalize import (
    OTHER,
    _astral_raw,
    _composers,
    _maybe_composer,
    normalize_reference,
    normalize_with_offsets,
    normalize_with_offsets_reference,
)

from conftest import WIRECOPY, need


def assert_same_map(text: str) -> None:
    fast, ref = normalize_with_offsets(text), normalize_with_offsets_reference(text)
    assert fast.text == ref.text, repr(text)
    assert fast.start.dtype == ref.start.dtype == np.int64 and fast.end.dtype == ref.end.dtype == np.int64
    assert fast.start.shape == ref.start.shape and fast.end.shape == ref.end.shape, repr(text)
    assert np.array_equal(fast.start, ref.start), repr(text)
    assert np.array_equal(fast.end, ref.end), repr(text)


#: Pieces adversarial texts are made of: (weight, code point ranges).
POOLS: list[tuple[int, list[tuple[int, int]]]] = [
    (30, [(0x0621, 0x064A)]),  # Arabic letters
    (10, [(0x064B, 0x065F), (0x0670, 0x0670), (0x0610, 0x061A), (0x06D6, 0x06ED)]),  # harakat, Quranic marks
    (4, [(0x0640, 0x0640)]),  # tatweel
    (6, [(0xFB50, 0xFDFF)]),  # presentation forms A
    (6, [(0xFE70, 0xFEFF)]),  # presentation forms B
    (3, [(0xFDF2, 0xFDF2), (0xFEF5, 0xFEFC)]),  # ﷲ and the lam-alef ligatures
    (4, [(0x200B, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069), (0x061C, 0x061C), (0xFEFF, 0xFEFF), (0x00AD, 0x00AD)]),
    (10, [(0x0020, 0x0020), (0x00A0, 0x00A0), (0x0009, 0x000A), (0x3000, 0x3000), (0x2028, 0x2029)]),  # spaces
    (5, [(0x0021, 0x002F), (0x060C, 0x060C), (0x061B, 0x061F), (0x00AB, 0x00BB), (0x2010, 0x2027)]),  # punctuation
    (4, [(0x0660, 0x0669), (0x06F0, 0x06F9), (0x0030, 0x0039)]),  # digits
    (3, [(0x06A9, 0x06A9), (0x06CC, 0x06CC), (0x0671, 0x06D3), (0x0750, 0x077F)]),  # Persian, extended
    (6, [(0x0041, 0x005A), (0x0061, 0x007A), (0x00C0, 0x00FF), (0x0130, 0x0131), (0xFB00, 0xFB06)]),  # Latin
    (3, [(0x1F300, 0x1F64F), (0x1F900, 0x1F9FF)]),  # emoji
    (2, [(0x1D400, 0x1D7FF), (0x10400, 0x1044F), (0x1D15E, 0x1D164)]),  # astral letters, expansions
    (1, [(0x2460, 0x24FF), (0x3300, 0x33FF), (0xFF01, 0xFF5E), (0x00BC, 0x00BE)]),  # NFKC expansions
]
#: Characters whose NFKC depends on their neighbours (the reference path).
COMPOSING = [(0x0300, 0x036F), (0x0653, 0x0655), (0x1100, 0x1112), (0x1161, 0x1175), (0x11A8, 0x11C2), (0x1D165, 0x1D172), (0x0CD5, 0x0CD6), (0x0F71, 0x0F81)]


def adversarial(rng: random.Random, n: int, composing: float) -> str:
    weights = [w for w, _ in POOLS]
    out = []
    for _ in range(n):
        ranges = COMPOSING if rng.random() < composing else rng.choices(POOLS, weights)[0][1]
        lo, hi = rng.choice(ranges)
        out.append(chr(rng.randint(lo, hi)))
        if rng.random() < 0.05:
            out.append(out[-1] * rng.randint(1, 3))  # runs (spaces, tatweel, marks)
    return "".join(out)


def test_fast_map_equals_reference_wirecopy():
    path = need(WIRECOPY / "docs.jsonl")
    n = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            assert_same_map(json.loads(line)["text"])
            n += 1
    assert n > 1000


def test_fast_map_equals_reference_seeds(seed_texts):
    assert seed_texts
    for text in seed_texts:
        assert_same_map(text)
        for line in text.splitlines():
            assert_same_map(line)


def test_fast_map_equals_reference_adversarial(monkeypatch):
    calls = []

    def counted(text):
        calls.append(text)
        return normalize_with_offsets_reference(text)

    monkeypatch.setattr(normalize_mod, "normalize_with_offsets_reference", counted)
    rng = random.Random(11)
    total = composed = 0
    for composing in (0.0, 0.002, 0.02, 0.1, 0.4):
        for _ in range(1500):
            text = adversarial(rng, rng.randint(0, 80), composing)
            composed += any(lo <= ord(ch) <= hi for ch in text for lo, hi in COMPOSING)
            assert_same_map(text)
            total += 1
    # texts with composing characters take the cluster path, and the reference
    # only when jamo compose across clusters (or the like)
    assert composed > 0.3 * total
    assert 0 < len(calls) < 0.1 * total


def test_fast_map_composing_clusters():
    """Composing marks and jamo next to the tabled characters, one by one."""
    rng = random.Random(4)
    hard = ["\u0301", "\u0654", "\u0653", "\u0655", "\u1161", "\u11a8", "\u1100", "\u0f73", "\u0f71", "\U0001d165", "\u0cd5", "\u3099"]
    easy = ["ا", "و", "ي", "\u064e", "\u0651", "\u0640", " ", "e", "\ufdf2", "\ufefb", "\u200f", "가", "\u0cc6", "か", "\U0001d158", "😀"]
    pool = hard + easy
    for n in range(1, 5):
        for _ in range(3000 if n > 2 else 500):
            assert_same_map("".join(rng.choice(pool) for _ in range(n)))
    for a in hard + easy:
        for b in hard + easy:
            assert_same_map(a + b)
            assert_same_map("ب" + a + b + " ت")


def test_fast_map_edge_cases():
    for text in [
        "", " ", "   ", "\u00a0", "\u064e", "\u064e\u064e ب", "ب\u064e", "\u0640\u0640", "\u200f", " ب ", "ب  ت",
        "\ufdf2", "\ufdf2\u064e", " \ufdf2 ", "\ufefb\u0651", "\ufc5e", "\ufc5e\ufc5e ب", "a\u0301", "\u0301a",
        "😀", " 😀 ب", "𝐀𝐁", "\U0001d15e\u064e", "ب\U0001d165", "\u1100\u1161", "ﷺ", "ﷺ ﷻ", "\u3000\u3000x",
        "\ud800", "ب\udc00ت", "İ", "ﬁ", "①", "x\n\n\ty", "\u00bd",
    ]:
        assert_same_map(text)
        assert normalize_with_offsets(text).text == normalize_reference(text)


def test_astral_rule_agrees_with_the_raw_table_reasoning():
    """Every code point composing with the one before it is one
    :func:`_maybe_composer` catches, so astral characters need no scan."""
    composers = _composers()
    assert all(_maybe_composer(chr(cp)) for cp in composers)
    rng = random.Random(5)
    for cp in [0x1F600, 0x1D400, 0x10400, 0x1D15E] + [rng.randint(0x10000, 0x10FFFF) for _ in range(300)]:
        value, expansion = _astral_raw(cp)
        if value == OTHER:
            continue
        out = normalize_reference(chr(cp))  # one character: no spaces to collapse unless it maps to one
        got = expansion if value == -3 else ("" if value < 0 else chr(value))
        assert got.strip(" ") == out


def test_containment_equals_string_sets(seed_paragraphs):
    rng = random.Random(2)
    texts = [normalize_with_offsets(p).text for p in seed_paragraphs[:40]]
    texts += ["", "ab", "abcde", "ابتثج ابتثج", " ".join(chr(0x4E00 + i) for i in range(600))]
    texts += [normalize_with_offsets(adversarial(rng, rng.randint(0, 200), 0.01)).text for _ in range(60)]
    for _ in range(400):
        a, b = rng.choice(texts), rng.choice(texts)
        if rng.random() < 0.5 and len(a) > 10:
            b = a[rng.randint(0, len(a) // 2) :] + " " + b  # overlapping
        for k in (1, 2, 3, 5, 7, 9):
            assert containment(a, b, k) == containment_reference(a, b, k), (a, b, k)
    with pytest.raises(ValueError):
        containment("abc", "abc", 0)


def test_pair_evidence_same_with_reference_maps(wirecopy_docs):
    """The evidence object does not depend on which offset map made it."""
    truth = json.loads(need(WIRECOPY / "truth.json").read_text())
    by_id = {doc.id: doc.text for doc in wirecopy_docs}
    for cluster in truth["clusters"][:60]:
        a, b = by_id[cluster[0]], by_id[cluster[1]]
        ref_maps = (normalize_with_offsets_reference(a), normalize_with_offsets_reference(b))
        expected = pair_evidence(a, b, maps=ref_maps)
        assert pair_evidence(a, b) == expected
        ca, cb = containment_reference(ref_maps[0].text, ref_maps[1].text, 5)
        assert expected["containment"] == [round(ca, 6), round(cb, 6)]


def test_map_text_equals_the_compiled_batch(seed_texts):
    """A screened story's candidates are judged and hashed on
    ``normalize_with_offsets(t).text`` (dedup.index ``_verified``), the
    stories themselves on the compiled batch (``normalize_encoded``): the
    two agree on every text, seeds and adversarial ones (composing marks,
    astral characters, runs of spaces and tatweel)."""
    from dedup.codepoints import SMALL_BATCH, decode, normalize_encoded

    rng = random.Random(12)
    texts = list(seed_texts) + [line for t in seed_texts for line in t.splitlines()]
    texts += [adversarial(rng, rng.randint(0, 160), composing) for composing in (0.0, 0.02, 0.4) for _ in range(1500)]
    assert sum(map(len, texts)) >= SMALL_BATCH  # the compiled kernels, not the small batch's reference path
    cps, offsets = normalize_encoded(texts)
    assert decode(cps, offsets) == [normalize_with_offsets(t).text for t in texts]

"""Pair evidence: passages in original offsets round-trip through
normalization, are merged into maximal runs, and containment matches the
compiled shingle sets."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dedup.evidence import EvidenceConfig, chain_runs, exact_runs, find_passages, pair_evidence, Words
from dedup.minhash import hash_documents
from dedup.normalize import normalize
from dedup.verify import intersection_sizes

HARAKAT = "\u064e\u064f\u0650\u0651\u0652\u064b\u064c\u064d"
BIDI = ["\u200f", "\u200e", "\u061c", "\u202b", "\u202c", "\u2067", "\u2069", "\u200b", "\ufeff"]
#: isolated presentation forms (as pasted from PDFs); NFKC maps them back
PRESENTATION = {"ب": "\ufe8f", "ت": "\ufe95", "م": "\ufee1", "ن": "\ufee5", "ع": "\ufec9", "ه": "\ufee9"}


def noisy(text: str, rng: random.Random) -> str:
    """Re-type ``text`` the way copies differ: harakat, tatweel, presentation
    forms, the lam-alef ligature, ﷲ, bidi and zero-width marks between words."""
    text = text.replace("الله", "\ufdf2")
    out = []
    for ch in text:
        if ch == " " and rng.random() < 0.3:
            out.append(" " + rng.choice(BIDI))
            continue
        if ch in PRESENTATION and rng.random() < 0.3:
            ch = PRESENTATION[ch]
        out.append(ch)
        if "\u0621" <= ch <= "\u064a":
            r = rng.random()
            if r < 0.25:
                out.append(rng.choice(HARAKAT))
            elif r < 0.3:
                out.append("\u0640" * rng.randint(1, 3))
    return "".join(out).replace("لا", "\ufefb", 2)


def check_round_trip(text_a: str, text_b: str, evidence: dict) -> None:
    na, nb = normalize(text_a), normalize(text_b)
    for p in evidence["passages"]:
        (sa, ea), (sb, eb) = p["a"], p["b"]
        assert 0 <= sa < ea <= len(text_a) and 0 <= sb < eb <= len(text_b)
        assert p["text"] == text_a[sa:ea]
        piece_a, piece_b = normalize(text_a[sa:ea]), normalize(text_b[sb:eb])
        # the original substrings normalize to whole words of the normalized texts
        assert piece_a and f" {piece_a} " in f" {na} "
        assert piece_b and f" {piece_b} " in f" {nb} "
        if p["similarity"] == 1.0:
            assert piece_a == piece_b


@pytest.fixture(scope="module")
def stories(seed_paragraphs) -> list[str]:
    long_ = [p for p in seed_paragraphs if len(p) >= 250]
    assert len(long_) >= 12
    return long_


def test_offsets_round_trip_on_noisy_texts(stories):
    rng = random.Random(5)
    checked = 0
    for n in range(8):
        shared = stories[n] + "\n" + stories[n + 1]
        text_a = noisy(stories[(n + 5) % len(stories)] + "\n" + shared, rng)
        text_b = noisy(shared + "\n" + stories[(n + 9) % len(stories)], rng)
        ev = pair_evidence(text_a, text_b)
        check_round_trip(text_a, text_b, ev)
        checked += len(ev["passages"])
        # the shared text is found as one passage covering it
        longest = max(ev["passages"], key=lambda p: p["a"][1] - p["a"][0])
        assert normalize(longest["text"]) == normalize(shared)
        assert longest["similarity"] == 1.0
    assert checked >= 8


def test_noise_really_is_in_the_texts(stories):
    """The round-trip test above means something only if the noise is there."""
    text = noisy(stories[0] + " الله", random.Random(1))
    assert any(c in text for c in HARAKAT) and "\u0640" in text and "\ufdf2" in text
    assert any(c in text for c in PRESENTATION.values()) and any(b in text for b in BIDI)
    assert normalize(text) == normalize(stories[0] + " الله")


def test_embedded_passage_is_located(stories):
    """A wire paragraph pasted into the middle of another story: its span in
    the host is reported, in original offsets, to the character."""
    source = stories[2] + "\n" + stories[3]
    before, after = stories[6] + "\n", "\n" + stories[7]
    host = before + stories[3] + after
    ev = pair_evidence(host, source)
    assert len(ev["passages"]) == 1
    p = ev["passages"][0]
    lead, word_part = letters_span(stories[3])
    assert p["a"] == [len(before) + lead, len(before) + word_part]
    start = len(stories[2]) + 1
    assert p["b"] == [start + lead, start + word_part]


def letters_span(text: str) -> tuple[int, int]:
    """``text`` without leading/trailing punctuation and spaces: passages are
    word spans, so a final full stop is not part of one."""
    s, e = 0, len(text)
    while s < e and not normalize(text[s]).strip():
        s += 1
    while e > s and not normalize(text[e - 1]).strip():
        e -= 1
    return s, e


def test_swapped_paragraphs_give_one_passage_each(stories):
    a = "\n".join(stories[0:3])
    b = "\n".join([stories[2], stories[0], stories[1]])
    ev = pair_evidence(a, b)
    found = sorted(normalize(p["text"]) for p in ev["passages"])
    assert found == sorted([normalize(stories[0] + " " + stories[1]), normalize(stories[2])])


def test_edited_copy_is_one_maximal_run(stories):
    """Words replaced every 12 words: one passage (gap tolerance), not a
    fragment per edit; without gap tolerance it falls apart."""
    text = " ".join(stories[4:7])
    words = text.split(" ")
    edited = " ".join("كلمة" if i % 12 == 6 else w for i, w in enumerate(words))
    ev = pair_evidence(text, edited)
    assert len(ev["passages"]) == 1
    assert 0.85 < ev["passages"][0]["similarity"] < 1.0
    check_round_trip(text, edited, ev)
    strict = pair_evidence(text, edited, EvidenceConfig(gap_words=0, min_length=1))
    assert len(strict["passages"]) > 5


def test_unrelated_texts_share_no_passage(stories):
    ev = pair_evidence(stories[0], stories[10])
    assert ev["passages"] == []
    assert max(ev["containment"]) < 0.3


def test_containment_matches_compiled_shingle_sets(stories):
    rng = random.Random(2)
    for n in range(6):
        a = stories[n] + " " + stories[n + 1]
        b = noisy(stories[n + 1] + " " + stories[n + 3], rng)
        hashed = hash_documents([normalize(a), normalize(b)], 5, "char", 16, 1)
        inter = int(intersection_sizes(hashed, np.array([[0, 1]]))[0])
        size_a, size_b = hashed.set_sizes.tolist()
        got = pair_evidence(a, b)["containment"]
        assert got == [round(inter / size_a, 6), round(inter / size_b, 6)]


def test_exact_runs_against_brute_force():
    """Every seed position (3 equal consecutive words) lies inside a run, and
    every run is made of equal words."""
    rng = random.Random(3)
    vocab = "في من الى علي ان قال وزير الخارجيه الرياض اليوم مجلس الامن".split()
    for _ in range(30):
        la = [rng.choice(vocab) for _ in range(rng.randint(5, 60))]
        lb = [rng.choice(vocab) for _ in range(rng.randint(5, 60))]
        wa, wb = Words.of(" ".join(la)), Words.of(" ".join(lb))
        runs = exact_runs(wa, wb, 3)
        for a0, a1, b0, b1 in runs:
            assert la[a0:a1] == lb[b0:b1]
        from collections import Counter

        counts = Counter(tuple(lb[j : j + 3]) for j in range(len(lb) - 2))
        for i in range(len(la) - 2):
            for j in range(len(lb) - 2):
                if la[i : i + 3] == lb[j : j + 3] and counts[tuple(la[i : i + 3])] <= 8:
                    assert any(a0 <= i and i + 3 <= a1 and b0 - a0 == j - i for a0, a1, b0, b1 in runs)


def test_chain_runs_joins_only_nearby_runs():
    runs = [(0, 10, 100, 110), (12, 20, 112, 120), (40, 50, 140, 150), (52, 60, 5, 13)]
    assert chain_runs(runs, 3) == [(0, 20, 100, 120), (40, 50, 140, 150), (52, 60, 5, 13)]
    assert chain_runs(runs, 0) == sorted(runs)


def test_evidence_is_deterministic(stories):
    a, b = stories[1] + stories[2], stories[2] + stories[8]
    assert pair_evidence(a, b) == pair_evidence(a, b)
    assert [p.a_words for p, _, _ in find_passages(normalize(a), normalize(b))] == [
        p.a_words for p, _, _ in find_passages(normalize(a), normalize(b))
    ]

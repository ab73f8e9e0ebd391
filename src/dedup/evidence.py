"""Why two documents match: containment both ways and the shared passages.

A score says *how much* two stories share; an editor needs to see *what*.
For a pair of documents this module finds the passages they share, merged
into maximal runs, and reports them as spans of each document's ORIGINAL text
(Python ``str`` offsets), so a tool can highlight them in the text it holds.

How (all on normalized text, see :mod:`dedup.normalize`):

1. Seeds: every run of ``seed_words`` consecutive words of ``a`` that also
   occurs in ``b``. Seeds on the same diagonal (word ``i`` of ``a`` against
   word ``j`` of ``b``, then ``i+1`` against ``j+1`` ...) are one exact run.
   Seeds are order-free, so swapped paragraphs and a wire story pasted into
   the middle of a longer article are found wherever they sit.
2. Chains: exact runs that follow each other in both texts with at most
   ``gap_words`` words between them on either side become one passage. This
   is what turns the dozens of exact fragments of an edited copy (a word
   replaced here, a number changed there) into one passage per stretch of
   shared text, instead of hundreds of tiny fragments.
3. Alignment: each passage's two word sequences are aligned with rapidfuzz
   (Levenshtein opcodes on words); the passage is trimmed to its first and
   last aligned word and its ``similarity`` is the share of aligned words.
4. Offsets: the normalized span is widened so that it never cuts the
   expansion of one original character (``OffsetMap.snap``) and mapped back
   with ``OffsetMap.original_span``.

Defaults (README, "Evidence and partial duplicates"): ``seed_words=3``,
``gap_words=8``, ``min_length=40`` normalized characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import distinct
from .normalize import OffsetMap, normalize_with_offsets
from .shingle import shingles

#: A seed word n-gram occurring more often than this in ``b`` is a stock
#: phrase (or a repeated line); seeding on it would link unrelated places.
MAX_SEED_OCCURRENCES = 8


@dataclass(frozen=True)
class EvidenceConfig:
    """Parameters of the passage search (defaults measured, see README)."""

    #: words per seed; 3 keeps stock two-word phrases from seeding passages
    seed_words: int = 3
    #: words allowed between two exact runs of one passage, on either side
    gap_words: int = 8
    #: passages shorter than this (normalized characters, in a) are dropped
    min_length: int = 40
    #: shingle size of the containment figures (the scan's default)
    shingle_size: int = 5


@dataclass(frozen=True)
class Passage:
    """One shared passage: word spans in both normalized texts."""

    a_words: tuple[int, int]
    b_words: tuple[int, int]
    #: share of the passage's words aligned by rapidfuzz (1.0: exact copy)
    similarity: float


@dataclass(frozen=True)
class Words:
    """The words of a normalized text and their character spans."""

    text: str
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, normalized: str) -> "Words":
        if not normalized:
            return cls(normalized, np.empty(0, np.int64), np.empty(0, np.int64))
        spaces = np.flatnonzero(np.frombuffer(normalized.encode("utf-32-le"), dtype=np.uint32) == 0x20)
        starts = np.concatenate(([0], spaces + 1)).astype(np.int64)
        ends = np.concatenate((spaces, [len(normalized)])).astype(np.int64)
        return cls(normalized, starts, ends)

    def __len__(self) -> int:
        return len(self.starts)

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Character span of words ``[i, j)``."""
        return int(self.starts[i]), int(self.ends[j - 1])

    def words(self, i: int, j: int) -> list[str]:
        s, e = self.span(i, j)
        return self.text[s:e].split(" ")


def _gram_keys(text: str, n: int) -> np.ndarray:
    """One 64-bit key per run of ``n`` consecutive words (equal runs, equal
    keys; distinct runs collide with negligible probability). Python's str
    hash is salted per process, which is harmless: keys are only compared
    within one call."""
    words = text.split(" ") if text else []
    if len(words) < n:
        return np.empty(0, dtype=np.int64)
    h = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
    key = np.zeros(len(words) - n + 1, dtype=np.int64)
    for t in range(n):
        key = key * np.int64(0x100000001B3) + h[t : len(h) - n + 1 + t]  # wraps mod 2^64
    return key


def exact_runs(wa: Words, wb: Words, seed_words: int) -> list[tuple[int, int, int, int]]:
    """Maximal runs of equal words ``(a0, a1, b0, b1)`` grown from seeds.

    A seed is word ``i`` of ``a`` and word ``j`` of ``b`` opening the same
    ``seed_words`` words; seeds ``(i, j)``, ``(i+1, j+1)``, ... are one run.
    Vectorized: sorting the keys replaces a dictionary per pair.
    """
    n = seed_words
    ka, kb = _gram_keys(wa.text, n), _gram_keys(wb.text, n)
    if len(ka) == 0 or len(kb) == 0:
        return []
    order = np.argsort(kb, kind="stable")
    sorted_b = kb[order]
    lo, hi = np.searchsorted(sorted_b, ka, "left"), np.searchsorted(sorted_b, ka, "right")
    count = hi - lo
    count[count > MAX_SEED_OCCURRENCES] = 0  # stock phrases seed nothing
    if not count.any():
        return []
    i = np.repeat(np.arange(len(ka), dtype=np.int64), count)
    first = np.repeat(lo, count)
    within = np.arange(len(i), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    j = order[first + within]
    diag = j - i
    by = np.lexsort((i, diag))
    i, diag = i[by], diag[by]
    breaks = np.flatnonzero((np.diff(diag) != 0) | (np.diff(i) != 1)) + 1
    run_start = np.concatenate(([0], breaks))
    run_end = np.concatenate((breaks, [len(i)])) - 1
    a0, a1, d = i[run_start], i[run_end] + n, diag[run_start]
    return sorted(zip(a0.tolist(), a1.tolist(), (a0 + d).tolist(), (a1 + d).tolist()))


def chain_runs(runs: list[tuple[int, int, int, int]], gap: int) -> list[tuple[int, int, int, int]]:
    """Join runs that follow each other in both texts with at most ``gap``
    words between them into maximal passages ``(a0, a1, b0, b1)``.

    Greedy over runs in ``a`` order: a run extends the chain whose end is
    nearest before it in both texts, else starts a chain.
    """
    chains: list[list[int]] = []
    active: list[list[int]] = []  # chains a later run may still extend
    for a0, a1, b0, b1 in runs:
        active = [c for c in active if a0 - c[1] <= gap]
        best, best_gap = None, None
        for chain in active:
            ga, gb = a0 - chain[1], b0 - chain[3]
            # a little overlap is fine: runs of one repeated phrase touch
            if -gap <= ga <= gap and -gap <= gb <= gap and a1 > chain[1] and b1 > chain[3]:
                g = max(ga, gb)
                if best_gap is None or g < best_gap:
                    best, best_gap = chain, g
        if best is None:
            chains.append([a0, a1, b0, b1])
            active.append(chains[-1])
        else:
            best[1], best[3] = max(best[1], a1), max(best[3], b1)
    # a chain may now contain another one (a repeated phrase seeding twice)
    chains.sort(key=lambda c: (c[0], -c[1]))
    out: list[tuple[int, int, int, int]] = []
    for c in chains:
        if out and c[0] >= out[-1][0] and c[1] <= out[-1][1] and c[2] >= out[-1][2] and c[3] <= out[-1][3]:
            continue
        out.append(tuple(c))  # type: ignore[arg-type]
    return out


def align_passage(wa: Words, wb: Words, chain: tuple[int, int, int, int]) -> Passage | None:
    """Align one chain's words with rapidfuzz; trim it to its aligned ends."""
    from rapidfuzz.distance import Levenshtein

    a0, a1, b0, b1 = chain
    xa, xb = wa.words(a0, a1), wb.words(b0, b1)
    equal = [op for op in Levenshtein.opcodes(xa, xb) if op.tag == "equal"]
    if not equal:
        return None
    aligned = sum(op.src_end - op.src_start for op in equal)
    ta0, ta1 = a0 + equal[0].src_start, a0 + equal[-1].src_end
    tb0, tb1 = b0 + equal[0].dest_start, b0 + equal[-1].dest_end
    similarity = 2.0 * aligned / ((ta1 - ta0) + (tb1 - tb0))
    return Passage((ta0, ta1), (tb0, tb1), similarity)


def find_passages(norm_a: str, norm_b: str, cfg: EvidenceConfig = EvidenceConfig()) -> list[tuple[Passage, Words, Words]]:
    """Shared passages of two normalized texts, in ``a`` order."""
    wa, wb = Words.of(norm_a), Words.of(norm_b)
    chains = chain_runs(exact_runs(wa, wb, cfg.seed_words), cfg.gap_words)
    out = []
    for chain in chains:
        passage = align_passage(wa, wb, chain)
        if passage is None:
            continue
        s, e = wa.span(*passage.a_words)
        if e - s >= cfg.min_length:
            out.append(passage)
    out.sort(key=lambda p: (p.a_words, p.b_words))
    return [(p, wa, wb) for p in out]


def longest(found: list[tuple[Passage, Words, Words]]) -> int:
    """Normalized characters (in ``a``) of the longest passage found."""
    return max((wa.span(*p.a_words)[1] - wa.span(*p.a_words)[0] for p, wa, _ in found), default=0)


def original_span(om: OffsetMap, words: Words, span: tuple[int, int]) -> tuple[int, int]:
    """Word span of normalized text -> ``[start, end)`` of the original text."""
    i, j = om.snap(*words.span(*span))
    return om.original_span(i, j)


def containment(norm_a: str, norm_b: str, k: int) -> tuple[float, float]:
    """(share of a's shingles found in b, share of b's found in a).

    The sets of character ``k``-shingles, each shingle an integer: its code
    points (or, past about U+1840 for ``k=5``, its characters numbered in
    the two texts' alphabet) read as ``k`` digits in that base. Exact, no
    hashing: equal to comparing the shingle strings
    (:func:`containment_reference`); alphabets too large for 63 bits take
    the reference.
    """
    if k < 1:
        return containment_reference(norm_a, norm_b, k)
    ca = np.frombuffer(norm_a.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cb = np.frombuffer(norm_b.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ids = np.concatenate((ca, cb)).astype(np.int64)
    base = int(ids.max()) + 1 if len(ids) else 1
    if base**k >= 2**63:  # not Arabic or Latin text: number the characters used
        alphabet, ids = np.unique(ids, return_inverse=True)
        ids, base = ids.reshape(-1), len(alphabet)
        if base**k >= 2**63:
            return containment_reference(norm_a, norm_b, k)

    def keys(x: np.ndarray) -> np.ndarray:
        if len(x) < k:
            return np.empty(0, dtype=np.int64)
        key = np.zeros(len(x) - k + 1, dtype=np.int64)
        for t in range(k):
            key = key * base + x[t : len(x) - k + 1 + t]
        return distinct(key)

    sa, sb = keys(ids[: len(ca)]), keys(ids[len(ca) :])
    inter = len(np.intersect1d(sa, sb, assume_unique=True))
    return (inter / len(sa) if len(sa) else 0.0, inter / len(sb) if len(sb) else 0.0)


def containment_reference(norm_a: str, norm_b: str, k: int) -> tuple[float, float]:
    """:func:`containment` on sets of shingle strings (the specification)."""
    sa, sb = set(shingles(norm_a, k)), set(shingles(norm_b, k))
    inter = len(sa & sb)
    return (inter / len(sa) if sa else 0.0, inter / len(sb) if sb else 0.0)


def _r(x: float) -> float:
    return round(float(x), 6)


def pair_evidence(
    text_a: str,
    text_b: str,
    cfg: EvidenceConfig = EvidenceConfig(),
    maps: tuple[OffsetMap, OffsetMap] | None = None,
) -> dict:
    """The evidence object of a pair of ORIGINAL texts, ready for JSON.

    ``{"containment": [a_in_b, b_in_a], "passages": [{"a": [s, e], "b": [s, e],
    "similarity": x, "text": ...}]}``: spans are ``str`` offsets into each
    original text, ``text`` is ``text_a[s:e]``. Deterministic. ``maps`` are
    the texts' :func:`normalize_with_offsets` when the caller already has them
    (the scan reuses one map per document over all its pairs).
    """
    oa, ob = maps or (normalize_with_offsets(text_a), normalize_with_offsets(text_b))
    return {
        "containment": [_r(x) for x in containment(oa.text, ob.text, cfg.shingle_size)],
        "passages": passage_objects(text_a, oa, ob, cfg),
    }


def passage_objects(
    text_a: str,
    oa: OffsetMap,
    ob: OffsetMap,
    cfg: EvidenceConfig = EvidenceConfig(),
    found: list[tuple[Passage, Words, Words]] | None = None,
) -> list[dict]:
    """The ``passages`` list of the evidence object (see :func:`pair_evidence`);
    ``found``: :func:`find_passages` of the two maps' texts, if already known."""
    out = []
    for passage, wa, wb in find_passages(oa.text, ob.text, cfg) if found is None else found:
        sa = original_span(oa, wa, passage.a_words)
        sb = original_span(ob, wb, passage.b_words)
        out.append({"a": list(sa), "b": list(sb), "similarity": _r(passage.similarity), "text": text_a[sa[0] : sa[1]]})
    return out

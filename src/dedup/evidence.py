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

from collections import defaultdict
from dataclasses import dataclass

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
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def of(cls, normalized: str) -> "Words":
        starts, ends, pos = [], [], 0
        for word in normalized.split(" ") if normalized else []:
            starts.append(pos)
            ends.append(pos + len(word))
            pos += len(word) + 1
        return cls(normalized, tuple(starts), tuple(ends))

    def __len__(self) -> int:
        return len(self.starts)

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Character span of words ``[i, j)``."""
        return self.starts[i], self.ends[j - 1]

    def words(self, i: int, j: int) -> list[str]:
        s, e = self.span(i, j)
        return self.text[s:e].split(" ")


def exact_runs(wa: Words, wb: Words, seed_words: int) -> list[tuple[int, int, int, int]]:
    """Maximal runs of equal words ``(a0, a1, b0, b1)`` grown from seeds."""
    n = seed_words
    la, lb = wa.text.split(" ") if wa.text else [], wb.text.split(" ") if wb.text else []
    where: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for j in range(len(lb) - n + 1):
        where[tuple(lb[j : j + n])].append(j)
    # seed (i, j) continues the run that ended at (i-1, j-1)
    open_runs: dict[int, list[int]] = {}  # diagonal j - i -> [a0, a1, b0, b1]
    runs: list[list[int]] = []
    for i in range(len(la) - n + 1):
        hits = where.get(tuple(la[i : i + n]), ())
        if len(hits) > MAX_SEED_OCCURRENCES:
            continue
        for j in hits:
            run = open_runs.get(j - i)
            if run is not None and run[1] >= i + n - 1:
                run[1], run[3] = i + n, j + n
            else:
                run = [i, i + n, j, j + n]
                open_runs[j - i] = run
                runs.append(run)
    return sorted(tuple(r) for r in runs)  # type: ignore[misc]


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
    """(share of a's shingles found in b, share of b's found in a)."""
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

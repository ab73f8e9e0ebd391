"""Partial duplicates: a shared passage between otherwise different stories.

A wire story pasted into a longer local article shares most of the wire text
but only a small share of the article's shingles, so the whole-document
Jaccard (and the document-level LSH built for it) never pairs them. Here every
document is also cut into overlapping word windows, the windows are MinHashed
and banded with the same compiled code as whole documents
(:func:`dedup.minhash.sign_encoded`, :func:`dedup.lsh.candidate_pairs`), and
two documents with a similar window become a candidate. Each candidate is then
aligned (:func:`dedup.evidence.find_passages`); a pair whose longest shared
passage has at least ``min_passage`` normalized characters, and that is not
already a duplicate, is a ``partial`` pair.

Why these windows (README, "Evidence and partial duplicates"): a passage of
250 characters is about 45 words, so it holds at least one whole window of 30
words at a stride of 10, and the other document's closest window is at most 5
words off: a char-5 Jaccard near 0.7, well above the LSH threshold of 0.5.
The cost is signing every character about three times; it runs only when
pairs are asked for (``dedup scan --pairs``) because it never changes
clusters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .arrays import distinct
from .evidence import EvidenceConfig, Passage, find_passages, longest
from .lsh import candidate_pairs, lsh_params
from .codepoints import encode
from .minhash import sign_encoded
from .normalize import normalize
from .shingle import ShingleKind
from .scan import ScanResult
from .verdict import VerdictConfig


#: Documents whose windows are hashed per compiled call (bounds memory).
WINDOW_BATCH = 512


@dataclass(frozen=True)
class PartialConfig:
    """Window index and decision parameters (defaults measured, README)."""

    window_words: int = 30
    stride_words: int = 10
    shingle_size: int = 5
    #: char: shingles of characters; word: of words (``shingle_size=1`` is a
    #: bag of words, which word-shuffled copies keep)
    shingle_kind: ShingleKind = "char"
    num_perm: int = 64
    seed: int = 1
    lsh_threshold: float = 0.5
    #: a pair is partial when it shares a passage this long (normalized chars)
    min_passage: int = 200
    #: a window seen in more documents than this is boilerplate (a footer, a
    #: dateline): it would pair every document that carries it
    max_window_docs: int = 20


def windows(normalized: str, size: int, stride: int) -> list[str]:
    """Overlapping windows of ``size`` words every ``stride`` words; a text
    shorter than one window is one window."""
    words = normalized.split(" ") if normalized else []
    return [" ".join(words[s : s + size]) for s in _window_starts(len(words), size, stride)]


def window_candidates(normalized: list[str], cfg: PartialConfig = PartialConfig()) -> np.ndarray:
    """Document pairs ``(i, j)``, ``i < j``, with a pair of similar windows."""
    owners: list[int] = []
    signatures: list[np.ndarray] = []
    for start in range(0, len(normalized), WINDOW_BATCH):
        texts: list[str] = []
        for d, text in enumerate(normalized[start : start + WINDOW_BATCH], start):
            for w in windows(text, cfg.window_words, cfg.stride_words):
                if len(w if cfg.shingle_kind == "char" else w.split(" ")) >= cfg.shingle_size:
                    texts.append(w)
                    owners.append(d)
        # signatures only: the windows' shingle sets would take several
        # times the memory of the documents' own
        sigs, _ = sign_encoded(*encode(texts), cfg.shingle_size, cfg.shingle_kind, cfg.num_perm, cfg.seed)
        signatures.append(sigs)
    if not owners:
        return np.empty((0, 2), dtype=np.int64)
    bands, rows = lsh_params(cfg.lsh_threshold, cfg.num_perm)
    # Window numbers as ids, so a bucket's size is known before it is
    # expanded into pairs; boilerplate buckets are dropped band by band.
    sigs = np.concatenate(signatures)
    owner = np.asarray(owners, dtype=np.int64)
    keep = _not_boilerplate(sigs, owner, bands, rows, cfg.max_window_docs)
    pairs = candidate_pairs(sigs[keep], bands, rows, ids=np.arange(int(keep.sum()), dtype=np.int64))
    if len(pairs) == 0:
        return np.empty((0, 2), dtype=np.int64)
    docs = owner[keep][pairs]
    docs = docs[docs[:, 0] != docs[:, 1]]
    docs.sort(axis=1)
    return np.unique(docs, axis=0) if len(docs) else np.empty((0, 2), dtype=np.int64)


def _not_boilerplate(sigs: np.ndarray, owner: np.ndarray, bands: int, rows: int, limit: int) -> np.ndarray:
    """Mask of windows none of whose band values is shared by more than
    ``limit`` documents."""
    from .lsh import band_runs

    keep = np.ones(len(sigs), dtype=bool)
    if len(sigs) < 2:
        return keep
    for band in range(bands):
        order, starts, ends = band_runs(sigs[:, band * rows : (band + 1) * rows])
        for s, e in zip(starts.tolist(), ends.tolist()):
            if e - s > limit and len(distinct(owner[order[s:e]])) > limit:
                keep[order[s:e]] = False
    return keep


@dataclass(frozen=True)
class PartialPair:
    i: int
    j: int
    #: normalized characters of the longest shared passage
    longest: int


def partial_pairs(
    normalized: list[str],
    skip: Callable[[int, int], bool] = lambda i, j: False,
    cfg: PartialConfig = PartialConfig(),
) -> list[PartialPair]:
    """Pairs ``i < j`` of documents sharing a passage of ``cfg.min_passage``
    normalized characters or more, in ``(i, j)`` order; pairs for which
    ``skip(i, j)`` is true (the duplicates) are not aligned."""
    ev_cfg = EvidenceConfig()
    out = []
    for i, j in window_candidates(normalized, cfg).tolist():
        if skip(i, j):
            continue
        size = longest(find_passages(normalized[i], normalized[j], ev_cfg))
        if size >= cfg.min_passage:
            out.append(PartialPair(i, j, size))
    return out


def scan_partials(result: ScanResult, cfg: PartialConfig = PartialConfig()) -> list[PartialPair]:
    """The partial pairs of a finished scan: never two documents of one
    cluster, never a verified duplicate pair (those are reported as such)."""
    cluster_of = {m: n for n, c in enumerate(result.clusters) for m in c.cluster.members}
    duplicates = {(int(i), int(j)) for i, j in result.pairs.tolist()}

    def skip(i: int, j: int) -> bool:
        return (i, j) in duplicates or (i in cluster_of and cluster_of[i] == cluster_of.get(j))

    return partial_pairs([normalize(d.text) for d in result.documents], skip, cfg)


def compare(
    text_a: str,
    text_b: str,
    threshold: float | VerdictConfig = 0.5,
    shingle_size: int = 5,
    cfg: PartialConfig = PartialConfig(),
) -> dict:
    """Everything about one pair of ORIGINAL texts, as a scan would report
    it: ``relation`` and ``reason`` (:func:`dedup.verdict.judge` with
    ``threshold``, a Jaccard threshold or all the verdict rules, or
    ``partial`` when only a passage of ``cfg.min_passage`` normalized
    characters or more is shared), exact ``jaccard``, ``containment`` both
    ways and the shared ``passages`` (:func:`dedup.evidence.pair_evidence`).
    ``dedup explain`` prints this."""
    from .evidence import passage_objects
    from .minhash import hash_documents
    from .normalize import normalize_with_offsets
    from .verdict import judge, lead, overlap
    from .verify import intersection_sizes

    oa, ob = normalize_with_offsets(text_a), normalize_with_offsets(text_b)
    hashed = hash_documents([oa.text, ob.text], shingle_size, "char", 1, 1)
    inter = int(intersection_sizes(hashed, np.array([[0, 1]], dtype=np.int64))[0])
    size_a, size_b = (int(x) for x in hashed.set_sizes)
    verdict = judge(oa.text, ob.text, inter, size_a, size_b, threshold, lambda: (lead(text_a), lead(text_b)))
    relation, reason = verdict.relation, verdict.reason
    found = find_passages(oa.text, ob.text)
    if not verdict.is_duplicate and longest(found) >= cfg.min_passage:
        relation, reason = "partial", None
    jac, cont = overlap(inter, size_a, size_b)
    return {
        "relation": relation,
        "reason": reason,
        "jaccard": round(jac, 6),
        "containment": [round(cont[0], 6), round(cont[1], 6)],
        "passages": passage_objects(text_a, oa, ob, found=found),
    }


@dataclass(frozen=True)
class BagConfig:
    """Bag-of-words window alignment (defaults measured on araplagdet-dev)."""

    #: windows of the first text (the suspicious / copying side)
    window_words: int = 30
    #: windows of the second text: wider, because a shuffled passage of 90
    #: words spreads a 30-word window's words over all 90
    context_words: int = 100
    stride_words: int = 10
    #: words this short (particles, prepositions) do not count as shared
    min_word: int = 3
    #: share of a first-text window's distinct words found in the other window
    min_share: float = 0.5
    #: shorter regions (words, in the first text) are not reported
    min_words: int = 20


@dataclass(frozen=True)
class WordWindows:
    """One text's overlapping word windows as sets of word numbers: built
    once per document, compared with many (the numbers come from a
    vocabulary shared by every text compared)."""

    ids: np.ndarray  # word number per word, -1 for words shorter than min_word
    starts: np.ndarray  # first word of each window
    rows: np.ndarray  # (window, word number) incidence, one entry per distinct word
    cols: np.ndarray
    sizes: np.ndarray  # distinct words per window

    @classmethod
    def of(cls, normalized: str, vocab: dict[str, int], cfg: "BagConfig", size: int) -> "WordWindows":
        """Windows of ``size`` words (``cfg.window_words`` for a first text,
        ``cfg.context_words`` for a second)."""
        words = normalized.split(" ") if normalized else []
        ids = np.array([vocab.setdefault(w, len(vocab)) if len(w) >= cfg.min_word else -1 for w in words], dtype=np.int64)
        starts = np.array(_window_starts(len(words), size, cfg.stride_words), dtype=np.int64)
        rows, cols = [], []
        for n, s in enumerate(starts.tolist()):
            present = distinct(ids[s : s + size])
            present = present[present >= 0]
            rows.append(np.full(len(present), n, dtype=np.int64))
            cols.append(present)
        cat = (lambda xs: np.concatenate(xs) if xs else np.empty(0, dtype=np.int64))
        rows_a, cols_a = cat(rows), cat(cols)
        return cls(ids, starts, rows_a, cols_a, np.bincount(rows_a, minlength=len(starts)))

    def matrix(self, vocab_size: int):
        from scipy.sparse import csr_matrix

        return csr_matrix(
            (np.ones(len(self.rows), dtype=np.int32), (self.rows, self.cols)), shape=(len(self.starts), vocab_size)
        )


def bow_passages(a: WordWindows, b: WordWindows, vocab_size: int, cfg: "BagConfig") -> list[Passage]:
    """Passages shared as bags of words: word-shuffled copies, which defeat
    every shingle longer than a word and every order-keeping alignment.

    ``a``'s windows have ``cfg.window_words`` words, ``b``'s the wider
    ``cfg.context_words``. Window pairs where ``min_share`` of ``a``'s
    window's distinct words are in ``b``'s (one sparse matrix product) are
    joined into regions when their windows overlap in both texts; each region
    is trimmed to its first and last word found in the other side's region.
    ``similarity`` is the best window pair's share.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    if len(a.starts) == 0 or len(b.starts) == 0:
        return []
    shared = (a.matrix(vocab_size) @ b.matrix(vocab_size).T).tocoo()
    size_a = a.sizes[shared.row]
    share = np.divide(shared.data, size_a, out=np.zeros(len(shared.data)), where=size_a > 0)
    hit = share >= cfg.min_share
    ra, rb, rs = shared.row[hit], shared.col[hit], share[hit]
    if len(ra) == 0:
        return []
    # window pairs are joined when both their windows overlap
    key = {(i, j): n for n, (i, j) in enumerate(zip(ra.tolist(), rb.tolist()))}
    reach_a = max(1, -(-cfg.window_words // cfg.stride_words) - 1)
    reach_b = max(1, -(-cfg.context_words // cfg.stride_words) - 1)
    left, right = [], []
    for (i, j), n in key.items():
        for di in range(0, reach_a + 1):
            for dj in range(-reach_b, reach_b + 1):
                if (di, dj) > (0, 0) and (m := key.get((i + di, j + dj))) is not None:
                    left.append(n)
                    right.append(m)
    graph = csr_matrix((np.ones(len(left)), (left, right)), shape=(len(key), len(key)))
    _, labels = connected_components(graph, directed=False)
    n_a, n_b = len(a.ids), len(b.ids)
    out = []
    for members in np.split(np.argsort(labels, kind="stable"), np.flatnonzero(np.diff(np.sort(labels))) + 1):
        wa, wb = a.starts[ra[members]], b.starts[rb[members]]
        a0, a1 = int(wa.min()), min(n_a, int(wa.max()) + cfg.window_words)
        b0, b1 = int(wb.min()), min(n_b, int(wb.max()) + cfg.context_words)
        ta0, ta1 = _densest(a.ids[a0:a1], b.ids[b0:b1])
        tb0, tb1 = _densest(b.ids[b0:b1], a.ids[a0 + ta0 : a0 + ta1])
        if ta1 - ta0 >= cfg.min_words and tb1 > tb0:
            out.append(Passage((a0 + ta0, a0 + ta1), (b0 + tb0, b0 + tb1), float(rs[members].max())))
    out.sort(key=lambda p: (p.a_words, p.b_words))
    return out


def _densest(ids: np.ndarray, other: np.ndarray) -> tuple[int, int]:
    """The stretch of ``ids`` where words found in ``other`` outnumber the
    others the most (maximum-sum run, +1 found, -1 not found, 0 for short
    words): a region's windows reach up to a window beyond the shared
    passage, and this trims them back to its edges."""
    weight = np.where(ids < 0, 0, np.where(np.isin(ids, other), 1, -1))
    best, best_span, total, start = 0, (0, 0), 0, 0
    for k, w in enumerate(weight.tolist()):
        if total <= 0:
            total, start = 0, k
        total += w
        if total > best:
            best, best_span = total, (start, k + 1)
    return best_span


def _window_starts(n: int, size: int, stride: int) -> list[int]:
    """First word of each window (the tail is covered by a last window)."""
    if n == 0:
        return []
    if n <= size:
        return [0]
    starts = list(range(0, n - size + 1, stride))
    if starts[-1] + size < n:
        starts.append(n - size)
    return starts

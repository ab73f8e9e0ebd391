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

from .evidence import EvidenceConfig, find_passages, longest
from .lsh import candidate_pairs, lsh_params
from .codepoints import encode
from .minhash import sign_encoded
from .normalize import normalize
from .scan import ScanResult


#: Documents whose windows are hashed per compiled call (bounds memory).
WINDOW_BATCH = 512


@dataclass(frozen=True)
class PartialConfig:
    """Window index and decision parameters (defaults measured, README)."""

    window_words: int = 30
    stride_words: int = 10
    shingle_size: int = 5
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
    if len(words) <= size:
        return [normalized] if normalized else []
    starts = list(range(0, len(words) - size + 1, stride))
    if starts[-1] + size < len(words):
        starts.append(len(words) - size)  # the tail is covered too
    return [" ".join(words[s : s + size]) for s in starts]


def window_candidates(normalized: list[str], cfg: PartialConfig = PartialConfig()) -> np.ndarray:
    """Document pairs ``(i, j)``, ``i < j``, with a pair of similar windows."""
    owners: list[int] = []
    signatures: list[np.ndarray] = []
    for start in range(0, len(normalized), WINDOW_BATCH):
        texts: list[str] = []
        for d, text in enumerate(normalized[start : start + WINDOW_BATCH], start):
            for w in windows(text, cfg.window_words, cfg.stride_words):
                if len(w) >= cfg.shingle_size:
                    texts.append(w)
                    owners.append(d)
        # signatures only: the windows' shingle sets would take several
        # times the memory of the documents' own
        sigs, _ = sign_encoded(*encode(texts), cfg.shingle_size, "char", cfg.num_perm, cfg.seed)
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
            if e - s > limit and len(np.unique(owner[order[s:e]])) > limit:
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
    threshold: float = 0.5,
    shingle_size: int = 5,
    cfg: PartialConfig = PartialConfig(),
) -> dict:
    """Everything about one pair of ORIGINAL texts, as a scan would report
    it: ``relation`` and ``reason`` (:func:`dedup.verdict.judge`, or
    ``partial`` when only a passage of ``cfg.min_passage`` normalized
    characters or more is shared), exact ``jaccard``, ``containment`` both
    ways and the shared ``passages`` (:func:`dedup.evidence.pair_evidence`).
    ``dedup explain`` prints this."""
    from .evidence import passage_objects
    from .minhash import hash_documents
    from .normalize import normalize_with_offsets
    from .verdict import judge, overlap
    from .verify import intersection_sizes

    oa, ob = normalize_with_offsets(text_a), normalize_with_offsets(text_b)
    hashed = hash_documents([oa.text, ob.text], shingle_size, "char", 1, 1)
    inter = int(intersection_sizes(hashed, np.array([[0, 1]], dtype=np.int64))[0])
    size_a, size_b = (int(x) for x in hashed.set_sizes)
    verdict = judge(oa.text, ob.text, inter, size_a, size_b, threshold)
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

"""The batch scan: documents -> verified near-duplicate clusters.

One way through, one job a step: read -> normalize -> shingle+sign (compiled)
-> LSH candidates -> exact verification -> connected components -> member
similarities. The CLI's ``dedup scan`` is a thin shell over :func:`scan`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .cluster import Cluster, connected_components, hub_clusters
from .inputs import Document, InputError, Problem
from .lsh import candidate_pairs, lsh_params
from .codepoints import normalize_encoded
from .minhash import HashedDocs, hash_encoded
from .normalize import normalize
from .shingle import ShingleKind
from .verdict import Verdict, VerdictConfig, judge_pairs
from .verify import estimated_jaccard, intersection_sizes, jaccard

#: Documents normalized and hashed per compiled call (bounds peak memory of
#: the concatenated code points and lets the progress bar move).
BATCH_SIZE = 2048
#: Default LSH threshold as a share of the verification threshold (README,
#: "Defaults chosen from data").
LSH_RATIO = 0.8


@dataclass(frozen=True)
class ScanConfig:
    """Parameters of a scan. Defaults were chosen from the sweep on
    wirecopy-dev (see README, "Defaults chosen from data")."""

    threshold: float = 0.5
    shingle_size: int = 5
    shingle_kind: ShingleKind = "char"
    num_perm: int = 128
    seed: int = 1
    #: Jaccard the LSH bands are tuned for (datasketch's rule, equal weights).
    #: Lower than ``threshold`` because every candidate is verified exactly:
    #: a missed pair is lost for good, a spurious one costs one merge of two
    #: sorted arrays. None: ``LSH_RATIO * threshold``.
    lsh_threshold: float | None = None
    #: Words per window of the containment search (0: off). Non-overlapping
    #: windows of every document are MinHashed and banded as well, so a short
    #: text contained in a longer one (a truncated copy, the old body under an
    #: update's new lead) becomes a candidate although its whole-document
    #: Jaccard is far below the threshold. Costs about 0.7x the signing.
    containment_windows: int = 30
    #: Verdict rules (dedup.verdict): the containment at or above which an
    #: unconflicted pair is a truncation or update, whether the template test
    #: runs, and whether partial pairs count as duplicates.
    containment: float = 0.75
    templates: bool = True
    partial_is_duplicate: bool = False
    #: Cut chained components at their hubs (dedup.cluster.hub_clusters);
    #: off: plain connected components.
    split_chains: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.shingle_size < 1:
            raise ValueError(f"shingle size must be >= 1, got {self.shingle_size}")
        if self.shingle_kind not in ("char", "word"):
            raise ValueError(f"shingle kind must be 'char' or 'word', got {self.shingle_kind!r}")
        if not 0.0 < self.containment <= 1.0:
            raise ValueError(f"containment must be in (0, 1], got {self.containment}")
        if self.containment_windows < 0:
            raise ValueError(f"containment windows must be >= 0 words, got {self.containment_windows}")
        if self.lsh_threshold is not None and not 0.0 < self.lsh_threshold <= self.threshold:
            raise ValueError(f"lsh threshold must be in (0, threshold], got {self.lsh_threshold}")
        if not 1 <= self.num_perm <= 4096:
            raise ValueError(f"num_perm must be in [1, 4096], got {self.num_perm}")

    @property
    def candidate_threshold(self) -> float:
        return self.lsh_threshold if self.lsh_threshold is not None else round(LSH_RATIO * self.threshold, 4)

    @property
    def verdict(self) -> VerdictConfig:
        """The verdict rules at this scan's Jaccard threshold."""
        return VerdictConfig(
            threshold=self.threshold,
            containment=self.containment,
            templates=self.templates,
            partial_is_duplicate=self.partial_is_duplicate,
        )

    @property
    def bands_rows(self) -> tuple[int, int]:
        return lsh_params(self.candidate_threshold, self.num_perm)


@dataclass(frozen=True)
class ScoredCluster:
    """A cluster with each member's exact Jaccard to the representative."""

    cluster: Cluster
    similarities: tuple[float, ...]  # aligned with cluster.members; 1.0 for the representative

    @property
    def min_similarity(self) -> float:
        return min(self.similarities[1:])


@dataclass
class ScanResult:
    config: ScanConfig
    documents: list[Document]
    problems: list[Problem]
    hashed: HashedDocs
    candidates: np.ndarray  # (m, 2) document numbers
    pairs: np.ndarray  # verified (k, 2)
    pair_jaccard: np.ndarray
    pair_estimate: np.ndarray
    pair_verdicts: list[Verdict] = field(default_factory=list)  # aligned with pairs
    clusters: list[ScoredCluster] = field(default_factory=list)

    @property
    def stats(self) -> dict:
        clustered = sum(len(c.cluster.members) for c in self.clusters)
        scanned = int(np.count_nonzero(self.hashed.set_sizes)) if len(self.documents) else 0
        return {
            "documents_read": len(self.documents) + sum(p.reason != "too_short" for p in self.problems),
            "documents_scanned": scanned,
            "skipped": len(self.problems),
            "candidate_pairs": int(len(self.candidates)),
            "verified_pairs": int(len(self.pairs)),
            "clusters": len(self.clusters),
            "clustered_documents": clustered,
            "singletons": scanned - clustered,
        }


def _concat(parts: list[HashedDocs], num_perm: int) -> HashedDocs:
    if not parts:
        return HashedDocs(np.empty((0, num_perm), np.uint32), np.empty(0, np.uint64), np.zeros(1, np.int64))
    offsets = [parts[0].offsets]
    base = parts[0].offsets[-1]
    for part in parts[1:]:
        offsets.append(part.offsets[1:] + base)
        base += part.offsets[-1]
    return HashedDocs(
        np.concatenate([p.signatures for p in parts]),
        np.concatenate([p.hashes for p in parts]),
        np.concatenate(offsets),
    )


def _sign_batch(texts: list[str], config: ScanConfig) -> HashedDocs:
    cps, offsets = normalize_encoded(texts)
    return hash_encoded(cps, offsets, config.shingle_size, config.shingle_kind, config.num_perm, config.seed)


#: The texts a forked signing worker reads (set before the fork, so workers
#: inherit them instead of receiving them through a pipe).
_FORKED_TEXTS: list[str] = []


def _sign_forked(task: tuple[int, int, ScanConfig]) -> HashedDocs:
    start, stop, config = task
    return _sign_batch(_FORKED_TEXTS[start:stop], config)


def sign(
    texts: list[str],
    config: ScanConfig,
    progress: Callable[[int], None] | None = None,
    jobs: int = 1,
    batch_size: int = BATCH_SIZE,
) -> HashedDocs:
    """Normalize, shingle and sign raw texts in batches.

    ``jobs > 1`` signs batches in that many forked processes (signing is
    nearly all of a scan's CPU time and batches are independent); results
    are put back in input order, so the output does not depend on ``jobs``.
    """
    bounds = [(start, min(start + batch_size, len(texts))) for start in range(0, len(texts), batch_size)]
    parts: list[HashedDocs] = []
    if jobs <= 1 or len(bounds) < 2:
        for start, stop in bounds:
            parts.append(_sign_batch(texts[start:stop], config))
            if progress:
                progress(stop - start)
        return _concat(parts, config.num_perm)
    import multiprocessing

    global _FORKED_TEXTS
    _FORKED_TEXTS = texts
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(bounds))) as pool:
            for (start, stop), part in zip(bounds, pool.imap(_sign_forked, [(a, b, config) for a, b in bounds])):
                parts.append(part)
                if progress:
                    progress(stop - start)
    finally:
        _FORKED_TEXTS = []
    return _concat(parts, config.num_perm)


def collect(items: Iterable[Document | Problem], strict: bool = False) -> tuple[list[Document], list[Problem]]:
    """Split the input stream into usable documents and problems."""
    documents: list[Document] = []
    problems: list[Problem] = []
    for item in items:
        if isinstance(item, Problem):
            if strict:
                raise InputError(f"{item.message} (--strict)")
            problems.append(item)
        else:
            documents.append(item)
    return documents, problems


def scan(
    documents: list[Document],
    config: ScanConfig = ScanConfig(),
    problems: list[Problem] | None = None,
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    jobs: int = 1,
) -> ScanResult:
    """Find verified near-duplicate clusters among ``documents``
    (``jobs``: processes that sign, see :func:`sign`)."""
    hashed = sign([d.text for d in documents], config, progress, jobs)
    return cluster_signed(documents, hashed, config, problems, strict)


def cluster_signed(
    documents: list[Document],
    hashed: HashedDocs,
    config: ScanConfig,
    problems: list[Problem] | None = None,
    strict: bool = False,
) -> ScanResult:
    """The scan after signing: candidates, verification, clusters.

    Separate so that a parameter sweep can sign once and vary the threshold.
    """
    problems = list(problems or [])
    sizes = hashed.set_sizes
    for i in np.flatnonzero(sizes == 0):
        doc = documents[i]
        unit = "characters" if config.shingle_kind == "char" else "words"
        problem = Problem(
            doc.origin, "too_short", f"{doc.origin}: fewer than {config.shingle_size} {unit} after normalization", doc.id
        )
        if strict:
            raise InputError(f"{problem.message} (--strict)")
        problems.append(problem)
    valid = np.flatnonzero(sizes > 0)
    bands, rows = config.bands_rows
    candidates = candidate_pairs(hashed.signatures[valid], bands, rows, ids=valid)
    normalized = _LazyNormalized(documents)
    if config.containment_windows:
        candidates = _with_containment_candidates(candidates, normalized, sizes, config.containment_windows)
    # Which verified pairs are duplicates is dedup.verdict's decision (the
    # rules live there, shared with screen and check).
    inter = intersection_sizes(hashed, candidates)
    verdicts = judge_pairs(candidates, inter, sizes, normalized.__getitem__, config.verdict)
    keep = np.fromiter((v.is_duplicate for v in verdicts), dtype=bool, count=len(verdicts))
    pairs = candidates[keep]
    result = ScanResult(
        config=config,
        documents=documents,
        problems=problems,
        hashed=hashed,
        candidates=candidates,
        pairs=pairs,
        pair_jaccard=np.fromiter((v.jaccard for v in verdicts), dtype=np.float64, count=len(verdicts))[keep],
        pair_estimate=estimated_jaccard(hashed.signatures, pairs),
        pair_verdicts=[v for v, k in zip(verdicts, keep) if k],
    )
    clustering = hub_clusters if config.split_chains else connected_components
    result.clusters = score_clusters(hashed, clustering(len(documents), pairs))
    return result


class _LazyNormalized:
    """Normalized texts of the documents, computed on first use, once."""

    def __init__(self, documents: list[Document]) -> None:
        self._documents = documents
        self._cache: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._documents)

    def __getitem__(self, i: int) -> str:
        if i not in self._cache:
            self._cache[i] = normalize(self._documents[i].text)
        return self._cache[i]

    def all(self) -> list[str]:
        return [self[i] for i in range(len(self))]


def _with_containment_candidates(
    candidates: np.ndarray, normalized: _LazyNormalized, sizes: np.ndarray, window_words: int
) -> np.ndarray:
    """Add the document pairs that share a similar window of words."""
    from .passages import PartialConfig, window_candidates  # passages imports this module

    found = window_candidates(normalized.all(), PartialConfig(window_words=window_words, stride_words=window_words))
    found = found[(sizes[found[:, 0]] > 0) & (sizes[found[:, 1]] > 0)] if len(found) else found
    if len(found) == 0:
        return candidates
    return np.unique(np.concatenate([candidates, found]), axis=0)


def score_clusters(hashed: HashedDocs, clusters: list[Cluster]) -> list[ScoredCluster]:
    """Exact similarity of every member to its cluster's representative."""
    if not clusters:
        return []
    pairs = np.array([(c.representative, m) for c in clusters for m in c.members[1:]], dtype=np.int64)
    sims = iter(jaccard(hashed, pairs).tolist())
    return [ScoredCluster(c, (1.0, *(next(sims) for _ in c.members[1:]))) for c in clusters]

"""The batch scan: documents -> verified near-duplicate clusters.

One way through, one job a step: read (texts spooled to disk) -> normalize ->
sign (compiled; signatures, set sizes and window band keys only) -> LSH
candidates, pre-filtered on signatures band by band -> exact shingle sets of
the documents in candidate pairs -> exact verification and verdicts ->
clusters -> member similarities. The CLI's ``dedup scan`` is a thin shell over
:func:`scan`. Memory is what a million documents allow: no document's text or
exact set is held for the whole run (README, "Performance").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .arrays import distinct
from .cluster import Cluster, connected_components, hub_clusters
from .codepoints import normalize_encoded, normalize_many, word_windows
from .inputs import Document, InputError, Problem
from .lsh import band_keys, drop_crowded, key_runs, lsh_params, run_pairs
from .minhash import HashedDocs, hash_encoded, sign_encoded
from .normalize import normalize
from .shingle import ShingleKind
from .spool import SpooledDocuments, text_of, texts_of
from .verdict import Verdict, VerdictConfig, judge_pairs, lead
from .verify import estimated_jaccard, intersection_sizes, jaccard, plausible

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
    #: Share of ``threshold`` down to which an unconflicted pair that adds
    #: nothing and tells the same leads is a reworded copy (1.0: off).
    reworded: float = 0.9
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
        if not 0.0 < self.reworded <= 1.0:
            raise ValueError(f"reworded must be in (0, 1], got {self.reworded}")
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
            reworded=self.reworded,
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
    documents: Sequence[Document]
    problems: list[Problem]
    #: signatures and set sizes of every document; exact sets of those in
    #: candidate pairs (others are shingled when asked for)
    hashed: HashedDocs
    candidates: np.ndarray  # (m, 2) document numbers verified exactly (after the prefilter)
    pairs: np.ndarray  # verified (k, 2)
    pair_jaccard: np.ndarray
    pair_estimate: np.ndarray
    pair_verdicts: list[Verdict] = field(default_factory=list)  # aligned with pairs
    clusters: list[ScoredCluster] = field(default_factory=list)
    #: band collisions before the prefilter (a pair colliding in several
    #: bands counts once a band)
    band_collisions: int = 0

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


def _hash_texts(texts: list[str], config: ScanConfig) -> HashedDocs:
    cps, offsets = normalize_encoded(texts)
    return hash_encoded(cps, offsets, config.shingle_size, config.shingle_kind, config.num_perm, config.seed)


@dataclass(frozen=True)
class _Signed:
    """What the first pass keeps of a batch: signatures, exact set sizes and
    the band keys of its containment windows (no sets, no texts)."""

    signatures: np.ndarray
    sizes: np.ndarray
    #: (windows, bands) low 32 bits of each window band's key
    window_keys: np.ndarray
    #: document number (within the batch) of each window
    window_owner: np.ndarray


def window_config(config: ScanConfig):
    from .passages import PartialConfig  # passages imports this module

    w = config.containment_windows
    return PartialConfig(window_words=w, stride_words=w)


def window_band_keys(cps: np.ndarray, offsets: np.ndarray, config: ScanConfig) -> tuple[np.ndarray, np.ndarray]:
    """Band keys of the containment windows of an encoded batch.

    Kept instead of the windows' signatures: 14 keys of 4 bytes a window
    against 64 slots of 4 bytes (a million articles cut ~15 million windows).
    32 bits a key suffice: a chance key collision only adds a candidate that
    the prefilter and exact verification judge like any other. What
    :mod:`dedup.index` stores per document, so that screening finds the
    pairs a scan finds through windows."""
    if not config.containment_windows:
        return np.empty((0, 0), dtype=np.uint32), np.empty(0, dtype=np.int32)
    cfg = window_config(config)
    wcps, woffsets, owner = word_windows(cps, offsets, cfg.window_words, cfg.stride_words, cfg.shingle_size)
    sigs, _ = sign_encoded(wcps, woffsets, cfg.shingle_size, cfg.shingle_kind, cfg.num_perm, cfg.seed)
    bands, rows = lsh_params(cfg.lsh_threshold, cfg.num_perm)
    return band_keys(sigs, bands, rows).astype(np.uint32), owner.astype(np.int32)


def _sign_texts(texts: list[str], config: ScanConfig) -> _Signed:
    cps, offsets = normalize_encoded(texts)
    sigs, sizes = sign_encoded(
        cps, offsets, config.shingle_size, config.shingle_kind, config.num_perm, config.seed, distinct=True
    )
    return _Signed(sigs, sizes, *window_band_keys(cps, offsets, config))


#: What forked workers run: ``(work, read)``, set before the fork so workers
#: inherit it (and the texts ``read`` reads) instead of receiving it through
#: a pipe.
_FORKED: tuple = ()


def _run_forked(task: tuple[int, Any, ScanConfig]):
    count, where, config = task
    work, read = _FORKED
    return count, work(read(where), config)


def _batches(
    work: Callable,
    locate: Callable[[int, int], Any],
    read: Callable[[Any], list[str]],
    bounds: Iterable[tuple[int, int]],
    config: ScanConfig,
    progress: Callable[[int], None] | None,
    jobs: int,
) -> Iterator:
    """``work(read(locate(start, stop)), config)`` for each batch of
    ``bounds``, in order. ``locate`` says where a batch's texts are (it runs
    here), ``read`` fetches them (in the worker). ``jobs > 1`` runs batches in
    that many forked processes; ``bounds`` may be a generator that reads the
    input as it goes (:func:`scan_items`): the pool consumes it in its feeder
    thread, so reading and spooling overlap with signing. Results come back
    in input order, so they never depend on ``jobs``."""
    if jobs <= 1 or (isinstance(bounds, list) and len(bounds) < 2):
        for start, stop in bounds:
            yield work(read(locate(start, stop)), config)
            if progress:
                progress(stop - start)
        return
    import multiprocessing

    global _FORKED
    _FORKED = (work, read)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            tasks = ((stop - start, locate(start, stop), config) for start, stop in bounds)
            for count, part in pool.imap(_run_forked, tasks):
                yield part
                if progress:
                    progress(count)
    finally:
        _FORKED = ()


def _slices(total: int, batch_size: int) -> list[tuple[int, int]]:
    return [(start, min(start + batch_size, total)) for start in range(0, total, batch_size)]


def _where(documents: Sequence[Document]) -> tuple[Callable, Callable]:
    """``(locate, read)`` for :func:`_batches` over a document sequence."""
    if isinstance(documents, SpooledDocuments):
        return documents.locate, documents.read_located
    return (lambda start, stop: (start, stop)), (lambda where: texts_of(documents, *where))


def sign(
    texts: list[str],
    config: ScanConfig,
    progress: Callable[[int], None] | None = None,
    jobs: int = 1,
    batch_size: int = BATCH_SIZE,
) -> HashedDocs:
    """Normalize, shingle and sign raw texts in batches, keeping every exact
    shingle set (what a parameter sweep re-uses: :func:`cluster_signed`).

    ``jobs > 1`` signs batches in that many forked processes; the output does
    not depend on ``jobs``.
    """
    parts = _batches(
        _hash_texts, lambda a, b: (a, b), lambda where: texts[where[0] : where[1]],
        _slices(len(texts), batch_size), config, progress, jobs,
    )
    return _concat(list(parts), config.num_perm)


def _first_pass(
    documents: Sequence[Document],
    config: ScanConfig,
    progress: Callable[[int], None] | None,
    jobs: int,
    bounds: Iterable[tuple[int, int]] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    """Signatures, set sizes, window band keys (one array a batch) and window
    owners of every document, batch by batch (``bounds``; default: all of
    ``documents`` in batches of :data:`BATCH_SIZE`).

    The number of documents is not known while the input is still being
    read, so each batch's signatures go to an anonymous temporary file and
    are read back into one array at the end: held as parts and concatenated,
    they would exist twice (+512 MB at a million documents, measured: the
    freed parts stay in the process's heap)."""
    import tempfile

    sizes: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    start = 0
    locate, read = _where(documents)
    with tempfile.TemporaryFile() as spill:
        for part in _batches(
            _sign_texts, locate, read, _slices(len(documents), BATCH_SIZE) if bounds is None else bounds,
            config, progress, jobs,
        ):
            spill.write(np.ascontiguousarray(part.signatures, dtype=np.uint32).tobytes())
            sizes.append(part.sizes)
            keys.append(part.window_keys)
            owners.append(part.window_owner + np.int32(start))
            start += len(part.sizes)
        spill.flush()
        spill.seek(0)
        signatures = np.fromfile(spill, dtype=np.uint32, count=start * config.num_perm).reshape(start, config.num_perm)
    owner = np.concatenate(owners) if owners else np.empty(0, dtype=np.int32)
    size_array = np.concatenate(sizes) if sizes else np.empty(0, dtype=np.int64)
    return signatures, size_array.astype(np.int64, copy=False), keys, owner


def collect(items: Iterable[Document | Problem], strict: bool = False) -> tuple[SpooledDocuments, list[Problem]]:
    """Split the input stream into usable documents and problems. The
    documents' texts are spooled to an anonymous temporary file
    (:mod:`dedup.spool`): a scan of a million articles could not hold them."""
    documents = SpooledDocuments()
    problems: list[Problem] = []
    for _ in _spool(items, documents, problems, strict):
        pass
    documents.flush()
    return documents, problems


def _spool(
    items: Iterable[Document | Problem],
    documents: SpooledDocuments,
    problems: list[Problem],
    strict: bool,
    on_problem: Callable[[Problem], None] | None = None,
) -> Iterator[int]:
    """Append each document to ``documents`` (yielding how many there are)
    and each problem to ``problems`` (or, with ``strict``, stop with an
    :class:`InputError`): the one rule of :func:`collect` and :func:`scan_items`."""
    for item in items:
        if isinstance(item, Problem):
            if strict:
                raise InputError(f"{item.message} (--strict)")
            problems.append(item)
            if on_problem:
                on_problem(item)
        else:
            documents.append(item)
            yield len(documents)


def scan(
    documents: Sequence[Document],
    config: ScanConfig = ScanConfig(),
    problems: list[Problem] | None = None,
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    jobs: int = 1,
) -> ScanResult:
    """Find verified near-duplicate clusters among ``documents``.

    Two passes, so memory stays bounded at a million documents: the first
    keeps only signatures, set sizes and window band keys (``jobs`` forked
    processes sign); candidates are banded and pre-filtered on those; the
    second shingles exactly only the documents of the surviving candidates.
    """
    signatures, sizes, keys, owner = _first_pass(documents, config, progress, jobs)
    found = candidates(signatures, sizes, keys, owner, config)
    del keys, owner  # the window keys are the largest thing a first pass keeps
    return _verify_and_cluster(documents, signatures, sizes, found, None, config, problems, strict)


def scan_items(
    items: Iterable[Document | Problem],
    config: ScanConfig = ScanConfig(),
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    jobs: int = 1,
    on_problem: Callable[[Problem], None] | None = None,
) -> ScanResult:
    """:func:`scan` straight from an input stream (what ``dedup scan`` runs).

    Texts are spooled as they are read (:func:`collect`'s rule for problems,
    each also passed to ``on_problem``), and every full batch is signed at once: with
    ``jobs > 1`` by forked workers while this process reads on, so reading
    and parsing the input no longer runs before all the signing. The result
    is the same as ``scan(*collect(items))``."""
    documents = SpooledDocuments()
    problems: list[Problem] = []

    def bounds() -> Iterator[tuple[int, int]]:
        start = 0
        for count in _spool(items, documents, problems, strict, on_problem):
            if count - start == BATCH_SIZE:
                yield start, count
                start = count
        if len(documents) > start:
            yield start, len(documents)

    signatures, sizes, keys, owner = _first_pass(documents, config, progress, jobs, bounds())
    documents.flush()
    found = candidates(signatures, sizes, keys, owner, config)
    del keys, owner
    return _verify_and_cluster(documents, signatures, sizes, found, None, config, problems, strict)


def cluster_signed(
    documents: Sequence[Document],
    hashed: HashedDocs,
    config: ScanConfig,
    problems: list[Problem] | None = None,
    strict: bool = False,
) -> ScanResult:
    """The scan after :func:`sign` (every exact set at hand): candidates,
    verification, clusters. Separate so that a parameter sweep can sign once
    and vary the threshold."""
    keys: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    for start in range(0, len(documents), BATCH_SIZE):
        cps, offsets = normalize_encoded(texts_of(documents, start, min(start + BATCH_SIZE, len(documents))))
        part_keys, part_owner = window_band_keys(cps, offsets, config)
        keys.append(part_keys)
        owners.append(part_owner + np.int32(start))
    owner = np.concatenate(owners) if owners else np.empty(0, dtype=np.int32)
    found = candidates(hashed.signatures, hashed.set_sizes, keys, owner, config)
    return _verify_and_cluster(documents, hashed.signatures, hashed.set_sizes, found, hashed, config, problems, strict)


def _too_short(documents: Sequence[Document], sizes: np.ndarray, config: ScanConfig, strict: bool) -> list[Problem]:
    out = []
    unit = "characters" if config.shingle_kind == "char" else "words"
    for i in np.flatnonzero(sizes == 0).tolist():
        doc = documents[i]
        problem = Problem(
            doc.origin, "too_short", f"{doc.origin}: fewer than {config.shingle_size} {unit} after normalization", doc.id
        )
        if strict:
            raise InputError(f"{problem.message} (--strict)")
        out.append(problem)
    return out


def candidates(
    signatures: np.ndarray,
    sizes: np.ndarray,
    window_keys: list[np.ndarray],
    window_owner: np.ndarray,
    config: ScanConfig,
) -> tuple[np.ndarray, int]:
    """The pairs worth verifying exactly, and how many band collisions led
    to them.

    A pair collides in a band of the document signatures (datasketch's
    ``MinHashLSH`` rule) or of two of their containment windows (outside
    boilerplate windows; :func:`dedup.passages.window_candidates`'s rule);
    then it must pass :func:`dedup.verify.plausible`. Chance collisions of
    unrelated documents grow with the square of the corpus (~2·10^8 at a
    million news articles); they are filtered band by band, so they are never
    all held at once. Returns ``(m, 2)`` pairs ``i < j`` in order.
    """
    n = len(sizes)
    valid = sizes > 0
    rules = config.verdict
    found: list[np.ndarray] = []
    collisions = 0

    def keep_plausible(pairs: np.ndarray) -> None:
        nonlocal collisions
        collisions += len(pairs)
        found.append(pairs[plausible(signatures, sizes, pairs, rules.floor, rules.containment)])

    ids = np.flatnonzero(valid)
    bands, rows = config.bands_rows
    if len(ids) >= 2:
        for band in range(bands):
            columns = signatures[:, band * rows : (band + 1) * rows]
            keys = band_keys(columns if len(ids) == n else columns[ids], 1, rows)[:, 0]
            keep_plausible(run_pairs(*key_runs(keys), ids))
    if len(window_owner) >= 2:
        runs = [key_runs(np.concatenate([k[:, band] for k in window_keys])) for band in range(window_keys[0].shape[1])]
        keep = drop_crowded(runs, window_owner, window_config(config).max_window_docs)
        for items, bounds in runs:
            pairs = run_pairs(items, bounds, window_owner, keep)
            keep_plausible(pairs[valid[pairs[:, 0]] & valid[pairs[:, 1]]])
    if not found:
        return np.empty((0, 2), dtype=np.int64), collisions
    flat = distinct(np.concatenate([p[:, 0] * n + p[:, 1] for p in found]))
    return np.stack([flat // n, flat % n], axis=1), collisions


def _shingle_documents(
    documents: Sequence[Document], sizes: np.ndarray, config: ScanConfig
) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Exact shingle sets of chosen documents, read back from ``documents``:
    ``(hashes, offsets)``, written batch by batch into one array sized from
    the first pass's set sizes (so the sets never exist twice)."""

    def fill(docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(sizes[docs], out=offsets[1:])
        hashes = np.empty(int(offsets[-1]), dtype=np.uint64)
        for start in range(0, len(docs), BATCH_SIZE):
            part = _hash_texts([text_of(documents, int(i)) for i in docs[start : start + BATCH_SIZE]], config)
            if not np.array_equal(part.set_sizes, sizes[docs[start : start + BATCH_SIZE]]):
                raise RuntimeError("a document's text changed between the two passes of the scan")
            hashes[offsets[start] : offsets[min(start + BATCH_SIZE, len(docs))]] = part.hashes
        return hashes, offsets

    return fill


def _verify_and_cluster(
    documents: Sequence[Document],
    signatures: np.ndarray,
    sizes: np.ndarray,
    found: tuple[np.ndarray, int],
    hashed: HashedDocs | None,
    config: ScanConfig,
    problems: list[Problem] | None,
    strict: bool,
) -> ScanResult:
    """Verify the candidates ``found`` (pairs, band collisions) exactly,
    judge and cluster them; without ``hashed``, the exact sets of the
    candidate documents are computed here (the second pass)."""
    problems = [*(problems or []), *_too_short(documents, sizes, config, strict)]
    pairs_in, collisions = found
    if hashed is None:
        # Second pass: exact sets of the documents in candidate pairs only.
        hashed = HashedDocs(
            signatures,
            np.empty(0, dtype=np.uint64),
            np.zeros(1, dtype=np.int64),
            sizes=sizes,
            rows=np.full(len(sizes), -1, dtype=np.int64),
            fill=_shingle_documents(documents, sizes, config),
        ).holding(distinct(pairs_in))
    # Which verified pairs are duplicates is dedup.verdict's decision (the
    # rules live there, shared with screen and check).
    inter = intersection_sizes(hashed, pairs_in)
    normalized = _LazyNormalized(documents)
    # the verdict reads the texts of the pairs that pass its gate (Jaccard or
    # containment); normalize those in compiled batches up front
    rules = config.verdict
    small = np.minimum(sizes[pairs_in[:, 0]], sizes[pairs_in[:, 1]]) if len(pairs_in) else inter
    gate = (inter >= rules.floor * (sizes[pairs_in[:, 0]] + sizes[pairs_in[:, 1]] - inter)) if len(pairs_in) else inter > 0
    normalized.prefetch(distinct(pairs_in[gate | (inter >= config.containment * small)]))
    verdicts = judge_pairs(pairs_in, inter, sizes, normalized.__getitem__, rules, normalized.lead)
    keep = np.fromiter((v.is_duplicate for v in verdicts), dtype=bool, count=len(verdicts))
    pairs = pairs_in[keep]
    result = ScanResult(
        config=config,
        documents=documents,
        problems=problems,
        hashed=hashed,
        candidates=pairs_in,
        pairs=pairs,
        pair_jaccard=np.fromiter((v.jaccard for v in verdicts), dtype=np.float64, count=len(verdicts))[keep],
        pair_estimate=estimated_jaccard(signatures, pairs),
        pair_verdicts=[v for v, k in zip(verdicts, keep) if k],
        band_collisions=collisions,
    )
    if config.split_chains:
        template = np.fromiter((v.reason == "template" for v in verdicts), dtype=bool, count=len(verdicts))
        clusters = hub_clusters(len(documents), pairs, result.pair_jaccard, pairs_in[template], config.threshold)
    else:
        clusters = connected_components(len(documents), pairs)
    result.clusters = score_clusters(hashed, clusters)
    return result


class _LazyNormalized:
    """Normalized texts of the documents, and their leads
    (:func:`dedup.verdict.lead`), computed on first use, once."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self._documents = documents
        self._cache: dict[int, str] = {}
        self._leads: dict[int, str] = {}

    def lead(self, i: int) -> str:
        if i not in self._leads:
            self._leads[i] = lead(text_of(self._documents, i))
        return self._leads[i]

    def prefetch(self, docs: np.ndarray) -> None:
        """Normalize these documents now, in compiled batches (~4x faster
        than one by one; the same texts, tests/test_normalize.py)."""
        docs = docs.tolist()
        for start in range(0, len(docs), BATCH_SIZE):
            chunk = docs[start : start + BATCH_SIZE]
            self._cache.update(zip(chunk, normalize_many([text_of(self._documents, i) for i in chunk])))

    def __getitem__(self, i: int) -> str:
        if i not in self._cache:
            self._cache[i] = normalize(text_of(self._documents, i))
        return self._cache[i]


def score_clusters(hashed: HashedDocs, clusters: list[Cluster]) -> list[ScoredCluster]:
    """Exact similarity of every member to its cluster's representative."""
    if not clusters:
        return []
    pairs = np.array([(c.representative, m) for c in clusters for m in c.members[1:]], dtype=np.int64)
    sims = iter(jaccard(hashed, pairs).tolist())
    return [ScoredCluster(c, (1.0, *(next(sims) for _ in c.members[1:]))) for c in clusters]

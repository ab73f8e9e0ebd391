"""Band key -> documents: the index's posting lists, as sorted immutable
segments stored in blobs.

Why not one row per (key, document), as schema 3 stored them: a news story
has ~32 document band keys and ~210 window band keys, and inserting a row
into a SQLite B-tree of a few million rows costs ~1.5 us against ~0.03 us a
posting written in blobs (``benchmarks/bench_postings_sqlite.py``), so an
index could not add more than ~1,500 stories a second. Here the postings of
a write transaction become one sorted *segment*, written as blocks of
:data:`BLOCK` ``(key, document)`` records; segments are merged, in key order
and a range of keys at a time, into a few bigger ones (a log-structured
merge):

- level 0: the segments of recent transactions, up to
  :data:`LEVEL0_SEGMENTS`; when there are that many, they are merged into
  one, which moves to level 1 (merged with level 1's segment) once it holds
  :data:`CAPACITY` ``[0]`` postings;
- level ``i`` >= 1: one segment; when it holds more than ``CAPACITY[i]``
  postings it is merged into level ``i + 1``'s (the last level has no cap).

That rewrites a posting ~10 times by a million stories, and merging was
half of the writer's time. So the transactions of one bulk add
(:meth:`Postings.add` with ``bulk``) merge size-tiered instead: each is
a segment of level 1 as written (big already: 10,000 stories), a level
above 0 collects :data:`FANIN` segments, then merges them into one of the
next level; a load of up to ``FANIN`` transactions is never merged while
it runs. But every segment too big for a reader to hold is a set of block
reads for every story screened: screening a million stories stored tiered
was ~1.1-1.6 ms a story slower. So when the add ends, :meth:`Postings.settle`
brings the levels back to one segment each (one more rewrite: a posting of
a million-story load is written twice in all), and readers see the leveled
layout again; the newest transactions' window segments become level-0
segments as they are, so the window postings of the stories loaded last are
held whole by readers, as after a plain add. Screens during a bulk add see
up to ``FANIN`` segments a level (slower: p50 ~7 ms against ~0.8 at the end of a
million-story load, README), hence bulk adds are
for loading archives, not the default
(``benchmarks/results/bench_index.md``).

Merges run in the write transaction that triggers them, so a killed process
leaves the segments as they were (SQLite rolls the transaction back).

A lookup of a story's keys reads, in each segment, only the blocks that can
hold them: every segment's *fence* (the first key of each block) is kept in
memory, and small segments whole (the smallest up to :data:`CACHE_BYTES`:
the recent stories', where a re-sent story finds its original). A segment
of more than :data:`CACHE_POSTINGS` (a merged one, or a big transaction's)
has a Bloom filter, tested before its fence whether it is read by block or
held whole (8 to 16 bits a posting, as a power of two of 64-bit words; 1-2%
false positives on the synthetic million-story store): most of a story's
window keys are held by no other document (87% there), and a block read
there costs ~8 us (the store outgrows SQLite's 2 GB memory map), so keys the
filter rules out are not read. A removed document's postings stay in their
segments until the next merge rewrites them; its number is in ``removed``
meanwhile and lookups leave it out (numbers are never reused).

A reader must see one state of the segments: a merge deletes the blocks of
the segments it replaces. So lookups run inside a read transaction (one
snapshot), and every write transaction increments ``meta`` ``generation``,
which tells a reader that its list of segments is stale.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np
import orjson

from .codepoints import kernel

#: Records a block holds (1 KB for window keys, 1.5 KB for document band keys).
BLOCK = 256
#: Blocks a segment may have (block ids are ``segment << 24 | block``).
_BLOCK_BITS = 24
#: Level-0 segments that trigger a merge of level 0.
LEVEL0_SEGMENTS = 8
#: Postings of level 0 (merged) that move it to level 1, then the most each
#: level holds before it moves into the next.
CAPACITY = (1 << 20, 1 << 23, 1 << 26)
#: Segments this small are read whole by a reader and have no Bloom filter.
CACHE_POSTINGS = 1 << 20
#: Bytes of records a reader also holds whole of bigger segments, the
#: smallest first, as long as they fit; the others are read by block. The
#: small segments are the recent stories' postings, where a re-sent or
#: re-edited wire story finds its original: held in memory, its ~200 window
#: keys cost no block reads (~2 ms at a million stories).
CACHE_BYTES = 256 << 20
#: Segments a level collects during a bulk add before they are merged into
#: one of the next level (size-tiered). Level 1 collects the transactions'
#: segments as written, so a load of up to this many transactions writes a
#: posting twice: once, then when it settles (a million stories in 100
#: transactions of 10,000 merged in one settle: 4,459 and 4,465 docs/s
#: against 2,576-3,307 with level 0 merged by 8 and FANIN 4, README "Measured").
FANIN = 128
#: Postings a merge handles at a time (a range of keys of all its inputs).
MERGE_CHUNK = 1 << 21
#: Bloom filter bits a posting (segments of more than CACHE_POSTINGS), in 64-bit words of
#: which each key sets :data:`_BLOOM_K` bits of one.
BLOOM_BITS = 8
_BLOOM_K = 3
_BLOOM_MIX = np.uint64(0x9E3779B97F4A7C15)
#: Words of a stored filter part.
_BLOOM_PART = 1 << 17

#: The kinds of postings an index keeps, and the stored width of their keys.
BANDS, WINDOWS = 0, 1
_RECORDS = {
    BANDS: np.dtype([("key", "<i8"), ("doc", "<u4")]),
    WINDOWS: np.dtype([("key", "<i4"), ("doc", "<u4")]),
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    level INTEGER NOT NULL,
    size INTEGER NOT NULL,
    block INTEGER NOT NULL,
    filter_words INTEGER NOT NULL,
    fence BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS postings (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS filters (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS removed (doc INTEGER PRIMARY KEY);
"""


@dataclass
class _Segment:
    id: int
    kind: int
    level: int
    size: int
    #: records a block holds (:data:`BLOCK` when it was written)
    block: int
    #: 64-bit words of its Bloom filter (0: none)
    filter_words: int
    #: first key of each block
    fence: np.ndarray
    #: whether a reader holds it whole (:data:`CACHE_POSTINGS`, :data:`CACHE_BYTES`)
    cached: bool = False
    #: its ``(keys, documents)``, once read, when it is held whole
    whole: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    #: its Bloom filter, once read
    bloom: np.ndarray | None = field(default=None, repr=False)

    def block_id(self, block: int) -> int:
        return (self.id << _BLOCK_BITS) | block


def _bloom_hash(keys: np.ndarray, words: int) -> tuple[np.ndarray, np.ndarray]:
    """``(word, mask)`` of each key in a filter of ``words`` (a power of
    two, at least 2) words: the word from the high bits of a multiplicative
    hash, the bits from its low bits (the keys are hashes already). What
    :func:`_bloom_add` computes, for the keys a reader tests."""
    with np.errstate(over="ignore"):
        h = keys.astype(np.int64).view(np.uint64) * _BLOOM_MIX
    h ^= h >> np.uint64(29)
    word = (h >> np.uint64(65 - words.bit_length())).astype(np.int64)
    mask = np.zeros(h.size, dtype=np.uint64)
    for k in range(_BLOOM_K):
        mask |= np.uint64(1) << ((h >> np.uint64(6 * k)) & np.uint64(63))
    return word, mask


@kernel(nogil=True)
def _bloom_add(words, keys, shift):
    """Set the bits of ``keys`` (uint64 views of the keys) in ``words``: one
    pass of :func:`_bloom_hash` (its numpy form took ~12% of adding). Without
    the GIL: a merge runs it in a helper thread while it writes blocks."""
    for i in range(keys.size):
        h = keys[i] * _BLOOM_MIX
        h ^= h >> np.uint64(29)
        mask = np.uint64(0)
        for k in range(_BLOOM_K):
            mask |= np.uint64(1) << ((h >> np.uint64(6 * k)) & np.uint64(63))
        words[h >> shift] |= mask


def _records(rows: list[tuple[bytes]], kind: int) -> np.ndarray:
    """The records of fetched block rows, in their order."""
    return np.frombuffer(b"".join(map(itemgetter(0), rows)), dtype=_RECORDS[kind])


_HALF = np.uint64(32)
_SIGN = np.uint64(1 << 63)


def _in_key_order(records: np.ndarray) -> np.ndarray:
    """``records`` sorted by key: window records by key, then document; band
    records by key, stably.

    A window record (32-bit key, 32-bit document) is sorted as one uint64,
    the key's bits above the document's (its sign bit flipped: signed
    order), not by a stable argsort of the keys and a gather: 27 against
    99 ms for 2 million records of 100 sorted runs, as a merge's chunk holds
    them, and the settle of a million stories sorts ~210 million. The
    order is the same where documents were ascending within a key already
    (a merge's inputs are in id order, oldest first, and document numbers
    grow). Band records (64-bit keys, 12 bytes) keep the stable argsort."""
    if records.dtype != _RECORDS[WINDOWS]:
        return records[np.argsort(records["key"], kind="stable")]
    words = np.ascontiguousarray(records).view("<u8")  # the key in the low half, the document in the high
    packed = (words << _HALF) | (words >> _HALF)
    packed ^= _SIGN
    packed.sort()
    packed ^= _SIGN
    return ((packed << _HALF) | (packed >> _HALF)).view(_RECORDS[WINDOWS])


def _split(records: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, documents)`` of ``records``, as int64."""
    return records["key"].astype(np.int64), records["doc"].astype(np.int64)


@kernel()
def _lower_bound(a, x, lo):
    """First position at or after ``lo`` of sorted ``a`` whose value is not
    below ``x``."""
    hi = a.size
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@kernel()
def _match(keys, query):
    """``(query index, position in keys)`` of every key of sorted ``keys``
    equal to a key of ``query`` (sorted, distinct), in key order. One kernel
    call instead of the ~10 numpy calls of a searchsorted formulation: a
    lookup visits ~10 segments, and their per-call costs were most of it.
    The walk of :func:`_match_blocks` over ``keys`` as one block."""
    if keys.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return _match_blocks(keys, np.zeros(1, dtype=np.int64), keys.size, query)


@kernel()
def _walk_blocks(keys, blocks, block, query, which, at):
    """The number of matches :func:`_match_blocks` finds, each written to
    ``which`` and ``at`` while they have room (empty: only counted)."""
    n = 0
    start = 0
    for b in blocks:
        lo = b * block
        hi = min(lo + block, keys.size)
        start = _lower_bound(query, keys[lo], start)
        p = lo
        q = start
        while q < query.size and query[q] <= keys[hi - 1]:
            p = _lower_bound(keys[:hi], query[q], p)
            while p < hi and keys[p] == query[q]:
                if n < which.size:
                    which[n] = q
                    at[n] = p
                n += 1
                p += 1
            q += 1
    return n


@kernel()
def _match_blocks(keys, blocks, block, query):
    """:func:`_match` over the records of ``blocks`` (sorted, distinct block
    numbers of ``block`` records, each below the segment's number of blocks,
    as :func:`_probe` returns them: compiled, nothing is bounds-checked) of
    ``keys`` only, positions in ``keys``: a big segment held whole is
    searched where its filter and fence point without copying those blocks
    out first (a story's window keys select ~200 blocks, ~50,000 records)."""
    none = np.empty(0, dtype=np.int64)
    total = _walk_blocks(keys, blocks, block, query, none, none)
    which = np.empty(total, dtype=np.int64)
    at = np.empty(total, dtype=np.int64)
    _walk_blocks(keys, blocks, block, query, which, at)
    return which, at


@kernel()
def _probe(fence, bloom, shift, query, bits, block, crowd):
    """The blocks of a big segment (read by block, or held whole) that may hold keys of
    ``query`` (sorted, distinct; ``bits`` their uint64 views), sorted and
    distinct, and a mask of the keys found crowded from their blocks alone.

    A key is skipped when the Bloom filter ``bloom`` (no words: none) rules
    it out or when it sorts before the first block; else it spans blocks
    ``first..last`` of the ``fence`` (first key of each block). With
    ``crowd`` >= 0, a key whose blocks strictly between the first and the
    last hold at least ``crowd`` postings (of that key only) is crowded, and
    its blocks are not read. What ``_probe_reference`` computes in numpy."""
    n = query.size
    first = np.empty(n, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    crowded = np.zeros(n, dtype=np.bool_)
    lo = 0
    for q in range(n):
        if bloom.size:
            h = bits[q] * _BLOOM_MIX
            h ^= h >> np.uint64(29)
            mask = np.uint64(0)
            for k in range(_BLOOM_K):
                mask |= np.uint64(1) << ((h >> np.uint64(6 * k)) & np.uint64(63))
            if bloom[h >> shift] & mask != mask:
                continue
        left = _lower_bound(fence, query[q], lo)
        right = left
        while right < fence.size and fence[right] == query[q]:
            right += 1
        lo = left
        if right == 0:
            continue
        f, l = max(left - 1, 0), right - 1
        if crowd >= 0 and (l - f - 1) * block >= crowd:
            crowded[q] = True
            continue
        first[q], last[q] = f, l
    total = 0
    top = -1
    for q in range(n):
        if last[q] > top:
            total += last[q] - max(first[q], top + 1) + 1
            top = last[q]
    blocks = np.empty(total, dtype=np.int64)
    total = 0
    top = -1
    for q in range(n):
        if last[q] > top:
            for b in range(max(first[q], top + 1), last[q] + 1):
                blocks[total] = b
                total += 1
            top = last[q]
    return blocks, crowded


def _probe_reference(
    fence: np.ndarray, bloom: np.ndarray, query: np.ndarray, block: int, crowd: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_probe` in numpy (the specification its tests compare with)."""
    held = np.ones(query.size, dtype=bool)
    if bloom.size:
        word, mask = _bloom_hash(query, bloom.size)
        held = (bloom[word] & mask) == mask
    last = np.searchsorted(fence, query, "right") - 1
    first = np.maximum(np.searchsorted(fence, query, "left") - 1, 0)
    held &= last >= 0
    crowded = np.zeros(query.size, dtype=bool)
    if crowd >= 0:
        crowded = held & ((last - first - 1) * block >= crowd)
        held &= ~crowded
    spans = [np.arange(f, l + 1) for f, l in zip(first[held], last[held])]
    blocks = np.unique(np.concatenate(spans)) if spans else np.empty(0, np.int64)
    return blocks.astype(np.int64), crowded


class Postings:
    """The segments of one connection's store, as of its last refresh."""

    def __init__(self, con: sqlite3.Connection):
        self._con = con
        self._generation: str | None = None
        self._segments: dict[int, _Segment] = {}
        self._removed = np.empty(0, dtype=np.int64)

    # -- reading -------------------------------------------------------------

    def refresh(self) -> None:
        """Bring the list of segments up to the current snapshot (call it in
        the read or write transaction the lookups run in)."""
        generation = self._con.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        generation = generation[0] if generation else None
        if generation == self._generation and generation is not None:
            return
        live = {row[0]: row[1:] for row in self._con.execute("SELECT id, kind, level, size, block, filter_words FROM segments")}
        segments = {sid: s for sid, s in self._segments.items() if sid in live}
        for sid, segment in segments.items():
            segment.level = live[sid][1]  # settle() may have moved it
        for sid, (kind, level, size, block, words) in live.items():
            if sid not in segments:
                fence = self._con.execute("SELECT fence FROM segments WHERE id = ?", (sid,)).fetchone()[0]
                segments[sid] = _Segment(sid, kind, level, size, block, words, np.frombuffer(fence, dtype="<i8"))
        budget = CACHE_BYTES
        for segment in sorted(segments.values(), key=lambda s: (s.size, s.id)):
            size = segment.size * _RECORDS[segment.kind].itemsize
            segment.cached = segment.size <= CACHE_POSTINGS or size <= budget
            if segment.cached and segment.size > CACHE_POSTINGS:
                budget -= size
            elif not segment.cached:
                segment.whole = None
        self._segments = segments
        self._removed = np.array([d for (d,) in self._con.execute("SELECT doc FROM removed ORDER BY doc")], np.int64)
        self._generation = generation

    def invalidate(self) -> None:
        """This connection wrote: the next lookup re-reads the segments."""
        self._generation = None

    def _of(self, kind: int) -> list[_Segment]:
        return sorted((s for s in self._segments.values() if s.kind == kind), key=lambda s: s.id)

    def _read_blocks(self, segment: _Segment, blocks: np.ndarray) -> np.ndarray:
        """Records of ``blocks`` (sorted block numbers) of ``segment``, in order."""
        ids = (np.int64(segment.id) << np.int64(_BLOCK_BITS)) | blocks
        rows = self._con.execute(
            "SELECT p.data FROM json_each(?1) AS j JOIN postings AS p ON p.id = j.value ORDER BY j.key",
            (orjson.dumps(ids, option=orjson.OPT_SERIALIZE_NUMPY).decode(),),
        ).fetchall()
        return _records(rows, segment.kind)

    def _range(self, segment: _Segment, first: int, last: int) -> np.ndarray:
        """The records of blocks ``first..last`` of ``segment``, in order."""
        rows = self._con.execute(
            "SELECT data FROM postings WHERE id BETWEEN ? AND ? ORDER BY id",
            (segment.block_id(first), segment.block_id(last)),
        ).fetchall()
        return _records(rows, segment.kind)

    def _read_range(self, segment: _Segment, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        return _split(self._range(segment, first, last))

    def _filter(self, segment: _Segment) -> np.ndarray:
        """``segment``'s Bloom filter words (none: empty), read once."""
        if segment.bloom is None:
            rows = self._con.execute(
                "SELECT data FROM filters WHERE id BETWEEN ? AND ? ORDER BY id",
                (segment.block_id(0), segment.block_id((1 << _BLOCK_BITS) - 1)),
            ).fetchall()
            segment.bloom = np.frombuffer(b"".join(map(itemgetter(0), rows)), dtype=np.uint64)
        return segment.bloom

    def _whole(self, segment: _Segment) -> tuple[np.ndarray, np.ndarray]:
        """``(keys, documents)`` of a segment the reader holds whole, read
        once, each contiguous (the kernels walk the keys)."""
        if segment.whole is None:
            records = self._range(segment, 0, segment.fence.size - 1)
            segment.whole = (np.ascontiguousarray(records["key"]), np.ascontiguousarray(records["doc"]))
        return segment.whole

    def lookup(self, kind: int, query: np.ndarray, crowd: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The live postings of the keys ``query`` (sorted, distinct, int64):
        ``(query index, document)`` of each, and a mask of the keys found
        *crowded* without reading them: held by at least ``crowd`` live
        documents (a window key of boilerplate held by thousands is not read
        block by block; ``crowd`` None reads every posting)."""
        which_parts, doc_parts = [], []
        crowded = np.zeros(query.size, dtype=bool)
        query = np.ascontiguousarray(query, dtype=np.int64)
        bits = query.view(np.uint64)
        limit = -1 if crowd is None else crowd + self._removed.size
        for segment in self._of(kind):
            if segment.size <= CACHE_POSTINGS:
                keys, docs = self._whole(segment)
                which, at = _match(keys, query)
            else:
                # a big segment, even held whole: searching millions of keys
                # for each of ~200 costs a cache miss a step, its filter and
                # fence not
                bloom = self._filter(segment)
                shift = np.uint64(65 - bloom.size.bit_length())
                blocks, full = _probe(segment.fence, bloom, shift, query, bits, segment.block, limit)
                crowded |= full
                if not blocks.size:
                    continue
                if segment.cached:
                    keys, docs = self._whole(segment)
                    which, at = _match_blocks(keys, blocks, segment.block, query)
                else:
                    records = self._read_blocks(segment, blocks)
                    docs = records["doc"]
                    which, at = _match(records["key"], query)
                keep = ~crowded[which]
                which, at = which[keep], at[keep]
            which_parts.append(which)
            doc_parts.append(docs[at].astype(np.int64))
        if not which_parts:
            return np.empty(0, np.int64), np.empty(0, np.int64), crowded
        which, docs = np.concatenate(which_parts), np.concatenate(doc_parts)
        if self._removed.size:
            live = ~np.isin(docs, self._removed)
            which, docs = which[live], docs[live]
        return which, docs, crowded

    def all(self, kind: int) -> tuple[np.ndarray, np.ndarray]:
        """Every live posting of ``kind``, ``(keys, documents)`` (tests, stats)."""
        parts = [self._read_range(s, 0, s.fence.size - 1) for s in self._of(kind)]
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        keys, docs = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        live = ~np.isin(docs, self._removed)
        return keys[live], docs[live]

    def counts(self) -> dict[str, int]:
        """Segments and stored postings (removed documents' included)."""
        return {
            "segments": len(self._segments),
            "postings": sum(s.size for s in self._segments.values()),
        }

    # -- writing (in the caller's write transaction) ----------------------------

    def remove(self, docs: list[int]) -> None:
        self._con.executemany("INSERT OR IGNORE INTO removed (doc) VALUES (?)", [(d,) for d in docs])
        self.invalidate()

    def add(self, kind: int, keys: np.ndarray, docs: np.ndarray, bulk: bool = False) -> None:
        """Store postings ``(keys[i], docs[i])`` (any order) as a new level-0
        segment, then merge what is due: leveled, or with ``bulk`` as a
        level-1 segment merged size-tiered (then :meth:`settle` when the
        bulk add ends)."""
        if not keys.size:
            return
        records = np.empty(keys.size, dtype=_RECORDS[kind])
        records["key"] = keys
        records["doc"] = docs
        # a big transaction's segment is big from the start: it gets its
        # filter now (lookups in it skip the keys it does not hold)
        writer = _SegmentWriter(self._con, kind, 1 if bulk else 0, expected=keys.size)
        writer.append(_in_key_order(records))
        writer.close()
        self.invalidate()
        self.refresh()
        self._maintain(kind, bulk)

    def _at(self, kind: int, level: int) -> list[_Segment]:
        return [s for s in self._of(kind) if s.level == level]

    def _maintain(self, kind: int, bulk: bool) -> None:
        if bulk:
            level = 1
            while level <= max(s.level for s in self._of(kind)):
                at = self._at(kind, level)
                if len(at) >= FANIN:
                    self._merge(at, level + 1)
                level += 1
            return
        level0 = self._at(kind, 0)
        if len(level0) >= LEVEL0_SEGMENTS:
            if sum(s.size for s in level0) >= CAPACITY[0]:
                self._merge(level0 + self._at(kind, 1), 1)
            else:
                self._merge(level0, 0)
        for level in range(1, len(CAPACITY)):
            at = self._at(kind, level)
            if sum(s.size for s in at) > CAPACITY[level]:
                self._merge(at + self._at(kind, level + 1), level + 1)

    def settle(self, kind: int) -> None:
        """Back to one segment a level above level 0, each within its
        level's capacity (what :meth:`add` keeps without ``bulk``): every
        such segment goes to the first level whose capacity holds it, merged
        with what is there; a level that would overflow goes up whole into
        the next. But the newest window segments of levels 0 and 1 (the
        last transactions') stay or go to level 0 as they are, fewer than
        :data:`LEVEL0_SEGMENTS` and at most ``CAPACITY[1]`` postings, about
        what a leveled store keeps below level 2: the stories loaded last
        keep their window postings in segments a reader holds whole, where
        a copy of one of them is found without block reads."""
        for group, level in self._unsettled(kind):
            if len(group) > 1:
                self._merge(group, level)
            else:
                self._con.execute("UPDATE segments SET level = ? WHERE id = ?", (level, group[0].id))
                self.invalidate()
                self.refresh()

    def unsettled(self) -> bool:
        """Whether a bulk add left segments for :meth:`settle`."""
        return any(self._unsettled(kind) for kind in _RECORDS)

    def _unsettled(self, kind: int) -> list[tuple[list[_Segment], int]]:
        """What :meth:`settle` does: ``(segments, level)``, each group to
        become one segment at that level (empty: leveled already)."""
        segments = self._of(kind)
        if not self._leveling([s for s in segments if s.level >= 1]):
            return []
        # the newest of level 0 and of the transactions' segments (ids grow
        # with time; a merge's output is newer than all it holds); window
        # postings only: a copy finds its original by its ~200 window keys,
        # but by only 32 band keys, and every small segment costs each story
        # screened a lookup (bands kept too, screens were slower than before
        # the change: p50 2.08 against 1.84 ms; bands merged, 1.70 against 2.11)
        recent: list[_Segment] = []
        budget = CAPACITY[1] if kind == WINDOWS else 0
        for segment in sorted((s for s in segments if s.level <= 1), key=lambda s: s.id, reverse=True):
            if len(recent) == LEVEL0_SEGMENTS - 1 or segment.size > budget:
                break
            recent.append(segment)
            budget -= segment.size
        keep = [([s], 0) for s in recent if s.level != 0]
        return keep + self._leveling([s for s in segments if s not in recent])

    @staticmethod
    def _leveling(above: list[_Segment]) -> list[tuple[list[_Segment], int]]:
        """``(segments, level)`` that make ``above`` one segment a level
        above 0, each within its level's capacity."""
        top = len(CAPACITY)  # the last level, without a cap
        home = {s.id: next((i for i in range(1, top) if s.size <= CAPACITY[i]), top) for s in above}
        plan: list[tuple[list[_Segment], int]] = []
        carry: list[_Segment] = []
        for level in range(1, top + 1):
            group = carry + [s for s in above if home[s.id] == level]
            carry = []
            if level < top and sum(s.size for s in group) > CAPACITY[level]:
                carry = group
            elif len(group) > 1 or (group and group[0].level != level):
                plan.append((group, level))
        return plan

    def _merge(self, inputs: list[_Segment], level: int) -> None:
        """Replace ``inputs`` by one segment at ``level``: a range of keys at
        a time (bounded memory), removed documents' postings left out."""
        kind = inputs[0].kind
        largest = max(inputs, key=lambda s: s.size)
        total = sum(s.size for s in inputs)
        # ranges cut at the largest input's blocks, ~MERGE_CHUNK postings of all inputs each
        step = max(1, MERGE_CHUNK * largest.size // (total * largest.block))
        bounds = [int(k) for k in largest.fence[step::step]]
        ranges = zip([None, *bounds], [*bounds, None])
        # A helper thread sorts each range's records and fills the Bloom
        # filter while this one reads the next range and writes blocks (SQLite,
        # numpy's sort and the filter kernel all release the GIL): the workers
        # of a bulk add are idle while it settles.
        with ThreadPoolExecutor(1) as helper:
            writer = _SegmentWriter(self._con, kind, level, expected=total, helper=helper)
            sorting: Future | None = None
            for lo, hi in ranges:
                parts = []
                for segment in inputs:
                    fence = segment.fence
                    first = 0 if lo is None else max(int(np.searchsorted(fence, lo, "left")) - 1, 0)
                    last = fence.size - 1 if hi is None else int(np.searchsorted(fence, hi, "left")) - 1
                    if last < first:
                        continue
                    records = self._range(segment, first, last)
                    keys = records["key"]  # sorted: the range is a slice
                    start = 0 if lo is None else int(np.searchsorted(keys, lo, "left"))
                    end = keys.size if hi is None else int(np.searchsorted(keys, hi, "left"))
                    parts.append(records[start:end])
                if not parts:
                    continue
                records = np.concatenate(parts)
                if self._removed.size:
                    records = records[~np.isin(records["doc"], self._removed)]
                ready, sorting = sorting, helper.submit(_in_key_order, records)
                if ready is not None:
                    writer.append(ready.result())
            if sorting is not None:
                writer.append(sorting.result())
            writer.finish()
        # Freed pages of blocks (key hashes and document numbers, no text)
        # are not zeroed: with secure_delete on (Debian's SQLite builds), zeroing
        # them wrote the inputs once more (settling a million stories: 75.6
        # against 68.3 s); content left in pages still in use is still zeroed.
        (secure,) = self._con.execute("PRAGMA secure_delete").fetchone()
        self._con.execute("PRAGMA secure_delete=FAST")
        try:
            for segment in inputs:
                for table in ("postings", "filters"):
                    self._con.execute(
                        f"DELETE FROM {table} WHERE id BETWEEN ? AND ?",
                        (segment.block_id(0), segment.block_id((1 << _BLOCK_BITS) - 1)),
                    )
                self._con.execute("DELETE FROM segments WHERE id = ?", (segment.id,))
        finally:
            self._con.execute(f"PRAGMA secure_delete={('OFF', 'ON', 'FAST')[secure]}")
        writer.close()
        self.invalidate()
        self.refresh()


class _SegmentWriter:
    """Writes one segment's blocks as sorted records arrive."""

    def __init__(
        self, con: sqlite3.Connection, kind: int, level: int, expected: int = 0, helper: ThreadPoolExecutor | None = None
    ):
        """``expected``: at most how many postings will come; a segment that
        will be bigger than :data:`CACHE_POSTINGS` gets a Bloom filter sized for them,
        filled by ``helper`` (one thread: the filter's updates stay in order)
        when there is one."""
        self._con = con
        self._helper = helper
        self._filling: list[Future] = []
        self._kind = kind
        self._id = con.execute(
            "INSERT INTO segments (kind, level, size, block, filter_words, fence) VALUES (?, ?, 0, ?, 0, x'')",
            (kind, level, BLOCK),
        ).lastrowid
        self._bloom = None
        if expected > CACHE_POSTINGS:
            words = 1 << max(1, int(np.ceil(np.log2(expected * BLOOM_BITS / 64))))
            self._bloom = np.zeros(words, dtype=np.uint64)
        self._pending = np.empty(0, dtype=_RECORDS[kind])
        self._blocks = 0
        self._size = 0
        self._fence: list[np.ndarray] = []

    def append(self, records: np.ndarray) -> None:
        """Records (``_RECORDS[kind]``), sorted by key, after those before."""
        self._pending = np.concatenate([self._pending, records])
        self._flush(final=False)

    def _flush(self, final: bool) -> None:
        whole = self._pending.size // BLOCK * BLOCK
        end = self._pending.size if final else whole
        if not end:
            return
        out = self._pending[:end]
        starts = range(0, end, BLOCK)
        self._con.executemany(
            "INSERT INTO postings (id, data) VALUES (?, ?)",
            (((self._id << _BLOCK_BITS) | (self._blocks + n), out[s : s + BLOCK].tobytes()) for n, s in enumerate(starts)),
        )
        self._fence.append(out["key"][::BLOCK].astype("<i8"))
        if self._bloom is not None:
            keys = out["key"].astype(np.int64).view(np.uint64)  # a copy: ``out`` is a view of pending
            shift = np.uint64(65 - self._bloom.size.bit_length())
            if self._helper is None:
                _bloom_add(self._bloom, keys, shift)
            else:
                self._filling.append(self._helper.submit(_bloom_add, self._bloom, keys, shift))
        self._blocks += len(starts)
        self._size += end
        self._pending = self._pending[end:]

    def finish(self) -> None:
        """Write the last block and wait for the filter (before ``helper`` shuts down)."""
        self._flush(final=True)
        for filling in self._filling:
            filling.result()
        self._filling.clear()

    def close(self) -> None:
        self.finish()
        if not self._size:
            self._con.execute("DELETE FROM segments WHERE id = ?", (self._id,))
            return
        fence = np.concatenate(self._fence)
        words = 0
        if self._bloom is not None:
            words = self._bloom.size
            bloom = self._bloom.astype("<u8")
            self._con.executemany(
                "INSERT INTO filters (id, data) VALUES (?, ?)",
                (
                    ((self._id << _BLOCK_BITS) | n, bloom[start : start + _BLOOM_PART].tobytes())
                    for n, start in enumerate(range(0, words, _BLOOM_PART))
                ),
            )
        self._con.execute(
            "UPDATE segments SET size = ?, filter_words = ?, fence = ? WHERE id = ?",
            (self._size, words, fence.tobytes(), self._id),
        )

"""The index's posting lists (dedup.postings) against a dictionary: after
many writes, merges at every level and removals, a lookup returns exactly
the live postings of its keys, and a key reported crowded without being
read is held by at least that many live documents."""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict

import numpy as np
import pytest

import dedup.postings as postings_module
from dedup.postings import BANDS, WINDOWS, Postings

from test_index import tiny_segments  # noqa: F401


def store() -> tuple[sqlite3.Connection, Postings]:
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    con.execute("INSERT INTO meta VALUES ('generation', '0')")
    for statement in filter(str.strip, postings_module.SCHEMA.split(";")):
        con.execute(statement)
    return con, Postings(con)


def write(con: sqlite3.Connection, postings: Postings, step) -> None:
    """One write transaction, as dedup.index runs them."""
    con.execute("BEGIN IMMEDIATE")
    con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
    postings.invalidate()
    postings.refresh()
    step()
    con.execute("COMMIT")


def leveled(con: sqlite3.Connection, kind: int) -> bool:
    """The layout :meth:`Postings.settle` restores: one segment a level
    above 0, each within its level's capacity, no level above the last."""
    caps = postings_module.CAPACITY
    rows = con.execute("SELECT level, count(*), sum(size) FROM segments WHERE kind = ? GROUP BY level", (kind,)).fetchall()
    return all(
        level == 0 or (count == 1 and level <= len(caps) and (level == len(caps) or size <= caps[level]))
        for level, count, size in rows
    )


@pytest.mark.parametrize("bulk", [False, True])
@pytest.mark.parametrize("cache_bytes", [0, 3000])
@pytest.mark.parametrize("kind", [BANDS, WINDOWS])
def test_lookups_equal_a_dictionary_through_merges_and_removals(tiny_segments, monkeypatch, kind, cache_bytes, bulk):
    """With ``cache_bytes`` 3000, a reader holds some of the bigger segments
    whole and reads the others by block (the budget the smallest first).
    With ``bulk``, writes merge size-tiered and are settled every 25 steps."""
    monkeypatch.setattr(postings_module, "CACHE_BYTES", cache_bytes)
    rng = random.Random(kind)
    con, postings = store()
    reader = Postings(con)
    truth: dict[int, set[int]] = defaultdict(set)
    removed: set[int] = set()
    # a few hot keys (held by many documents, spanning blocks), many rare ones
    hot = [rng.randrange(-(2**31), 2**31) for _ in range(4)]
    doc = 0
    levels: set[int] = set()
    tiered = False
    shortcuts = 0
    held_whole: set[int] = set()
    read_by_block: set[int] = set()
    for step in range(120):
        keys, docs = [], []
        for _ in range(rng.randint(1, 12)):
            doc += 1
            mine = set(rng.sample(hot, rng.randint(0, 2))) | {rng.randrange(-(2**31), 2**31) for _ in range(rng.randint(3, 20))}
            mine |= {rng.randrange(0, 300) for _ in range(2)}  # keys shared by chance
            for key in mine:
                keys.append(key)
                docs.append(doc)
                truth[key].add(doc)
        write(con, postings, lambda: postings.add(kind, np.array(keys, np.int64), np.array(docs, np.int64), bulk))
        if not bulk:
            assert leveled(con, kind)
        else:
            tiered |= not leveled(con, kind)  # several segments on a level
            if step % 25 == 24:
                write(con, postings, lambda: postings.settle(kind))
                assert leveled(con, kind) and not postings.unsettled()
        if step % 7 == 3:
            gone = rng.sample(range(1, doc + 1), 5)
            removed.update(gone)
            write(con, postings, lambda: postings.remove(gone))
        levels |= {level for (level,) in con.execute("SELECT DISTINCT level FROM segments")}
        con.execute("BEGIN")
        reader.refresh()
        every = sorted(truth)
        query = np.array(sorted(rng.sample(every, min(40, len(every))) + hot[:2]), np.int64)
        query = np.unique(query)
        for crowd in (None, 10):
            which, found, crowded = reader.lookup(kind, query, crowd)
            got: dict[int, set[int]] = defaultdict(set)
            for w, d in zip(which.tolist(), found.tolist()):
                got[int(query[w])].add(d)
            for q, is_crowded in zip(query.tolist(), crowded.tolist()):
                live = truth[q] - removed
                if is_crowded:
                    assert crowd is not None and len(live) >= crowd
                else:
                    assert got[q] == live
            if crowd is None:
                assert not crowded.any()
            shortcuts += int(crowded.sum())
        held_whole |= {s.id for s in reader._segments.values() if s.cached and s.size > postings_module.CACHE_POSTINGS}
        read_by_block |= {s.id for s in reader._segments.values() if not s.cached}
        con.execute("COMMIT")
    # every level was reached (bulk: level 0 holds only settled window segments)
    assert levels >= ({1, 2, 3} if bulk and kind == BANDS else {0, 1, 2, 3})
    assert bulk or levels == {0, 1, 2, 3}  # and, leveled, none above the last
    assert tiered == bulk
    assert read_by_block and bool(held_whole) == bool(cache_bytes)
    assert shortcuts > 0  # hot keys were found crowded by their blocks alone
    con.execute("BEGIN")
    reader.refresh()
    keys, docs = reader.all(kind)
    assert sorted(zip(keys.tolist(), docs.tolist())) == sorted((k, d) for k, ds in truth.items() for d in ds - removed)
    con.execute("COMMIT")


def test_bloom_filters_pass_every_held_key_and_few_others(monkeypatch):
    monkeypatch.setattr(postings_module, "CACHE_POSTINGS", 100)
    rng = np.random.default_rng(5)
    con, postings = store()
    held = rng.choice(np.arange(-(2**31), 2**31, 7919, dtype=np.int64), 3000, replace=False)

    def passed(segment, keys: np.ndarray) -> np.ndarray:
        bloom = postings._filter(segment)
        word, mask = postings_module._bloom_hash(keys, bloom.size)
        return (bloom[word] & mask) == mask

    for n, part in enumerate(np.array_split(held, 8)):  # eight level-0 segments, merged into one with a filter
        write(con, postings, lambda: postings.add(WINDOWS, part, np.arange(part.size, dtype=np.int64)))
        if n == 0:  # a transaction's segment bigger than CACHE_POSTINGS has one from the start
            (first,) = postings._of(WINDOWS)
            assert first.level == 0 and first.filter_words and passed(first, part).all()
    (segment,) = postings._of(WINDOWS)
    assert segment.filter_words and segment.size == held.size
    assert passed(segment, held).all()
    others = np.setdiff1d(rng.integers(-(2**31), 2**31, 20000), held)
    assert passed(segment, others).mean() < 0.1


def _match_reference(keys: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(query index, position)`` with ``keys[position] == query[index]``, by brute force."""
    pairs = [(q, p) for q, x in enumerate(query.tolist()) for p, k in enumerate(keys.tolist()) if k == x]
    return np.array([q for q, _ in pairs], np.int64), np.array([p for _, p in pairs], np.int64)


@pytest.mark.parametrize("seed", range(40))
def test_lookup_kernels_equal_their_references(seed):
    """The compiled lookup kernels against plain references, on keys with
    long runs of one key (crowded), keys before the first block and after
    the last, and filters that rule keys out."""
    rng = np.random.default_rng(seed)
    span = int(rng.integers(5, 400))
    keys = np.sort(rng.integers(-span, span, int(rng.integers(0, 3000))))
    if seed % 3 == 0 and keys.size:
        keys = np.sort(np.concatenate([keys, np.full(int(rng.integers(200, 2000)), keys[keys.size // 2])]))
    query = np.unique(rng.integers(-span - 5, span + 5, int(rng.integers(0, 120)))).astype(np.int64)
    which, at = postings_module._match(keys, query)
    expected = _match_reference(keys, query)
    assert which.tolist() == expected[0].tolist() and at.tolist() == expected[1].tolist()
    block = int(rng.integers(2, 64))
    fence = np.ascontiguousarray(keys[::block], dtype=np.int64)
    bloom = np.zeros(0, np.uint64)
    if seed % 2:  # a filter of half the distinct keys: the others are ruled out (or pass falsely)
        bloom = np.zeros(1 << int(rng.integers(1, 8)), np.uint64)
        kept = np.unique(keys)[::2].astype(np.int64)
        postings_module._bloom_add(bloom, kept.view(np.uint64), np.uint64(65 - bloom.size.bit_length()))
    for crowd in (-1, 0, block, 5 * block):
        blocks, crowded = postings_module._probe(
            fence, bloom, np.uint64(65 - bloom.size.bit_length()), query, query.view(np.uint64), block, crowd
        )
        ref_blocks, ref_crowded = postings_module._probe_reference(fence, bloom, query, block, crowd)
        assert blocks.tolist() == ref_blocks.tolist()
        assert crowded.tolist() == ref_crowded.tolist()
        # the probed blocks of a segment held whole, searched in place: the
        # keys of those blocks (gathered) equal to a query key, by brute force
        inside = np.concatenate([np.arange(b * block, min((b + 1) * block, keys.size)) for b in blocks.tolist()] + [[]])
        expected = _match_reference(keys[inside.astype(np.int64)], query)
        for stored in (keys, keys.astype(np.int32)):  # document band keys, window keys
            which, at = postings_module._match_blocks(stored, blocks, block, query)
            assert which.tolist() == expected[0].tolist()
            assert at.tolist() == inside.astype(np.int64)[expected[1]].tolist()


@pytest.mark.parametrize("kind", [BANDS, WINDOWS])
@pytest.mark.parametrize("seed", range(6))
def test_records_are_put_in_key_then_document_order(kind, seed):
    """The sort of a segment's records (window records sorted as packed
    uint64) against numpy's lexsort: keys at both ends of their range
    (the sign bit), repeated keys, documents up to 2^32 - 1, in any order."""
    rng = np.random.default_rng(seed)
    dtype = postings_module._RECORDS[kind]
    info = np.iinfo(dtype["key"])
    n = int(rng.integers(0, 5000))
    records = np.empty(n, dtype=dtype)
    records["key"] = rng.choice(np.array([info.min, info.min + 1, -1, 0, 1, info.max - 1, info.max]), n)
    records["key"][::3] = rng.integers(info.min, info.max, n, endpoint=True, dtype=dtype["key"])[::3]
    if seed % 2:  # documents ascending within a key, as transactions write them: the stable order
        records["doc"] = np.sort(rng.integers(0, 2**32, n, dtype=np.uint32))
    else:
        records["doc"] = rng.integers(0, 2**32, n, dtype=np.uint32)
    out = postings_module._in_key_order(records)
    if kind == WINDOWS or seed % 2:
        expected = records[np.lexsort((records["doc"], records["key"]))]
    else:  # band records: stable by key, documents in their order
        expected = records[np.argsort(records["key"], kind="stable")]
    assert out.dtype == dtype
    assert out["key"].tolist() == expected["key"].tolist()
    assert out["doc"].tolist() == expected["doc"].tolist()


def test_a_lookup_reads_the_snapshot_its_transaction_began_with(tmp_path, tiny_segments):
    """A merge committed by another connection deletes the blocks of the
    segments it replaces; a reader inside its read transaction still reads
    them (what dedup.index's screen relies on: one snapshot a screen)."""
    path = tmp_path / "p.db"
    writer_con = sqlite3.connect(path, isolation_level=None)
    writer_con.execute("PRAGMA journal_mode=WAL")
    writer_con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    writer_con.execute("INSERT INTO meta VALUES ('generation', '0')")
    for statement in filter(str.strip, postings_module.SCHEMA.split(";")):
        writer_con.execute(statement)
    writer = Postings(writer_con)
    keys = np.arange(0, 600 * 7919, 7919, dtype=np.int64)
    for part in np.array_split(keys, 2):  # two level-0 segments; a third triggers their merge
        write(writer_con, writer, lambda: writer.add(BANDS, part, part % 1000))
    reader_con = sqlite3.connect(path, isolation_level=None)
    reader = Postings(reader_con)
    reader_con.execute("BEGIN")
    reader.refresh()
    before = {s.id for s in reader._of(BANDS)}
    write(writer_con, writer, lambda: writer.add(BANDS, keys[:50] + 1, np.zeros(50, np.int64)))
    assert before.isdisjoint(s.id for s in writer._of(BANDS))  # merged away, blocks deleted
    which, docs, _ = reader.lookup(BANDS, keys)
    assert np.array_equal(np.sort(docs), np.sort(keys % 1000))
    reader_con.execute("COMMIT")


def test_settle_moves_a_lone_segment_down_and_the_writer_sees_it(tiny_segments):
    """A tiered merge whose inputs lost postings to removals can be small
    enough for a lower level: settle relabels it (no rewrite), and the same
    Postings then finds the layout leveled and keeps it so."""
    con, postings = store()
    rng = np.random.default_rng(3)
    doc = 0
    for _ in range(postings_module.FANIN):  # FANIN level-1 segments
        docs = np.arange(doc + 1, doc + 31)
        doc += 30
        keys = rng.integers(-(2**31), 2**31, size=(30, 5))
        write(con, postings, lambda: postings.add(WINDOWS, keys.ravel(), np.repeat(docs, 5), True))
        if doc == 30 * postings_module.FANIN - 30:
            write(con, postings, lambda: postings.remove(list(range(1, doc - 60))))  # most documents go
    levels = dict(con.execute("SELECT level, count(*) FROM segments WHERE kind = ? GROUP BY level", (WINDOWS,)))
    assert levels == {2: 1}  # the four level-1 segments merged, the removed postings left out
    (size,) = con.execute("SELECT size FROM segments").fetchone()
    assert size <= postings_module.CAPACITY[1]  # it belongs on level 1
    write(con, postings, lambda: postings.settle(WINDOWS))
    assert con.execute("SELECT level FROM segments").fetchall() == [(1,)]
    assert leveled(con, WINDOWS) and not postings.unsettled()
    for _ in range(2 * postings_module.LEVEL0_SEGMENTS):  # plain adds keep it leveled
        docs = np.arange(doc + 1, doc + 31)
        doc += 30
        keys = rng.integers(-(2**31), 2**31, size=(30, 5))
        write(con, postings, lambda: postings.add(WINDOWS, keys.ravel(), np.repeat(docs, 5)))
        assert leveled(con, WINDOWS)


@pytest.mark.parametrize(("per_doc", "kept"), [(10, 2), (40, 1)])
def test_settle_keeps_the_newest_bulk_transactions_on_level_0(tiny_segments, per_doc, kept):
    """After a bulk add, the stories written last stay in level-0 segments
    as they were written (readers hold those whole, as after a plain add):
    fewer than LEVEL0_SEGMENTS of them (2 here), within CAPACITY[1]
    postings (1,600 here: one transaction of 1,200); the rest is leveled."""
    con, postings = store()
    rng = np.random.default_rng(per_doc)
    for t in range(10):  # 4 + 4 merged into level 2 on the way, 2 left on level 1
        docs = np.arange(30 * t + 1, 30 * t + 31)
        keys = rng.integers(-(2**31), 2**31, size=(30, per_doc))
        write(con, postings, lambda: postings.add(WINDOWS, keys.ravel(), np.repeat(docs, per_doc), True))
    assert postings.unsettled()
    before = sorted(zip(*(a.tolist() for a in postings.all(WINDOWS))))
    write(con, postings, lambda: postings.settle(WINDOWS))
    assert leveled(con, WINDOWS) and not postings.unsettled()
    assert sorted(zip(*(a.tolist() for a in postings.all(WINDOWS)))) == before
    recent = [s for s in postings._of(WINDOWS) if s.level == 0]
    assert len(recent) == kept
    held = {d for s in recent for d in postings._read_range(s, 0, s.fence.size - 1)[1].tolist()}
    assert held == set(range(300 - 30 * kept + 1, 301))  # the last transactions' stories


def test_settle_keeps_no_band_segment_on_level_0(tiny_segments):
    """Band postings are leveled whole: a copy finds its original by 32 band
    keys (few block reads), and a small segment costs every lookup."""
    con, postings = store()
    rng = np.random.default_rng(1)
    for t in range(5):
        docs = np.arange(30 * t + 1, 30 * t + 31)
        keys = rng.integers(-(2**62), 2**62, size=(30, 4))
        write(con, postings, lambda: postings.add(BANDS, keys.ravel(), np.repeat(docs, 4), True))
    write(con, postings, lambda: postings.add(BANDS, np.array([7]), np.array([151])))  # a plain add: level 0
    write(con, postings, lambda: postings.settle(BANDS))
    assert leveled(con, BANDS) and not postings.unsettled()
    assert all(s.level >= 1 for s in postings._of(BANDS))


def test_a_merge_leaves_the_connection_secure_delete_as_it_was(tiny_segments):
    """Merges free their inputs' blocks with secure_delete FAST (no zeroed
    pages written), then give the connection its own setting back."""
    con, postings = store()
    for setting in (0, 1):
        con.execute(f"PRAGMA secure_delete={setting}")
        merged = False
        for doc in range(1, 40):
            before = len(postings._of(WINDOWS))
            write(con, postings, lambda: postings.add(WINDOWS, np.arange(20, dtype=np.int64) * doc, np.full(20, doc)))
            merged |= len(postings._of(WINDOWS)) <= before
            assert con.execute("PRAGMA secure_delete").fetchone() == (setting,)
        assert merged


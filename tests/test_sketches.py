"""The screening prefilter on stored sketches (:mod:`dedup.sketches`) keeps
exactly the candidates the full-signature prefilter keeps, and a
long-lived reader never judges a document on another one's sketch."""

from __future__ import annotations

import random

import numpy as np

from dedup.index import Index
from dedup.inputs import Document
from dedup.verify import plausible

from test_index import synthetic_texts


def mixed_stories(n: int, seed: int) -> list[str]:
    """Stories of 4-9 sentences drawn from a small pool: pairs share
    anything from nothing to most of their text, so candidates span the
    prefilter's whole range."""
    rng = random.Random(seed)
    pool = synthetic_texts(36, seed=80, words=25)
    return [" . ".join(rng.sample(pool, rng.randint(4, 9))) for _ in range(n)]


def reference_plausible(index: Index, batch, i: int) -> set[str]:
    """Every band or window candidate, read with its full signature and
    judged by the scan's prefilter (:func:`dedup.verify.plausible`)."""
    docs = sorted(set(index._band_candidates(batch, i).tolist()) | set(index._window_candidates(batch, i).tolist()))
    rows = index._con.execute(
        f"SELECT id, shingles, signature FROM docs WHERE doc IN ({','.join('?' * len(docs))})", docs
    ).fetchall()
    if not rows:
        return set()
    sigs = np.vstack([batch.signatures[i][None, :]] + [np.frombuffer(r[2], dtype="<u4")[None, :] for r in rows])
    sizes = np.array([batch.counts[i]] + [r[1] for r in rows], dtype=np.int64)
    pairs = np.column_stack([np.zeros(len(rows), np.int64), np.arange(1, len(rows) + 1)])
    rules = index.config.verdict
    keep = plausible(sigs, sizes, pairs, rules.floor, rules.containment)
    return {r[0] for r, k in zip(rows, keep.tolist()) if k}


def test_sketch_prefilter_keeps_what_the_full_prefilter_keeps(tmp_path):
    stories = mixed_stories(400, seed=81)
    queries = [Document(f"q{i}", t, "q") for i, t in enumerate(mixed_stories(60, seed=82))]
    with Index.open(tmp_path / "s.db", create=True) as index:
        index.add([Document(f"d{i}", t, "d") for i, t in enumerate(stories)])
        batch = index._prepare(queries)
        candidates = kept = 0
        for i in range(len(queries)):
            got = {r[1] for r in index._plausible(batch, i, None)}
            assert got == reference_plausible(index, batch, i)
            candidates += len(set(index._band_candidates(batch, i).tolist()) | set(index._window_candidates(batch, i).tolist()))
            kept += len(got)
        # not vacuous: hundreds of candidates kept, hundreds dropped
        assert kept > 300 and candidates - kept > 300


def test_a_long_lived_reader_sees_new_documents_and_numbers_are_not_reused(tmp_path):
    db = tmp_path / "r.db"
    texts = synthetic_texts(30, seed=83, words=120)
    query = Document("q", texts[0], "q")
    with Index.open(db, create=True) as writer:
        writer.add([Document(f"d{i}", t, "d") for i, t in enumerate(texts[1:])])
        with Index.open(db, readonly=True) as reader:
            assert reader.screen(query).matches == []
            last = writer._con.execute("SELECT max(doc) FROM docs").fetchone()[0]
            reader._sketches.get(np.arange(1, last + 1))  # as if every document had been a candidate
            writer.remove([f"d{len(texts) - 2}"])  # the highest number
            writer.add([Document("copy", texts[0], "c")])
            number = writer._con.execute("SELECT doc FROM docs WHERE id = 'copy'").fetchone()[0]
            assert number == last + 1
            assert [m.id for m in reader.screen(query).matches] == ["copy"]


def test_estimates_equal_the_share_of_equal_low_bytes(tmp_path):
    """The compiled estimate (:meth:`Sketches.estimates`) and the same
    kernel run as Python against the numpy formula on the rows of
    :meth:`Sketches.get`, bit for bit, over candidates in any order with
    repeats and documents that do not exist (count 0)."""
    from dedup.codepoints import run_python
    from dedup.sketches import _agreement

    texts = mixed_stories(300, seed=84)
    rng = np.random.default_rng(85)
    with Index.open(tmp_path / "e.db", create=True) as index:
        index.add([Document(f"d{i}", t, "d") for i, t in enumerate(texts)])
        last = index._con.execute("SELECT max(doc) FROM docs").fetchone()[0]
        batch = index._prepare([Document("q", texts[7], "q"), Document("r", mixed_stories(1, seed=86)[0], "q")])
        seen = []
        for signature in batch.signatures:
            docs = np.concatenate([[8], rng.integers(1, last + 40, 500)])  # d7 is number 8
            counts, low = index._sketches.get(docs)
            want = (low == (signature & 0xFF).astype(np.uint8)).mean(axis=1)
            got_counts, got = index._sketches.estimates(docs, signature)
            assert got_counts.tolist() == counts.tolist() and got.tolist() == want.tolist()
            mine = (signature & 0xFF).astype(np.uint8)
            assert run_python(_agreement, index._sketches._low, docs, mine).tolist() == want.tolist()
            seen.append(want)
            assert (counts == 0).any() and (counts > 0).any()  # numbers past the last are no documents
        # not vacuous: the copy itself (1.0) and unrelated stories
        assert seen[0][0] == 1.0 and (seen[1] < 0.5).any()

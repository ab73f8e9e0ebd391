"""The persistent index (dedup.index): candidates, verification, bookkeeping,
parameter and schema checks, against slow obviously-correct references."""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

import dedup.index as index_module
import dedup.postings as postings_module
from dedup.index import INDEX_SCHEMA_VERSION, Index, StoreError, band_keys, match_object
from dedup.inputs import Document, Problem
from dedup.lsh import candidate_pairs
from dedup.normalize import normalize_reference
from dedup.scan import ScanConfig
from dedup.shingle import shingle_hash64, shingles
from dedup.verdict import judge

from conftest import SEEDS, WIRECOPY, need, read_jsonl_docs


def seed_vocabulary() -> list[str]:
    words = {w for p in sorted(SEEDS.glob("*.txt")) for w in p.read_text(encoding="utf-8").split()}
    return sorted(words)


def synthetic_texts(n: int, seed: int, words: int = 70) -> list[str]:
    """``n`` distinct texts of real Arabic words from the seeds in random
    order: unrelated to each other (no two are duplicates), cheap to make."""
    rng = random.Random(seed)
    vocab = seed_vocabulary()
    return [f"{' '.join(rng.choices(vocab, k=words))} وثيقة {seed} {i}" for i in range(n)]


def edited(text: str, rng: random.Random, drop: int = 3) -> str:
    """A lightly edited copy: a few words dropped, harakat on one word."""
    words = text.split()
    for _ in range(drop):
        del words[rng.randrange(len(words))]
    i = rng.randrange(len(words))
    words[i] = words[i] + "\u064e"
    return " ".join(words)


def docs_of(texts: list[str], prefix: str) -> list[Document]:
    return [Document(f"{prefix}{i}", t, f"test:{i}") for i, t in enumerate(texts)]


def with_copies(seed: int = 7, n: int = 120) -> list[Document]:
    """Unrelated texts plus edited and exact copies of some of them."""
    rng = random.Random(seed)
    base = synthetic_texts(n, seed)
    texts = list(base)
    for t in base[: n // 3]:
        texts.append(edited(t, rng))
    for t in base[n // 3 : n // 2]:
        texts.append(t.replace(" ", "  "))  # same text after normalization
    return docs_of(texts, "d")


def exact_reference(a: str, b: str, cfg: ScanConfig):
    """judge() on sets computed by the reference shingler (Python sets)."""
    na, nb = normalize_reference(a), normalize_reference(b)
    sa = {shingle_hash64(s) for s in shingles(na, cfg.shingle_size, cfg.shingle_kind)}
    sb = {shingle_hash64(s) for s in shingles(nb, cfg.shingle_size, cfg.shingle_kind)}
    return judge(na, nb, len(sa & sb), len(sa), len(sb), cfg.verdict)


def postings(index: Index, kind: int = postings_module.BANDS) -> list[tuple[int, int]]:
    """Every live ``(key, document number)`` posting of ``kind``, sorted."""
    with index._read():
        keys, docs = index._postings.all(kind)
    return sorted(zip(keys.tolist(), docs.tolist()))


def band_row_count(index: Index) -> int:
    return len(postings(index))


def indexed_pairs(index: Index) -> set[tuple[str, str]]:
    """Id pairs sharing a band key, from every posting of the store."""
    ids = dict(index._con.execute("SELECT doc, id FROM docs"))
    holders = defaultdict(list)
    for key, doc in postings(index):
        holders[key].append(ids[doc])
    return {tuple(sorted(pair)) for docs in holders.values() for pair in combinations(docs, 2)}


@pytest.fixture
def tiny_segments(monkeypatch):
    """Segments of a few postings (dedup.postings): small stores then go
    through every level, merges in several ranges, lookups by block and
    keys spanning blocks."""
    monkeypatch.setattr(postings_module, "BLOCK", 8)
    monkeypatch.setattr(postings_module, "LEVEL0_SEGMENTS", 3)
    monkeypatch.setattr(postings_module, "FANIN", 4)
    monkeypatch.setattr(postings_module, "CAPACITY", (400, 1600, 6400))
    monkeypatch.setattr(postings_module, "CACHE_POSTINGS", 100)
    monkeypatch.setattr(postings_module, "CACHE_BYTES", 0)
    monkeypatch.setattr(postings_module, "MERGE_CHUNK", 256)


def check_candidates_equal_lsh(tmp_path: Path, documents: list[Document]) -> None:
    with Index.open(tmp_path / "c.db", create=True) as index:
        index.add(documents, batch_size=37)
        cfg = index.config
        batch = index._prepare(documents)
        bands, rows = cfg.bands_rows
        expected = {
            tuple(sorted((documents[i].id, documents[j].id)))
            for i, j in candidate_pairs(batch.signatures, bands, rows).tolist()
        }
        assert expected, "the test set must have candidate pairs"
        assert indexed_pairs(index) == expected


def test_band_lookup_finds_exactly_the_lsh_candidates_on_synthetic_copies(tmp_path):
    check_candidates_equal_lsh(tmp_path, with_copies())


def test_band_lookup_finds_exactly_the_lsh_candidates_on_wirecopy(tmp_path):
    docs = read_jsonl_docs(need(WIRECOPY / "docs.jsonl"), limit=600)
    check_candidates_equal_lsh(tmp_path, docs)


def test_band_keys_are_63_bit_and_depend_on_band_number_and_values():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, size=(50, 128), dtype=np.uint32)
    keys = band_keys(sigs, 32, 4)
    assert keys.shape == (50, 32) and keys.dtype == np.int64 and (keys >= 0).all()
    assert len(np.unique(keys)) == keys.size
    same = sigs.copy()
    same[:, 4:8] = same[:, 0:4]  # band 1 holds band 0's values: keys must still differ
    k2 = band_keys(same, 32, 4)
    assert (k2[:, 0] != k2[:, 1]).all()
    same[1] = same[0]
    assert (band_keys(same, 32, 4)[1] == band_keys(same, 32, 4)[0]).all()


@pytest.mark.parametrize("few", [index_module.FEW_CANDIDATES, 0])
def test_screen_matches_equal_reference_verification(tmp_path, monkeypatch, few):
    """Every candidate the index returns is verified like a slow reference
    (Python shingle sets, judge); matches are exactly the duplicates among
    the band candidates, with exact Jaccard as similarity. ``few`` 0: every
    story's candidates take the path for crowded ones (one compiled batch),
    which gives the same matches and evidence."""
    monkeypatch.setattr(index_module, "FEW_CANDIDATES", few)
    documents = with_copies(seed=11, n=90)
    stored, queries = documents[:90], documents[90:]
    cfg = ScanConfig()
    with Index.open(tmp_path / "s.db", create=True) as index:
        index.add(stored)
        bands, rows = cfg.bands_rows
        stored_sigs = index._prepare(stored).signatures
        found = 0
        for q in queries:
            screening = index.screen(q)
            qsig = index._prepare([q]).signatures[0]
            share = [
                d
                for d, s in zip(stored, stored_sigs)
                if any((s[b * rows : (b + 1) * rows] == qsig[b * rows : (b + 1) * rows]).all() for b in range(bands))
            ]
            expected = {}
            for d in share:
                v = exact_reference(q.text, d.text, cfg)
                if v.is_duplicate:
                    expected[d.id] = v
            got = {m.id: m.verdict for m in screening.matches}
            assert got.keys() == expected.keys(), q.id
            for doc_id, v in got.items():
                assert v.relation == expected[doc_id].relation
                assert v.jaccard == pytest.approx(expected[doc_id].jaccard, abs=1e-12)
            sims = [m.verdict.jaccard for m in screening.matches]
            assert sims == sorted(sims, reverse=True)
            assert screening.verdict == (screening.matches[0].verdict.relation if got else "new")
            if few == 0:
                with monkeypatch.context() as m:
                    m.setattr(index_module, "FEW_CANDIDATES", 10**9)
                    one_by_one = index.screen(q).matches
                assert [match_object(x) for x in screening.matches] == [match_object(x) for x in one_by_one]
            found += bool(got)
        # every query is a copy of a stored text: nearly all must be found
        assert found >= len(queries) - 2
        unrelated = Document("u", synthetic_texts(1, seed=999)[0], "test")
        assert index.screen(unrelated).verdict == "new"


def test_add_is_idempotent_conflicts_are_reported_and_replace_replaces(tmp_path):
    texts = synthetic_texts(30, seed=3)
    documents = docs_of(texts, "x")
    with Index.open(tmp_path / "a.db", create=True) as index:
        first = index.add(documents, batch_size=8)
        assert (first.added, first.unchanged, first.problems) == (30, 0, [])
        again = index.add(documents)
        assert (again.added, again.unchanged, again.problems) == (0, 30, [])
        other = synthetic_texts(1, seed=4)[0]
        changed = [Document("x5", other, "new:1"), Document("y1", texts[0] + " اضافه", "new:2")]
        conflict = index.add(changed)
        assert conflict.added == 1 and conflict.conflicts == 1
        assert [p.id for p in conflict.problems] == ["x5"] and "new:1" in conflict.problems[0].message
        assert index.get_document("x5").text == texts[5]
        replaced = index.add([Document("x5", other, "new:1")], replace=True)
        assert (replaced.added, replaced.replaced) == (0, 1)
        assert index.get_document("x5") == Document("x5", other, "new:1")
        assert len(index) == 31
        # the old text's band rows went with it: it no longer matches x5
        old = index.screen(Document("q", texts[5], "q"))
        assert "x5" not in {m.id for m in old.matches}
        assert {m.id for m in index.screen(Document("q", other, "q")).matches} == {"x5"}
        n_bands = index.config.bands_rows[0]
        assert band_row_count(index) == 31 * n_bands


def test_remove_deletes_documents_and_their_band_rows(tmp_path):
    texts = synthetic_texts(20, seed=5)
    with Index.open(tmp_path / "r.db", create=True) as index:
        index.add(docs_of(texts, "r"))
        removed, missing = index.remove(["r3", "nope", "r7", "r3"])
        assert removed == ["r3", "r7"] and missing == ["nope"]
        assert len(index) == 18 and "r3" not in index and index.get_document("r7") is None
        assert band_row_count(index) == 18 * index.config.bands_rows[0]
        docs = {doc for _, doc in postings(index, postings_module.WINDOWS)}
        assert docs == {n for (n,) in index._con.execute("SELECT doc FROM docs")}
        assert index.screen(Document("q", texts[3], "q")).verdict == "new"
        assert index.screen(Document("q", texts[4], "q")).verdict == "duplicate"


def test_get_document_returns_the_original_text_byte_for_byte(tmp_path):
    original = "قالَ الرئيسُ «إنّ» ٢٠٢٤ — ﻻ\u200fبأس\n\tسطر ثان " + "كلمة " * 10
    with Index.open(tmp_path / "g.db", create=True) as index:
        index.add([Document("g", original, "g.txt")])
        assert index.get_document("g") == Document("g", original, "g.txt")
        assert index.get_document("missing") is None


def test_too_short_documents_are_problems_not_entries(tmp_path):
    with Index.open(tmp_path / "t.db", create=True) as index:
        result = index.add([Document("s", "قال", "s.txt"), Document("l", synthetic_texts(1, 1)[0], "l.txt")])
        assert result.added == 1 and [p.reason for p in result.problems] == ["too_short"]
        assert isinstance(index.screen(Document("s", "قال", "s.txt")), Problem)


def test_store_with_other_parameters_is_refused_naming_the_difference(tmp_path):
    path = tmp_path / "p.db"
    with Index.open(path, create=True) as index:
        index.add(docs_of(synthetic_texts(3, 1), "p"))
    with pytest.raises(StoreError, match=r"built with shingle_size=5; this run asks for shingle_size=4"):
        Index.open(path, ScanConfig(shingle_size=4))
    with pytest.raises(StoreError, match=r"num_perm=128.*num_perm=64"):
        Index.open(path, {"num_perm": 64})
    with pytest.raises(StoreError, match=r"threshold=0.5.*threshold=0.6"):
        Index.open(path, {"threshold": 0.6})
    # the same parameters, given or not, open it
    for config in (None, ScanConfig(), {"shingle_size": 5, "seed": 1}):
        with Index.open(path, config) as index:
            assert len(index) == 3
    # a new store keeps the parameters it was created with
    with Index.open(tmp_path / "q.db", {"shingle_size": 4, "num_perm": 64}, create=True) as index:
        assert (index.config.shingle_size, index.config.num_perm) == (4, 64)
    with Index.open(tmp_path / "q.db") as index:
        assert (index.config.shingle_size, index.config.num_perm) == (4, 64)


def test_newer_schema_missing_file_and_foreign_files_are_refused(tmp_path):
    path = tmp_path / "n.db"
    Index.open(path, create=True).close()
    con = sqlite3.connect(path)
    con.execute(f"UPDATE meta SET value = '{INDEX_SCHEMA_VERSION + 1}' WHERE key = 'index_schema_version'")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer dedup"):
        Index.open(path)
    with pytest.raises(StoreError, match="no such index"):
        Index.open(tmp_path / "absent.db")
    assert not (tmp_path / "absent.db").exists()
    text = tmp_path / "notes.txt"
    text.write_text("not a database " * 100)
    with pytest.raises(StoreError, match="not a dedup index"):
        Index.open(text)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a dedup index"):
        Index.open(other)


def test_readonly_open_never_writes(tmp_path):
    path = tmp_path / "ro.db"
    with Index.open(path, create=True) as index:
        index.add(docs_of(synthetic_texts(10, 2), "o"))
    before = path.read_bytes()
    with Index.open(path, readonly=True) as index:
        assert index.screen(Document("q", synthetic_texts(10, 2)[4], "q")).verdict == "duplicate"
        with pytest.raises(StoreError, match="read-only"):
            index.add(docs_of(synthetic_texts(1, 9), "z"))
    assert path.read_bytes() == before


def test_screen_with_add_sees_earlier_documents_of_the_stream(tmp_path):
    rng = random.Random(1)
    base = synthetic_texts(2, seed=8)
    with Index.open(tmp_path / "w.db", create=True) as index:
        first = index.screen(Document("a", base[0], "s:1"), add=True)
        assert first.verdict == "new" and first.added
        second = index.screen(Document("b", edited(base[0], rng), "s:2"), add=True)
        assert second.verdict in ("near_duplicate", "update") and not second.added
        assert [m.id for m in second.matches] == ["a"]
        assert index.screen(Document("c", base[1], "s:3")).added is False  # no add: not added
        assert len(index) == 1

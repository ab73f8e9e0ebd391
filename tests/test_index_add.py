"""``index add`` at speed: forked preparation (``jobs``) writes the same
store as a serial run, band rows move from ``bands_recent`` through
``bands_middle`` into ``bands`` without losing a candidate, stored texts come
back exactly in both encodings, and a store of the previous schema is
refused."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

import dedup.index as index_module
from dedup.cli import app
from dedup.index import INDEX_SCHEMA_VERSION, PAGE, TEXT_CP1256, TEXT_ZLIB, Index, StoreError
from dedup.inputs import Document, InputError, Problem
from dedup.lsh import candidate_pairs

from test_index import BAND_ROWS, band_row_count, docs_of, indexed_pairs, synthetic_texts, with_copies

runner = CliRunner()


def contents(path: Path) -> tuple[list[tuple], list[tuple]]:
    """Every document row, every band row and every window band row (any
    table), sorted."""
    con = sqlite3.connect(path)
    try:
        docs = con.execute("SELECT doc, id, origin, shingles, signature, text FROM docs ORDER BY doc").fetchall()
        bands = con.execute(f"SELECT key, doc FROM ({BAND_ROWS}) ORDER BY key, doc").fetchall()
        windows = con.execute(f"SELECT key, doc FROM ({WINDOW_ROWS}) ORDER BY key, doc").fetchall()
        assert windows
        return docs, bands, windows
    finally:
        con.close()


#: Every window band row, in any table.
WINDOW_ROWS = " UNION ALL ".join(f"SELECT key, doc FROM {table}" for table, _ in index_module.WINDOW_LEVELS)


def window_rows(index: Index) -> set[tuple[str, int, int]]:
    return {
        (table, key, doc)
        for table, _ in index_module.WINDOW_LEVELS
        for key, doc in index._con.execute(f"SELECT key, doc FROM {table}")
    }


def mixed_input(seed: int = 3) -> list[Document | Problem]:
    """Documents with copies, too-short ones, a re-added id with another text
    and input problems, in an order that interleaves them with batches."""
    rng = random.Random(seed)
    items: list[Document | Problem] = list(with_copies(seed, 90))
    rng.shuffle(items)
    items.insert(5, Document("short-1", "قال", "s:1"))
    items.insert(40, Problem("in:40", "bad_json", "in:40: not JSON"))
    items.insert(77, Document("short-2", "لا", "s:2"))
    items.insert(100, Problem("in:100", "no_text", "in:100: no text field", "x"))
    items.append(Document(items[10].id, synthetic_texts(1, 99)[0], "again:1"))  # id conflict
    return items


@pytest.mark.parametrize("jobs", [2, 3])
def test_add_with_jobs_writes_the_same_store_and_result_as_serial(tmp_path, jobs):
    items = mixed_input()
    results = {}
    for j in (1, jobs):
        with Index.open(tmp_path / f"j{j}.db", create=True) as index:
            seen = []
            results[j] = index.add(items, batch_size=17, progress=seen.append, jobs=j)
            assert sum(seen) == sum(isinstance(i, Document) for i in items)
    assert results[jobs] == results[1]
    assert results[1].added == 135 and results[1].conflicts == 1
    assert [p.reason for p in results[1].problems] == ["too_short", "bad_json", "too_short", "no_text", "id_conflict"]
    assert contents(tmp_path / f"j{jobs}.db") == contents(tmp_path / "j1.db")


def test_strict_add_with_jobs_commits_what_serial_commits(tmp_path):
    items = [*docs_of(synthetic_texts(50, 4), "a"), Problem("in:51", "bad_json", "in:51: not JSON"), *docs_of(synthetic_texts(5, 5), "b")]
    for j in (1, 2):
        with Index.open(tmp_path / f"s{j}.db", create=True) as index:
            with pytest.raises(InputError, match="not JSON"):
                index.add(items, batch_size=10, strict=True, jobs=j)
            assert len(index) == 50
    assert contents(tmp_path / "s2.db") == contents(tmp_path / "s1.db")


def test_band_rows_move_through_the_tables_without_losing_candidates(tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "BAND_LEVELS", (("bands_recent", 1000), ("bands_middle", 3000), ("bands", None)))
    monkeypatch.setattr(
        index_module, "WINDOW_LEVELS", (("windows_recent", 1000), ("windows_middle", 3000), ("windows", None))
    )
    documents = with_copies(11, 120)
    with Index.open(tmp_path / "m.db", create=True) as index:
        index.add(documents, batch_size=25)
        con = index._con
        where = {}  # document id -> the table holding its rows
        for table, _ in index_module.BAND_LEVELS:
            for (doc_id,) in con.execute(f"SELECT DISTINCT d.id FROM {table} JOIN docs d USING (doc)"):
                assert doc_id not in where, "a document's rows are in one table"
                where[doc_id] = table
        assert set(where.values()) == {"bands_recent", "bands_middle", "bands"}
        windows_before = window_rows(index)
        assert {t for t, _, _ in windows_before} == {"windows_recent", "windows_middle", "windows"}
        assert band_row_count(index) == len(documents) * index.config.bands_rows[0]
        batch = index._prepare(documents)
        expected = {
            tuple(sorted((documents[i].id, documents[j].id)))
            for i, j in candidate_pairs(batch.signatures, *index.config.bands_rows).tolist()
        }
        assert indexed_pairs(index) == expected
        # one document from each table: found, removed, no longer found
        picked = [next(d for d in documents if where[d.id] == table) for table in ("bands", "bands_middle", "bands_recent")]
        for doc in picked:
            assert doc.id in {m.id for m in index.screen(Document("q", doc.text, "q")).matches}
        index.remove([d.id for d in picked])
        assert band_row_count(index) == (len(documents) - 3) * index.config.bands_rows[0]
        gone = {n for (n,) in con.execute("SELECT doc FROM docs")}
        # the removed documents' window rows are gone from whichever table held them, the others stay
        assert window_rows(index) == {r for r in windows_before if r[2] in gone}
        for doc in picked:
            assert doc.id not in {m.id for m in index.screen(Document("q", doc.text, "q")).matches}


def test_the_code_page_of_stored_texts_is_pinned():
    # part of the store format: a change needs a new INDEX_SCHEMA_VERSION
    assert len(set(PAGE)) == 256 and PAGE[:128] == "".join(map(chr, range(128)))
    assert hashlib.sha256(PAGE.encode()).hexdigest() == "2cc7359cbe26dd84c437969c43c6fc32de5a68006ecb6cb7d2a0e56529cfa148"


def test_texts_are_stored_in_the_code_page_or_zlib_and_come_back_exactly(tmp_path):
    fits = "قالَ الرئيسُ «إنّ» — ما زال\u200fالوقت ٢٠٢٤ و٪٥\n\tسطر ثان، é à 1999 " + "كلمة " * 10
    other = "الأرقام ٢٠٢٤ و ﻻ والرمز 😀 " + "كلمة " * 10  # a presentation-form ligature, an emoji
    with Index.open(tmp_path / "t.db", create=True) as index:
        index.add([Document("fits", fits, "a"), Document("other", other, "b")])
        tags = dict(index._con.execute("SELECT id, substr(text, 1, 1) FROM docs").fetchall())
        assert tags == {"fits": bytes([TEXT_CP1256]), "other": bytes([TEXT_ZLIB])}
        assert index.get_document("fits").text == fits and index.get_document("other").text == other
        assert index.add([Document("fits", fits, "a")]).unchanged == 1


def test_a_store_of_the_previous_schema_is_refused(tmp_path):
    path = tmp_path / "old.db"
    Index.open(path, create=True).close()
    con = sqlite3.connect(path)
    # what schema 3 wrote: no sketches
    con.execute("DROP TABLE sketches")
    con.execute(f"UPDATE meta SET value = '{INDEX_SCHEMA_VERSION - 1}' WHERE key = 'index_schema_version'")
    con.commit()
    con.close()
    assert INDEX_SCHEMA_VERSION == 4
    with pytest.raises(StoreError, match=r"older dedup \(index schema 3; this dedup reads schema 4\).*rebuild"):
        Index.open(path)
    with pytest.raises(StoreError, match=r"older dedup"):
        Index.open(path, readonly=True)


def test_cli_index_add_with_jobs_matches_serial(tmp_path):
    jsonl = tmp_path / "in.jsonl"
    with jsonl.open("wb") as fh:
        for doc in with_copies(5, 60):
            fh.write(orjson.dumps({"id": doc.id, "text": doc.text}) + b"\n")
    summaries = []
    for j in ("1", "2"):
        result = runner.invoke(app, ["index", "add", "--db", str(tmp_path / f"c{j}.db"), str(jsonl), "-j", j, "--batch-size", "7", "-q"])
        assert result.exit_code == 0, result.output
        summaries.append(orjson.loads(result.stdout))
    assert summaries[0] == summaries[1] and summaries[0]["added"] == 90
    assert contents(tmp_path / "c2.db") == contents(tmp_path / "c1.db")

"""``index add`` at speed: forked preparation (``jobs``) writes the same
store as a serial run, postings move through the levels of segments
without losing a candidate, stored texts come
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

from dedup.postings import BANDS, WINDOWS
from dedup.cli import app
import dedup.index as index_module
from dedup.index import INDEX_SCHEMA_VERSION, PAGE, TEXT_CP1256, TEXT_ZLIB, Index, StoreError
from dedup.inputs import Document, InputError, Problem
from dedup.lsh import candidate_pairs

from test_index import band_row_count, docs_of, indexed_pairs, postings, synthetic_texts, tiny_segments, with_copies  # noqa: F401

runner = CliRunner()


def contents(path: Path) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Every document row, every live document band posting and every
    window band posting, sorted."""
    with Index.open(path, readonly=True) as index:
        docs = index._con.execute("SELECT doc, id, origin, shingles, signature, text FROM docs ORDER BY doc").fetchall()
        windows = postings(index, WINDOWS)
        assert windows
        return docs, postings(index, BANDS), windows


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
def test_add_with_jobs_writes_the_same_store_and_result_as_serial(tmp_path, monkeypatch, jobs):
    """Also with each transaction of 17 prepared in pieces of 5 (four
    pieces, the last of 2), joined before they are stored."""
    items = mixed_input()
    results = {}
    for chunk in (1000, 5):
        monkeypatch.setattr(index_module, "PREPARE_CHUNK", chunk)
        for j in (1, jobs):
            with Index.open(tmp_path / f"j{j}-{chunk}.db", create=True) as index:
                seen = []
                results[j, chunk] = index.add(items, batch_size=17, progress=seen.append, jobs=j)
                assert sum(seen) == sum(isinstance(i, Document) for i in items)
                assert all(n == 17 for n in seen[:-1])  # progress by transaction
    assert all(r == results[1, 1000] for r in results.values())
    assert results[1, 1000].added == 135 and results[1, 1000].conflicts == 1
    assert [p.reason for p in results[1, 1000].problems] == ["too_short", "bad_json", "too_short", "no_text", "id_conflict"]
    expected = contents(tmp_path / "j1-1000.db")
    for j, chunk in results:
        assert contents(tmp_path / f"j{j}-{chunk}.db") == expected


def test_strict_add_with_jobs_commits_what_serial_commits(tmp_path):
    items = [*docs_of(synthetic_texts(50, 4), "a"), Problem("in:51", "bad_json", "in:51: not JSON"), *docs_of(synthetic_texts(5, 5), "b")]
    for j in (1, 2):
        with Index.open(tmp_path / f"s{j}.db", create=True) as index:
            with pytest.raises(InputError, match="not JSON"):
                index.add(items, batch_size=10, strict=True, jobs=j)
            assert len(index) == 50
    assert contents(tmp_path / "s2.db") == contents(tmp_path / "s1.db")


@pytest.mark.parametrize("bulk", [False, True])
def test_postings_move_through_the_levels_without_losing_candidates(tmp_path, tiny_segments, bulk):
    documents = with_copies(11, 120)
    with Index.open(tmp_path / "m.db", create=True) as index:
        index.add(documents, batch_size=10, bulk=bulk)
        con = index._con
        # merged at least twice over (level 0 -> 1 -> 2), and leveled after a bulk add too
        assert con.execute("SELECT max(level) FROM segments").fetchone()[0] >= 2
        assert not con.execute("SELECT level FROM segments WHERE level > 0 GROUP BY kind, level HAVING count(*) > 1").fetchall()
        assert band_row_count(index) == len(documents) * index.config.bands_rows[0]
        batch = index._prepare(documents)
        expected = {
            tuple(sorted((documents[i].id, documents[j].id)))
            for i, j in candidate_pairs(batch.signatures, *index.config.bands_rows).tolist()
        }
        assert indexed_pairs(index) == expected
        numbers = dict(con.execute("SELECT id, doc FROM docs"))
        expected_windows = sorted(
            (key, numbers[documents[i].id]) for i in range(len(documents)) for key in set(batch.windows_of(i).ravel().tolist())
        )
        assert postings(index, WINDOWS) == expected_windows
        # documents of the first, a middle and the last batch: found, removed, no longer found
        picked = [documents[0], documents[len(documents) // 2], documents[-1]]
        for doc in picked:
            assert doc.id in {m.id for m in index.screen(Document("q", doc.text, "q")).matches}
        index.remove([d.id for d in picked])
        gone = {numbers[d.id] for d in picked}
        assert band_row_count(index) == (len(documents) - 3) * index.config.bands_rows[0]
        assert postings(index, WINDOWS) == [p for p in expected_windows if p[1] not in gone]
        for doc in picked:
            assert doc.id not in {m.id for m in index.screen(Document("q", doc.text, "q")).matches}
        # merges after the removal leave the removed documents' postings out:
        # add until every segment that held them has been merged away
        last = con.execute("SELECT max(id) FROM segments").fetchone()[0]
        more = 0
        while con.execute("SELECT count(*) FROM segments WHERE id <= ?", (last,)).fetchone()[0]:
            more += 1
            assert more < 50, "the old segments are never merged"
            index.add([Document(f"m{more}-{d.id}", d.text, d.origin) for d in with_copies(12 + more, 60)], batch_size=10, bulk=bulk)
        for kind in (BANDS, WINDOWS):
            for segment in index._postings._of(kind):
                assert not gone & set(index._postings._read_range(segment, 0, segment.fence.size - 1)[1].tolist())


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
    con.execute("UPDATE meta SET value = '3' WHERE key = 'index_schema_version'")
    con.commit()
    con.close()
    assert INDEX_SCHEMA_VERSION == 5
    with pytest.raises(StoreError, match=r"older dedup \(index schema 3; this dedup reads schemas 4, 5\).*rebuild"):
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


def test_cli_bulk_add_stores_the_same_and_ends_leveled(tmp_path, tiny_segments):
    """--bulk changes how postings are merged, not what is stored or found."""
    jsonl = tmp_path / "in.jsonl"
    with jsonl.open("wb") as fh:
        for doc in with_copies(5, 60):
            fh.write(orjson.dumps({"id": doc.id, "text": doc.text}) + b"\n")
    summaries = []
    for name, extra in (("plain", []), ("bulk", ["--bulk"])):
        result = runner.invoke(app, ["index", "add", "--db", str(tmp_path / f"{name}.db"), str(jsonl), "--batch-size", "5", "-q", *extra])
        assert result.exit_code == 0, result.output
        summaries.append(orjson.loads(result.stdout))
    assert summaries[0] == summaries[1] and summaries[0]["added"] == 90
    assert contents(tmp_path / "bulk.db") == contents(tmp_path / "plain.db")
    with Index.open(tmp_path / "bulk.db", readonly=True) as index, index._read():
        assert index._con.execute("SELECT max(level) FROM segments").fetchone()[0] >= 2
        assert not index._postings.unsettled()


def test_a_bulk_add_that_failed_is_settled_by_the_next_add(tmp_path, tiny_segments):
    documents = with_copies(11, 120)

    def failing():
        yield from documents[:150]
        raise RuntimeError("the input went away")

    with Index.open(tmp_path / "f.db", create=True) as index:
        with pytest.raises(RuntimeError):
            index.add(failing(), batch_size=5, bulk=True)
        with index._read():
            assert index._postings.unsettled()  # left tiered, committed batches kept
        index.add(documents[150:])  # a plain add settles it
        with index._read():
            assert not index._postings.unsettled()
        assert len(index) == len(documents)


def jsonl_with_problems(path: Path) -> Path:
    """A JSONL file of documents with copies, blank lines, malformed JSON,
    invalid UTF-8, a missing text field and a too-short text, spread over
    several blocks of lines."""
    rng = random.Random(8)
    docs = with_copies(6, 60)
    rng.shuffle(docs)
    lines = [orjson.dumps({"id": d.id, "text": d.text}) + b"\n" for d in docs]
    lines.insert(3, b"\n")
    lines.insert(20, b'{"id": "bad", "text": \n')
    lines.insert(41, b'{"id": "u", "text": "\xff\xfe"}\n')
    lines.insert(55, b'{"id": "nt"}\n')
    lines.insert(70, orjson.dumps({"id": "short", "text": "قال"}) + b"\n")
    path.write_bytes(b"".join(lines))
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_jsonl_parsed_in_the_workers_stores_what_parsed_input_stores(tmp_path, monkeypatch, jobs):
    """``read_documents(blocks=...)`` hands ``Index.add`` unparsed lines,
    parsed where they are prepared: the same documents, problems (same
    origins, line numbers and byte offsets, in input order) and postings as
    the parsed input, with blocks cut across transactions and pieces."""
    from dedup.inputs import read_documents

    path = jsonl_with_problems(tmp_path / "in.jsonl")
    first = orjson.loads(path.read_bytes().split(b"\n")[0])["id"]
    earlier = Document(first, synthetic_texts(1, 98)[0], "earlier:1")  # an id conflict
    with Index.open(tmp_path / "parsed.db", create=True) as index:
        index.add([earlier])
        expected = index.add(read_documents([str(path)]), batch_size=17)
    monkeypatch.setattr(index_module, "PREPARE_CHUNK", 5)
    with Index.open(tmp_path / "lines.db", create=True) as index:
        index.add([earlier])
        seen = []
        got = index.add(read_documents([str(path)], blocks=7), batch_size=17, jobs=jobs, progress=seen.append)
    assert got.added == expected.added == 89 and got.conflicts == expected.conflicts == 1
    assert [p.as_dict() for p in got.problems] == [p.as_dict() for p in expected.problems]
    assert sorted(p.reason for p in got.problems) == ["id_conflict", "invalid_utf8", "malformed_json", "missing_field", "too_short"]
    assert sum(seen) == 91  # documents: the 89 added, the too-short one and the conflict
    assert contents(tmp_path / "lines.db") == contents(tmp_path / "parsed.db")


def test_jsonl_lines_duplicate_ids_and_strict(tmp_path):
    from dedup.inputs import read_documents

    docs = with_copies(2, 20)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(b"".join(orjson.dumps({"id": d.id, "text": d.text}) + b"\n" for d in docs))
    b.write_bytes(orjson.dumps({"id": docs[25].id, "text": docs[3].text}) + b"\n")
    for jobs in (1, 2):
        with Index.open(tmp_path / f"d{jobs}.db", create=True) as index:
            with pytest.raises(InputError, match=f"duplicate id {docs[25].id!r}: {a}:26 and {b}:1"):
                index.add(read_documents([str(a), str(b)], blocks=4), batch_size=10, jobs=jobs)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(a.read_bytes()[: -1] + b"\n{oops\n" + a.read_bytes())
    for jobs in (1, 2):
        with Index.open(tmp_path / f"s{jobs}.db", create=True) as index:
            with pytest.raises(InputError, match=rf"{bad}:31: malformed JSON.*--strict"):
                index.add(read_documents([str(bad)], blocks=4), batch_size=10, strict=True, jobs=jobs)
            assert len(index) == 30  # the three transactions before the bad line's
    assert contents(tmp_path / "s2.db") == contents(tmp_path / "s1.db")


def test_a_bulk_add_takes_bigger_transactions_by_default(tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "BATCH_SIZE", 5)
    monkeypatch.setattr(index_module, "BULK_BATCH_SIZE", 7)
    docs = docs_of(synthetic_texts(20, 6), "t")
    for bulk, expected in ((False, [5, 5, 5, 5]), (True, [7, 7, 6])):
        seen = []
        with Index.open(tmp_path / f"b{bulk}.db", create=True) as index:
            index.add(docs, bulk=bulk, progress=seen.append)
        assert seen == expected
    seen = []
    with Index.open(tmp_path / "given.db", create=True) as index:
        index.add(docs, bulk=True, batch_size=4, progress=seen.append)
    assert seen == [4] * 5


def test_a_schema_4_store_keeps_its_rules_and_unknown_parameters_are_refused(tmp_path):
    """Schema 4 stores were built before reworded copies: their config lacks
    the rule, and they judge without it (the rules a store was built with);
    a store naming a parameter this dedup does not know is refused, not
    misread."""
    from test_verdict import REWORDED_COPY, REWORDED_STORY

    def store(name: str) -> Path:
        path = tmp_path / name
        with Index.open(path, create=True) as index:
            index.add([Document("release", REWORDED_STORY, "r")])
        return path

    def matches(path: Path) -> list[tuple[str, str | None]]:
        with Index.open(path) as index:
            return [(m.id, m.verdict.reason) for m in index.screen(Document("rewrite", REWORDED_COPY, "w")).matches]

    assert matches(store("new.db")) == [("release", "reworded")]
    old = store("old.db")
    con = sqlite3.connect(old)
    config = orjson.loads(con.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()[0])
    del config["reworded"]
    con.execute("UPDATE meta SET value = ? WHERE key = 'config'", (orjson.dumps(config).decode(),))
    con.execute("UPDATE meta SET value = '4' WHERE key = 'index_schema_version'")
    con.commit()
    con.close()
    with Index.open(old) as index:
        assert index.config.reworded == 1.0 and index.stats()["index_schema_version"] == 4
    assert matches(old) == []
    newer = store("newer.db")
    con = sqlite3.connect(newer)
    config = orjson.loads(con.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()[0])
    con.execute("UPDATE meta SET value = ? WHERE key = 'config'", (orjson.dumps({**config, "a_new_rule": 1}).decode(),))
    con.commit()
    con.close()
    with pytest.raises(StoreError, match=r"a_new_rule.*newer dedup"):
        Index.open(newer)

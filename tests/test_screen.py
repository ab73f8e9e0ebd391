"""``dedup screen``: one verdict per line, streamed, errors in-line."""

from __future__ import annotations

import random
import select
import subprocess
import sys

import jsonschema
import orjson
from typer.testing import CliRunner

from dedup.cli import app
from dedup.index import Index
from dedup.report import SCREEN_SCHEMA

from test_index import docs_of, edited, synthetic_texts

runner = CliRunner()


def line(doc_id: str, text: str) -> bytes:
    return orjson.dumps({"id": doc_id, "text": text}) + b"\n"


MALFORMED = [
    b'{"id": "bad-json", "text": \n',
    b'{"id": "no-text"}\n',
    b"[1, 2, 3]\n",
    b'{"id": "bad-utf8", "text": "\xff\xfe"}\n',
    b'{"id": "empty", "text": "   "}\n',
    b'{"id": "short", "text": "\xd9\x82\xd8\xa7\xd9\x84"}\n',  # too short to shingle
    b'{"text": "no id at all"}\n',
]


def make_index(tmp_path, texts):
    db = tmp_path / "desk.db"
    with Index.open(db, create=True) as index:
        index.add(docs_of(texts, "base"))
    return db


def test_10000_line_stream_with_1_percent_malformed_ends_with_exact_counts(tmp_path):
    rng = random.Random(5)
    base = synthetic_texts(200, seed=21, words=40)
    db = make_index(tmp_path, base)
    fresh = iter(synthetic_texts(6000, seed=22, words=40))
    stream, expect, bad_lines = [], {"new": 0, "duplicate": 0, "error": 0}, set()
    for n in range(1, 10_001):
        if n % 100 == 37:  # 100 malformed lines, spread out
            stream.append(MALFORMED[n % len(MALFORMED)])
            expect["error"] += 1
            bad_lines.add(n)
        elif rng.random() < 0.4:  # a re-typed copy of an indexed story: same text after normalization
            text = base[rng.randrange(len(base))]
            stream.append(line(f"in{n}", text.replace(" ", "  ").replace("ا", "أ", 1)))
            expect["duplicate"] += 1
        else:
            stream.append(line(f"in{n}", next(fresh)))
            expect["new"] += 1
    result = runner.invoke(app, ["screen", "--db", str(db)], input=b"".join(stream))
    assert result.exit_code == 0, result.stderr
    verdicts = [orjson.loads(x) for x in result.stdout.splitlines()]
    assert len(verdicts) == 10_000
    assert [v["line"] for v in verdicts] == list(range(1, 10_001))
    counts = {k: sum(v["verdict"] == k for v in verdicts) for k in expect}
    assert counts == expect
    assert {v["line"] for v in verdicts if v["verdict"] == "error"} == bad_lines
    for v in verdicts:
        if v["verdict"] == "error":
            assert f"<stdin>:{v['line']}" in v["error"] and v["reason"]
        elif v["verdict"] == "duplicate":
            assert v["matches"][0]["similarity"] == 1.0 and v["matches"][0]["id"].startswith("base")
        else:
            assert v["matches"] == []
    assert "10000 lines" in result.stderr and f"{expect['error']} error" in result.stderr
    with Index.open(db) as index:
        assert len(index) == 200  # without --add nothing joins


def test_error_verdicts_name_line_reason_and_known_id(tmp_path):
    db = make_index(tmp_path, synthetic_texts(5, seed=1))
    result = runner.invoke(app, ["screen", "--db", str(db), "-q"], input=b"".join(MALFORMED))
    assert result.exit_code == 0 and result.stderr == ""
    got = [orjson.loads(x) for x in result.stdout.splitlines()]
    assert [(v["line"], v["verdict"], v["reason"]) for v in got] == [
        (1, "error", "malformed_json"),
        (2, "error", "missing_field"),
        (3, "error", "malformed_json"),
        (4, "error", "invalid_utf8"),
        (5, "error", "empty"),
        (6, "error", "too_short"),
        (7, "error", "missing_field"),
    ]
    assert [v["id"] for v in got] == [None, "no-text", None, None, "empty", "short", None]
    assert "byte offset" in got[3]["error"]
    for verdict in got:
        jsonschema.validate(verdict, SCREEN_SCHEMA)


def test_add_makes_each_new_document_visible_to_the_next_line(tmp_path):
    rng = random.Random(3)
    a, b = synthetic_texts(2, seed=31)
    stream = line("a", a) + line("b", b) + line("a2", edited(a, rng)) + line("b-again", b) + b"\n"
    db = tmp_path / "fresh.db"  # --add creates the index
    result = runner.invoke(app, ["screen", "--db", str(db), "--add"], input=stream)
    assert result.exit_code == 0, result.stderr
    got = [orjson.loads(x) for x in result.stdout.splitlines()]
    assert [(v["id"], v["added"]) for v in got] == [("a", True), ("b", True), ("a2", False), ("b-again", False)]
    assert got[0]["verdict"] == got[1]["verdict"] == "new"
    assert got[2]["verdict"] in ("near_duplicate", "update") and [m["id"] for m in got[2]["matches"]] == ["a"]
    assert got[2]["matches"][0]["relation"] == got[2]["verdict"]
    match = got[3]["matches"][0]
    assert got[3]["verdict"] == "duplicate" and {k: match[k] for k in ("id", "similarity", "relation", "reason")} == {
        "id": "b",
        "similarity": 1.0,
        "relation": "duplicate",
        "reason": None,
    }
    assert match["containment"] == [1.0, 1.0] and len(match["passages"]) == 1
    for verdict in got:
        jsonschema.validate(verdict, SCREEN_SCHEMA)
    with Index.open(db) as index:
        assert index.ids() == ["a", "b"]
    # same input, same bytes (a fresh store gives the same verdicts)
    again = runner.invoke(app, ["screen", "--db", str(tmp_path / "fresh2.db"), "--add", "-q"], input=stream)
    assert again.stdout == result.stdout


def test_each_verdict_is_written_before_the_next_line_arrives(tmp_path):
    texts = synthetic_texts(3, seed=41)
    db = make_index(tmp_path, texts[:1])
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", "screen", "--db", str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for doc_id, text, verdict in (("x", texts[0], "duplicate"), ("y", texts[1], "new")):
            proc.stdin.write(line(doc_id, text))
            proc.stdin.flush()  # stdin stays open: the verdict must come anyway
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, "no verdict while the stream is still open"
            got = orjson.loads(proc.stdout.readline())
            assert (got["id"], got["verdict"]) == (doc_id, verdict)
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
        assert b"2 lines" in proc.stderr.read()
    finally:
        proc.kill()


def test_missing_index_without_add_and_mismatched_parameters_exit_2(tmp_path):
    result = runner.invoke(app, ["screen", "--db", str(tmp_path / "none.db")], input=b"")
    assert result.exit_code == 2 and "no such index" in result.stderr
    assert not (tmp_path / "none.db").exists()
    db = make_index(tmp_path, synthetic_texts(2, seed=2))
    result = runner.invoke(app, ["screen", "--db", str(db), "--shingle-size", "3"], input=b"")
    assert result.exit_code == 2 and "shingle_size=5" in result.stderr and "shingle_size=3" in result.stderr

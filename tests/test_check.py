"""``dedup check``: new documents against a corpus and against each other."""

from __future__ import annotations

import os
import random
from pathlib import Path

import jsonschema
import orjson
from typer.testing import CliRunner

from dedup.cli import app
from dedup.index import Index
from dedup.report import CHECK_SCHEMA, SCHEMAS, parameters
from dedup.scan import ScanConfig

from test_index import docs_of, edited, synthetic_texts

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def corpus_dir(tmp_path: Path, texts: list[str]) -> Path:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    for i, text in enumerate(texts):
        (corpus / ("sub" if i % 2 else "") / f"c{i}.txt").write_text(text, encoding="utf-8")
    return corpus


def check(*args: str):
    result = runner.invoke(app, ["check", "--quiet", *args])
    return result, (orjson.loads(result.stdout) if result.stdout else None)


def test_duplicates_of_corpus_and_among_new_documents_exit_1(tmp_path):
    rng = random.Random(2)
    texts = synthetic_texts(12, seed=51)
    corpus = corpus_dir(tmp_path, texts[:10])
    new = tmp_path / "new"
    new.mkdir()
    (new / "copy.txt").write_text(edited(texts[3], rng), encoding="utf-8")
    (new / "fresh.txt").write_text(texts[10], encoding="utf-8")
    (new / "twin-a.txt").write_text(texts[11], encoding="utf-8")
    (new / "twin-b.txt").write_text(edited(texts[11], rng), encoding="utf-8")
    result, report = check("--against", str(corpus), str(new))
    assert result.exit_code == 1, result.stderr
    assert report["stats"] == {"new_documents": 4, "corpus_documents": 10, "duplicates": 2, "skipped": 0}
    flagged = {d["id"]: d for d in report["duplicates"]}
    assert set(flagged) == {"copy.txt", "twin-b.txt"}
    (m,) = flagged["copy.txt"]["matches"]
    assert (m["id"], m["found_in"]) == ("sub/c3.txt", "corpus") and 0.5 <= m["similarity"] < 1.0
    (m,) = flagged["twin-b.txt"]["matches"]
    assert (m["id"], m["found_in"]) == ("twin-a.txt", "new")
    assert flagged["copy.txt"]["relation"] == flagged["copy.txt"]["matches"][0]["relation"]
    assert report["parameters"]["shingle_size"] == 5 and report["schema_version"] == "1.3"
    jsonschema.validate(report, CHECK_SCHEMA)
    # the verdict rules in force, as a scan report gives them
    assert report["parameters"]["verdict"] == parameters(ScanConfig())["verdict"]
    # same input, same bytes
    assert check("--against", str(corpus), str(new))[0].stdout == result.stdout


def test_no_duplicate_exits_0_and_jsonl_corpus_works(tmp_path):
    texts = synthetic_texts(8, seed=52)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes(b"".join(orjson.dumps({"id": f"j{i}", "text": t}) + b"\n" for i, t in enumerate(texts[:6])))
    (tmp_path / "a.txt").write_text(texts[6], encoding="utf-8")
    (tmp_path / "b.txt").write_text(texts[7], encoding="utf-8")
    result, report = check("--against", str(corpus), str(tmp_path / "a.txt"), str(tmp_path / "b.txt"))
    assert result.exit_code == 0, result.stderr
    assert report["duplicates"] == [] and report["stats"]["corpus_documents"] == 6
    (tmp_path / "c.txt").write_text(texts[2], encoding="utf-8")
    result, report = check("--against", str(corpus), str(tmp_path / "c.txt"))
    assert result.exit_code == 1 and report["duplicates"][0]["matches"][0]["id"] == "j2"


def test_new_files_inside_the_corpus_are_not_their_own_duplicates(tmp_path):
    """The pre-commit case: staged files are already in the corpus tree."""
    texts = synthetic_texts(6, seed=53)
    corpus = corpus_dir(tmp_path, texts[:5])
    staged = corpus / "sub" / "staged.txt"
    staged.write_text(texts[5], encoding="utf-8")
    result, report = check("--against", str(corpus), str(staged))
    assert result.exit_code == 0, result.stdout
    assert report["stats"]["corpus_documents"] == 5
    staged.write_text(texts[0] + " ", encoding="utf-8")  # a copy of c0.txt, staged into the corpus
    result, report = check("--against", str(corpus), str(staged))
    assert result.exit_code == 1
    assert [m["id"] for m in report["duplicates"][0]["matches"]] == ["c0.txt"]
    # a staged file whose name is not UTF-8 (its id and origin escaped) is itself too
    odd = Path(os.fsdecode(bytes(corpus / "sub") + b"/\xfe.txt"))
    odd.write_text(texts[5], encoding="utf-8")
    staged.unlink()
    result, report = check("--against", str(corpus), str(odd))
    assert result.exit_code == 0, result.stdout
    assert report["stats"]["corpus_documents"] == 5


def test_a_new_file_named_like_a_corpus_file_is_compared_with_it(tmp_path):
    """Directory ids are relative paths: incoming/c0.txt and corpus/c0.txt
    share the id c0.txt but are two files, so a copy is found; in an index
    corpus the same id is the same document (already indexed)."""
    texts = synthetic_texts(3, seed=57)
    corpus = corpus_dir(tmp_path, texts)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "c0.txt").write_text(texts[0], encoding="utf-8")
    result, report = check("--against", str(corpus), str(incoming))
    assert result.exit_code == 1, result.stdout
    assert [(m["id"], m["found_in"]) for m in report["duplicates"][0]["matches"]] == [("c0.txt", "corpus")]
    db = tmp_path / "desk.db"
    with Index.open(db, create=True) as index:
        index.add(docs_of(texts, "c"))
    new = tmp_path / "new.jsonl"
    new.write_bytes(orjson.dumps({"id": "c0", "text": texts[0]}) + b"\n")
    result, report = check("--against", str(db), str(new))
    assert result.exit_code == 0 and report["stats"]["duplicates"] == 0, result.stdout


def test_a_stdin_corpus_keeps_the_same_id_rule_beside_a_directory_named_dash(tmp_path, monkeypatch):
    texts = synthetic_texts(2, seed=58)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").mkdir()
    new = tmp_path / "new.jsonl"
    new.write_bytes(orjson.dumps({"id": "c0", "text": texts[0]}) + b"\n")
    stdin = b"".join(orjson.dumps({"id": f"c{i}", "text": t}) + b"\n" for i, t in enumerate(texts))
    result = runner.invoke(app, ["check", "--quiet", "--against", "-", str(new)], input=stdin)
    assert result.exit_code == 0, result.stdout  # c0 is that document, not a copy of it


def test_index_corpus_is_opened_read_only_and_left_unchanged(tmp_path):
    rng = random.Random(4)
    texts = synthetic_texts(10, seed=54)
    db = tmp_path / "desk.db"
    with Index.open(db, create=True) as index:
        index.add(docs_of(texts, "d"))
    before = db.read_bytes()
    (tmp_path / "n.txt").write_text(edited(texts[7], rng), encoding="utf-8")
    result, report = check("--against", str(db), str(tmp_path / "n.txt"))
    assert result.exit_code == 1 and report["duplicates"][0]["matches"][0]["id"] == "d7"
    assert db.read_bytes() == before
    with Index.open(db) as index:
        assert len(index) == 10


def test_usage_and_input_errors_exit_2(tmp_path):
    texts = synthetic_texts(3, seed=55)
    (tmp_path / "a.txt").write_text(texts[0], encoding="utf-8")
    result, _ = check("--against", str(tmp_path / "absent"), str(tmp_path / "a.txt"))
    assert result.exit_code == 2 and "no such file" in result.stderr
    result, _ = check("--against", str(tmp_path / "a.txt"), str(tmp_path / "nope.txt"))
    assert result.exit_code == 2
    db = tmp_path / "k.db"
    with Index.open(db, create=True) as index:
        index.add(docs_of(texts, "k"))
    result, _ = check("--against", str(db), "--num-perm", "64", str(tmp_path / "a.txt"))
    assert result.exit_code == 2 and "num_perm=128" in result.stderr
    result = runner.invoke(app, ["check", str(tmp_path / "a.txt")])
    assert result.exit_code == 2 and "--against" in result.stderr


def test_unusable_new_documents_are_reported_not_fatal_unless_strict(tmp_path):
    texts = synthetic_texts(3, seed=56)
    corpus = corpus_dir(tmp_path, texts[:2])
    (tmp_path / "ok.txt").write_text(texts[2], encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xd9\x82\xff abc")
    result, report = check("--against", str(corpus), str(tmp_path / "ok.txt"), str(tmp_path / "bad.txt"))
    assert result.exit_code == 0
    assert [p["reason"] for p in report["skipped"]] == ["invalid_utf8"]
    jsonschema.validate(report, CHECK_SCHEMA)
    result, _ = check("--strict", "--against", str(corpus), str(tmp_path / "ok.txt"), str(tmp_path / "bad.txt"))
    assert result.exit_code == 2 and "byte offset 2" in result.stderr


def test_pre_commit_hook_definition_runs_check_on_all_files_at_once():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "- id: dedup-check" in text
    assert "entry: dedup check" in text
    assert "require_serial: true" in text  # copies among staged files need one call


def test_schema_command_prints_each_commands_schema():
    for command, schema in SCHEMAS.items():
        result = runner.invoke(app, ["schema", command])
        assert result.exit_code == 0 and orjson.loads(result.stdout) == schema
        jsonschema.Draft202012Validator.check_schema(schema)
    assert runner.invoke(app, ["schema", "index"]).exit_code == 2

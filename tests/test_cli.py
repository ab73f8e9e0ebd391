"""`dedup scan` and `dedup schema` driven through the CLI runner."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from dedup.cli import app
from dedup.report import SCAN_SCHEMA

from conftest import SEEDS

runner = CliRunner()


def run(*args: str, input: str | bytes | None = None):
    return runner.invoke(app, list(args), input=input)


def test_seeds_have_no_duplicate_cluster_at_default():
    result = run("scan", str(SEEDS), "--quiet")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCAN_SCHEMA)
    assert report["stats"]["documents_scanned"] == 5
    assert report["clusters"] == []


def test_low_threshold_pairs_are_reported_and_valid():
    result = run("scan", str(SEEDS), "--threshold", "0.1", "--pairs", "--quiet")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCAN_SCHEMA)
    assert report["parameters"]["threshold"] == 0.1
    assert report["pairs"], "the seeds share stock phrases: some pair exceeds 0.1"
    for pair in report["pairs"]:
        assert 0.1 <= pair["jaccard"] < 0.5
    cluster = report["clusters"][0]
    assert cluster["members"][0] == {"id": cluster["representative"], "similarity": 1.0}
    assert cluster["min_similarity"] == min(m["similarity"] for m in cluster["members"][1:])


def test_same_input_same_bytes(tmp_path):
    a = run("scan", str(SEEDS), "-t", "0.1", "--pairs", "--quiet")
    b = run("scan", str(SEEDS), "-t", "0.1", "--pairs", "--quiet")
    assert a.stdout_bytes == b.stdout_bytes
    out = tmp_path / "r.json"
    c = run("scan", str(SEEDS), "-t", "0.1", "--pairs", "--quiet", "-o", str(out))
    assert c.stdout == "" and out.read_bytes() == a.stdout_bytes


def _corpus(tmp_path: Path) -> Path:
    base = (SEEDS / "000_abd4ea358a47b60d.txt").read_text(encoding="utf-8")
    d = tmp_path / "corpus"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text(base, encoding="utf-8")
    # the same story with harakat, tatweel, other alef forms and NBSPs
    noisy = base.replace("الأمن", "الاَمــن").replace(" ", "\u00a0", 40).replace("ا", "أ", 5)
    (d / "sub" / "b.txt").write_text(noisy, encoding="utf-8")
    (d / "c.txt").write_text((SEEDS / "004_fd8cd8ca64bb0e70.txt").read_text(encoding="utf-8"), encoding="utf-8")
    return d


def test_directory_ids_and_noisy_copy_clustered(tmp_path):
    d = _corpus(tmp_path)
    report = json.loads(run("scan", str(d), "-q").stdout)
    assert report["clusters"] and report["clusters"][0]["representative"] == "a.txt"
    assert [m["id"] for m in report["clusters"][0]["members"]] == ["a.txt", "sub/b.txt"]
    assert report["clusters"][0]["members"][1]["similarity"] > 0.9


def test_jsonl_stdin_and_fields(tmp_path):
    d = _corpus(tmp_path)
    lines = [
        json.dumps({"key": n, "body": p.read_text(encoding="utf-8")}, ensure_ascii=False)
        for n, p in enumerate(sorted(d.rglob("*.txt")))
    ]
    result = run("scan", "-", "--id-field", "key", "--text-field", "body", "-q", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["stats"]["documents_scanned"] == 3
    assert len(report["clusters"]) == 1


def test_jsonl_format(tmp_path):
    d = _corpus(tmp_path)
    result = run("scan", str(d), "--format", "jsonl", "--pairs", "-q")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["type"] for r in rows] == ["cluster", "pair", "summary"]
    jsonschema.validate({k: v for k, v in rows[0].items() if k != "type"}, SCAN_SCHEMA["$defs"]["cluster"])
    assert rows[-1]["schema_version"] == SCAN_SCHEMA["properties"]["schema_version"]["const"]


def test_bad_inputs_are_reported_not_dropped(tmp_path):
    d = _corpus(tmp_path)
    (d / "bad.txt").write_bytes("خبر عاجل".encode() + b"\xff\xfe rest")
    (d / "empty.txt").write_bytes(b"  \n")
    (d / "bin.txt").write_bytes(b"abc\x00def")
    (d / "short.txt").write_text("نعم", encoding="utf-8")
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text('{"id": "x1", "text": "نص قصير جدا لكنه كاف"}\n{not json}\n\n{"id": "x2"}\n', encoding="utf-8")
    result = run("scan", str(d), str(jsonl), "-q")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCAN_SCHEMA)
    by_reason = {p["reason"]: p for p in report["skipped"]}
    assert by_reason["invalid_utf8"]["message"].endswith(f"invalid UTF-8 at byte offset {len('خبر عاجل'.encode())}")
    assert "bad.txt" in by_reason["invalid_utf8"]["origin"]
    assert by_reason["empty"]["id"] == "empty.txt"
    assert by_reason["binary"]["id"] == "bin.txt"
    assert by_reason["malformed_json"]["origin"].endswith("more.jsonl:2")
    assert by_reason["missing_field"]["origin"].endswith("more.jsonl:4")
    assert by_reason["too_short"]["id"] == "short.txt"
    assert report["stats"]["skipped"] == 6
    assert report["stats"]["documents_scanned"] == 4
    # and each is logged on stderr, the one too short to shingle too
    logged = run("scan", str(d), str(jsonl)).stderr
    assert all(p["message"] in logged for p in report["skipped"]), logged


def test_strict_stops_at_first_bad_document(tmp_path):
    d = _corpus(tmp_path)
    (d / "empty.txt").write_text("", encoding="utf-8")
    result = run("scan", str(d), "--strict", "-q")
    assert result.exit_code == 2
    assert "empty.txt" in result.stderr and result.stdout == ""


def test_duplicate_id_is_an_error_naming_both_places(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text('{"id": "7", "text": "الخبر الاول هنا"}\n', encoding="utf-8")
    b.write_text('{"id": 1, "text": "خبر"}\n{"id": 7, "text": "الخبر الثاني هنا"}\n', encoding="utf-8")
    result = run("scan", str(a), str(b))
    assert result.exit_code == 2
    assert "duplicate id '7'" in result.stderr and "a.jsonl:1" in result.stderr and "b.jsonl:2" in result.stderr


def test_the_same_input_given_twice_is_a_duplicate_id(tmp_path):
    """Two readings of one file are two documents under one id: exit 2, as
    for any duplicate id (it was counted twice, and an index add failed on
    its unique key)."""
    d = _corpus(tmp_path)
    for args in ([str(d), str(d)], [str(d / "a.txt"), str(d / "a.txt")]):
        result = run("scan", *args, "-q")
        assert result.exit_code == 2 and "the same input given twice" in result.stderr, result.stderr
        result = run("index", "add", "--db", str(tmp_path / "twice.db"), *args, "-q")
        assert result.exit_code == 2 and "the same input given twice" in result.stderr, result.stderr


def test_a_file_name_that_is_not_utf8_gets_an_escaped_id(tmp_path):
    d = _corpus(tmp_path)
    text = (d / "a.txt").read_text(encoding="utf-8")
    odd = Path(os.fsdecode(bytes(d / "b") + b"\xfe.txt"))
    odd.write_text(text, encoding="utf-8")
    result = run("scan", str(d), "-q")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCAN_SCHEMA)
    (cluster,) = [c for c in report["clusters"] if "a.txt" in {m["id"] for m in c["members"]}]
    assert "b\\xfe.txt" in {m["id"] for m in cluster["members"]}


@pytest.mark.parametrize("target", ["missing/report.json", "."])
def test_an_unwritable_output_is_exit_2_before_any_work(tmp_path, monkeypatch, target):
    import dedup.check
    import dedup.scan

    def work(*args, **kwargs):
        raise AssertionError("the work started")

    monkeypatch.setattr(dedup.scan, "scan_items", work)
    monkeypatch.setattr(dedup.check, "check", work)
    d = _corpus(tmp_path)
    result = run("scan", str(d), "-o", str(tmp_path / target), "-q")
    assert result.exit_code == 2 and result.stdout == "" and "dedup: error:" in result.stderr, result.exception
    result = run("check", "--against", str(d), str(d / "a.txt"), "-o", str(tmp_path / target), "-q")
    assert result.exit_code == 2 and "dedup: error:" in result.stderr, result.exception
    # and a report that cannot be written once the work is done is exit 2 too, never 1
    monkeypatch.undo()
    monkeypatch.setattr("dedup.cli.check_output", lambda output: None)
    result = run("scan", str(d), "-o", str(tmp_path / target), "-q")
    assert result.exit_code == 2 and "cannot write" in result.stderr, result.exception


@pytest.mark.parametrize(
    "args",
    [["scan", "does/not/exist"], ["scan", str(SEEDS), "--threshold", "0"], ["scan", str(SEEDS), "--shingle-kind", "x"], ["scan"]],
)
def test_usage_errors_exit_2(args):
    assert run(*args).exit_code == 2


def test_help_explains_with_examples():
    result = run("scan", "--help")
    assert result.exit_code == 0
    for option in ("--threshold", "--shingle-size", "--num-perm", "--pairs", "--format", "--strict", "--quiet", "Example"):
        assert option in result.stdout


def test_schema_command_prints_the_schema():
    result = run("schema")
    assert json.loads(result.stdout) == SCAN_SCHEMA
    jsonschema.Draft202012Validator.check_schema(SCAN_SCHEMA)


def _truncation_and_template(tmp_path: Path) -> Path:
    """A story and its first third; two royal cables to different countries."""
    from test_verdict import CABLE

    d = tmp_path / "desk"
    d.mkdir()
    story = (SEEDS / "001_5ae8f7c01cc1239e.txt").read_text(encoding="utf-8")
    (d / "a_story.txt").write_text(story, encoding="utf-8")
    (d / "b_cut.txt").write_text(story[: len(story) // 3], encoding="utf-8")
    (d / "c_bolivia.txt").write_text(
        CABLE.format(name="إيفو موراليس", country="بوليفيا", occasion="استقلال"), encoding="utf-8"
    )
    (d / "d_ivory.txt").write_text(
        CABLE.format(name="الحسن واتارا", country="كوت ديفوار", occasion="اليوم الوطني"), encoding="utf-8"
    )
    return d


def test_verdicts_cluster_a_truncation_but_not_a_template(tmp_path):
    d = _truncation_and_template(tmp_path)
    report = json.loads(run("scan", str(d), "--pairs", "-q").stdout)
    jsonschema.validate(report, SCAN_SCHEMA)
    assert [[m["id"] for m in c["members"]] for c in report["clusters"]] == [["a_story.txt", "b_cut.txt"]]
    relations = {(p["a"], p["b"]): (p["relation"], p["reason"]) for p in report["pairs"]}
    assert relations[("a_story.txt", "b_cut.txt")] == ("near_duplicate", "truncated")
    assert report["parameters"]["verdict"]["templates"] is True


def test_verdict_switches(tmp_path):
    d = _truncation_and_template(tmp_path)
    plain = json.loads(
        run(
            "scan", str(d), "-q", "--no-templates", "--containment", "1.0", "--containment-windows", "0", "--reworded", "1.0"
        ).stdout
    )
    # a single threshold: the template cables merge, the truncated copy is lost
    assert [[m["id"] for m in c["members"]] for c in plain["clusters"]] == [["c_bolivia.txt", "d_ivory.txt"]]
    assert plain["parameters"]["verdict"] == {
        "containment": 1.0,
        "containment_windows": 0,
        "templates": False,
        "split_chains": True,
        "partial_is_duplicate": False,
        "reworded": 1.0,
    }


def test_long_runs_show_progress_on_stderr_and_quiet_silences_it(tmp_path):
    """More than PROGRESS_MIN_DOCS documents: a progress bar on stderr (typer's;
    typer >= 0.20 no longer installs click), JSON alone on stdout."""
    from dedup.cli import PROGRESS_MIN_DOCS

    words = ["الكويت", "الرياض", "وزير", "الخارجية", "اجتمع", "سفير", "التعاون", "العلاقات", "الثنائية", "مجلس"]
    lines = [
        json.dumps({"id": f"d{n}", "text": " ".join(words[(n + k * k) % len(words)] + str(n * 7 + k) for k in range(40))})
        for n in range(PROGRESS_MIN_DOCS + 20)
    ]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shown = run("scan", str(path))
    assert shown.exit_code == 0, shown.stderr
    assert "hashing" in shown.stderr
    assert json.loads(shown.stdout)["stats"]["documents_scanned"] == PROGRESS_MIN_DOCS + 20
    quiet = run("scan", str(path), "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert quiet.stdout == shown.stdout
    # check: the corpus as it is indexed, then the new documents as they are screened
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    checked = run("check", "--against", str(corpus), str(path))
    assert checked.exit_code == 0, checked.stderr  # lines[:5], the same ids, are those documents
    assert f"screened new: {PROGRESS_MIN_DOCS + 20:,} documents" in checked.stderr
    quiet = run("check", "--against", str(corpus), str(path), "--quiet")
    assert quiet.stderr == "" and quiet.stdout == checked.stdout


def test_progress_shows_on_slow_work_below_the_document_count(monkeypatch, capsys):
    """Few documents, each slow (a check against a big index): a line once
    the work has taken PROGRESS_MIN_SECONDS, and a last one at the end;
    fast work of as many documents shows nothing."""
    import dedup.cli as cli

    clock = [0.0]
    monkeypatch.setattr(cli.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: False, raising=False)
    with cli.Progress("screened new", quiet=False) as fast:
        clock[0] = 1.0
        fast.update(5)
    assert capsys.readouterr().err == ""
    clock[0] = 0.0
    with cli.Progress("screened new", quiet=False) as slow:
        clock[0] = 10 * cli.PROGRESS_MIN_SECONDS
        slow.update(5)
    # the last line would say the same: not repeated
    assert capsys.readouterr().err.splitlines() == ["screened new: 5 documents (0.1/s)"]
    clock[0] = 0.0
    with cli.Progress("screened new", quiet=False) as slow:
        clock[0] = 10 * cli.PROGRESS_MIN_SECONDS
        slow.update(5)
        clock[0] += 1
        slow.update(6)
    assert capsys.readouterr().err.splitlines() == ["screened new: 5 documents (0.1/s)", "screened new: 11 documents (0.1/s)"]


def test_a_reworded_copy_is_judged_alike_by_scan_explain_and_check(tmp_path):
    """Every command passes the texts' leads to the verdict: the reworded
    copy (Jaccard 0.495, under the threshold) is a duplicate in each, and
    with --reworded 1.0 the scan no longer clusters it."""
    from dedup.report import CHECK_SCHEMA

    from test_verdict import REWORDED_COPY, REWORDED_STORY

    corpus, new = tmp_path / "corpus", tmp_path / "new"
    corpus.mkdir()
    new.mkdir()
    (corpus / "release.txt").write_text(REWORDED_STORY, encoding="utf-8")
    (new / "rewrite.txt").write_text(REWORDED_COPY, encoding="utf-8")
    both = tmp_path / "both"
    both.mkdir()
    (both / "release.txt").write_text(REWORDED_STORY, encoding="utf-8")
    (both / "rewrite.txt").write_text(REWORDED_COPY, encoding="utf-8")

    report = json.loads(run("scan", str(both), "--pairs", "-q").stdout)
    jsonschema.validate(report, SCAN_SCHEMA)
    (pair,) = report["pairs"]
    assert (pair["relation"], pair["reason"]) == ("near_duplicate", "reworded") and pair["jaccard"] < 0.5
    assert len(report["clusters"]) == 1
    off = json.loads(run("scan", str(both), "--pairs", "-q", "--reworded", "1.0").stdout)
    assert off["clusters"] == [] and off["parameters"]["verdict"]["reworded"] == 1.0

    explained = json.loads(run("explain", str(both / "release.txt"), str(both / "rewrite.txt"), "--json", "-q").stdout)
    assert (explained["relation"], explained["reason"]) == ("near_duplicate", "reworded")
    plain = json.loads(
        run("explain", str(both / "release.txt"), str(both / "rewrite.txt"), "--json", "-q", "--reworded", "1.0").stdout
    )
    assert plain["relation"] != "near_duplicate"

    # explain --db judges with the index's own rules, as screen does
    db = tmp_path / "desk.db"
    assert run("index", "add", "--db", str(db), str(both), "-q").exit_code == 0
    stored = json.loads(run("explain", "--db", str(db), "release.txt", "rewrite.txt", "--json", "-q").stdout)
    assert (stored["relation"], stored["reason"]) == ("near_duplicate", "reworded")
    refused = run("explain", "--db", str(db), "release.txt", "rewrite.txt", "--reworded", "1.0")
    assert refused.exit_code == 2 and "index's own rules" in refused.stderr

    checked = run("check", "-q", "--against", str(corpus), str(new))
    assert checked.exit_code == 1, checked.stderr
    result = json.loads(checked.stdout)
    jsonschema.validate(result, CHECK_SCHEMA)
    (dup,) = result["duplicates"]
    assert [(m["id"], m["relation"], m["reason"]) for m in dup["matches"]] == [("release.txt", "near_duplicate", "reworded")]

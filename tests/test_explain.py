"""`dedup explain` through the CLI runner: JSON evidence, the readable
layout, stdin, errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dedup.cli import app
from dedup.cli_explain import RLM
from dedup.normalize import normalize

runner = CliRunner()


@pytest.fixture()
def files(tmp_path, seed_paragraphs):
    paras = [p for p in seed_paragraphs if len(p) >= 250]
    wire = "\n".join(paras[0:3])
    local = "\n".join([paras[8], paras[1], paras[9]])
    edited = " ".join("كلمة" if n % 15 == 7 else w for n, w in enumerate(wire.split(" ")))
    out = {}
    for name, text in {"wire": wire, "local": local, "edited": edited, "other": paras[10]}.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
        out[name] = (str(tmp_path / f"{name}.txt"), text)
    out["shared"] = paras[1]
    return out


def test_json_is_the_evidence_with_original_offsets(files):
    (wire, wire_text), (local, local_text) = files["wire"], files["local"]
    result = runner.invoke(app, ["explain", wire, local, "--json", "-q"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert (report["a"], report["b"], report["relation"]) == (wire, local, "partial")
    (p,) = report["passages"]
    assert normalize(wire_text[p["a"][0] : p["a"][1]]) == normalize(files["shared"])
    assert normalize(local_text[p["b"][0] : p["b"][1]]) == normalize(files["shared"])
    assert p["text"] == wire_text[p["a"][0] : p["a"][1]]


def test_edited_copy_is_a_duplicate_with_one_passage(files):
    result = runner.invoke(app, ["explain", files["wire"][0], files["edited"][0], "--json", "-q"])
    report = json.loads(result.stdout)
    assert report["relation"] == "near_duplicate"
    assert len(report["passages"]) == 1 and report["passages"][0]["similarity"] < 1.0
    assert min(report["containment"]) > 0.8


def test_readable_layout_keeps_arabic_lines_apart_from_labels(files):
    result = runner.invoke(app, ["explain", files["wire"][0], files["local"][0], "--width", "60", "-q"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "relation: partial" in lines
    text_lines = [line for line in lines if RLM in line]
    assert text_lines, "the passage is printed"
    for line in lines:
        arabic = any("\u0600" <= c <= "\u06ff" for c in line)
        # a line is either all ASCII (labels, offsets) or one RTL passage line
        assert (not arabic and line.isascii()) or line.startswith(f"    {RLM}"), line
    assert all(len(line) <= 60 + 5 for line in text_lines)
    printed = " ".join(line.replace(RLM, "").strip() for line in text_lines)
    assert normalize(printed) == normalize(files["shared"])


def test_unrelated_stories_have_no_passage(files):
    result = runner.invoke(app, ["explain", files["wire"][0], files["other"][0], "-q"])
    assert result.exit_code == 0
    assert "0 shared passages" in result.stdout and "relation: different" in result.stdout


def test_stdin_for_one_story(files):
    (wire, _), (_, local_text) = files["wire"], files["local"]
    result = runner.invoke(app, ["explain", wire, "-", "--json", "-q"], input=local_text.encode("utf-8"))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["b"] == "<stdin>"


def test_bad_input_exits_2_with_a_clear_message(files, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("خبر".encode("utf-8") + b"\xff\xfe")
    result = runner.invoke(app, ["explain", files["wire"][0], str(bad)])
    assert result.exit_code == 2
    assert "invalid UTF-8 at byte offset 6" in result.stderr and result.stdout == ""
    missing = runner.invoke(app, ["explain", files["wire"][0], str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    both = runner.invoke(app, ["explain", "-", "-"])
    assert both.exit_code == 2


def test_help_explains_every_option():
    result = runner.invoke(app, ["explain", "--help"])
    assert result.exit_code == 0
    for option in ("--json", "--db", "--threshold", "--width", "--quiet", "Example"):
        assert option in result.stdout


def test_two_ids_of_an_index(files, tmp_path):
    db = tmp_path / "desk.db"
    added = runner.invoke(app, ["index", "add", "--db", str(db), files["wire"][0], files["local"][0], "-q"])
    assert added.exit_code == 0, added.stderr
    by_file = json.loads(runner.invoke(app, ["explain", files["wire"][0], files["local"][0], "--json", "-q"]).stdout)
    result = runner.invoke(app, ["explain", "--db", str(db), files["wire"][0], files["local"][0], "--json", "-q"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == by_file  # ids of files added by path are their paths
    missing = runner.invoke(app, ["explain", "--db", str(db), files["wire"][0], "nope"])
    assert missing.exit_code == 2 and "'nope': not in the index" in missing.stderr
    no_db = runner.invoke(app, ["explain", "--db", str(tmp_path / "none.db"), "a", "b"])
    assert no_db.exit_code == 2 and "no such index" in no_db.stderr

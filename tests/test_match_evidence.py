"""Screen matches and check reports carry the pair's evidence: containment
both ways and the shared passages in original-text offsets."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dedup.cli import app
from dedup.index import Index
from dedup.inputs import Document
from dedup.normalize import normalize
from dedup.scan import ScanConfig

from conftest import SEEDS

runner = CliRunner()


def _retyped(text: str) -> str:
    """The same story as a desk re-types it: harakat, tatweel, other alef forms."""
    return text.replace("الأمن", "الاَمــن").replace("التعاون", "التَّعاوُن").replace("ا", "أ", 4)


def _check_passages(match: dict, text_a: str, text_b: str) -> None:
    assert match["passages"], match
    for p in match["passages"]:
        (sa, ea), (sb, eb) = p["a"], p["b"]
        assert p["text"] == text_a[sa:ea]
        if p.get("similarity", 1.0) == 1.0:  # an exact passage normalizes to the same text on both sides
            assert normalize(text_a[sa:ea]) == normalize(text_b[sb:eb])


def test_screen_match_has_evidence(tmp_path: Path):
    story = (SEEDS / "000_abd4ea358a47b60d.txt").read_text(encoding="utf-8")
    with Index.open(tmp_path / "desk.db", ScanConfig(), create=True) as index:
        index.add([Document("kuna-1", story, "seed")])
    incoming = _retyped(story)
    line = json.dumps({"id": "wire-7", "text": incoming}, ensure_ascii=False)
    result = runner.invoke(app, ["screen", "--db", str(tmp_path / "desk.db"), "--quiet"], input=line + "\n")
    assert result.exit_code == 0, result.stderr
    verdict = json.loads(result.stdout.splitlines()[0])
    assert verdict["verdict"] in ("duplicate", "near_duplicate")
    match = verdict["matches"][0]
    assert match["id"] == "kuna-1"
    assert len(match["containment"]) == 2 and min(match["containment"]) > 0.9
    _check_passages(match, incoming, story)
    covered = sum(e - s for s, e in (p["a"] for p in match["passages"]))
    assert covered > 0.9 * len(incoming.strip())


def test_check_report_has_evidence(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    story = (SEEDS / "003_9d8cd46eb67ea1a7.txt").read_text(encoding="utf-8")
    (corpus / "old.txt").write_text(story, encoding="utf-8")
    new = tmp_path / "new.txt"
    cut = story[: len(story) * 2 // 3]
    new.write_text(cut, encoding="utf-8")
    result = runner.invoke(app, ["check", "--against", str(corpus), str(new), "--quiet"])
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    text = json.dumps(report, ensure_ascii=False)
    assert '"containment"' in text and '"passages"' in text
    match = report["duplicates"][0]["matches"][0]
    assert match["relation"] == "near_duplicate" and match["reason"] in ("truncated", "edited")
    assert match["containment"][0] > 0.95  # the new, cut text is inside the old one
    _check_passages(match, cut, story)

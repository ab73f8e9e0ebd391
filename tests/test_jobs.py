"""``--jobs`` changes who signs, never what comes out."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from dedup.cli import app
from dedup.scan import ScanConfig, sign

from conftest import WIRECOPY, need


def test_forked_signing_equals_serial(seed_paragraphs):
    texts = seed_paragraphs * 3
    serial = sign(texts, ScanConfig(), batch_size=7)
    forked = sign(texts, ScanConfig(), jobs=2, batch_size=7)
    np.testing.assert_array_equal(serial.signatures, forked.signatures)
    np.testing.assert_array_equal(serial.hashes, forked.hashes)
    np.testing.assert_array_equal(serial.offsets, forked.offsets)
    # and batching itself does not change anything
    whole = sign(texts, ScanConfig())
    np.testing.assert_array_equal(whole.signatures, serial.signatures)
    np.testing.assert_array_equal(whole.offsets, serial.offsets)


def test_cli_jobs_output_is_byte_identical():
    docs = str(need(WIRECOPY / "docs.jsonl"))
    runner = CliRunner()
    one = runner.invoke(app, ["scan", docs, "--pairs", "-q", "--jobs", "1"])
    two = runner.invoke(app, ["scan", docs, "--pairs", "-q", "--jobs", "2"])
    assert one.exit_code == two.exit_code == 0, two.stderr
    assert one.stdout_bytes == two.stdout_bytes
    assert b'"clusters"' in one.stdout_bytes


def _items(seed_paragraphs):
    from dedup.inputs import Document, Problem

    texts = seed_paragraphs * 3 + [seed_paragraphs[0][:400] + " " + seed_paragraphs[1][:300]]
    items = [Document(f"d{n}", t, f"mem:{n}") for n, t in enumerate(texts)]
    items.insert(5, Problem("mem:bad", "malformed", "mem:bad: malformed JSON"))
    return items


def test_streaming_scan_equals_collect_then_scan(monkeypatch, seed_paragraphs):
    """Batches signed while the input is still being read (forked or not)
    give the same result as reading everything first."""
    import dedup.scan as scan_module
    from dedup.report import json_bytes, scan_report
    from dedup.scan import collect, scan, scan_items

    monkeypatch.setattr(scan_module, "BATCH_SIZE", 7)  # many batches from a few documents
    config = ScanConfig(threshold=0.3)
    documents, problems = collect(iter(_items(seed_paragraphs)))
    want = json_bytes(scan_report(scan(documents, config, problems), include_pairs=True))
    for jobs in (1, 2):
        seen = []
        result = scan_items(iter(_items(seed_paragraphs)), config, jobs=jobs, on_problem=seen.append)
        assert json_bytes(scan_report(result, include_pairs=True)) == want, jobs
        assert [p.origin for p in seen] == ["mem:bad"]
        assert result.stats["documents_read"] == len(documents) + 1


def test_streaming_scan_strict_error_reaches_the_caller(monkeypatch, seed_paragraphs):
    import pytest

    import dedup.scan as scan_module
    from dedup.inputs import InputError
    from dedup.scan import scan_items

    monkeypatch.setattr(scan_module, "BATCH_SIZE", 2)
    for jobs in (1, 2):
        with pytest.raises(InputError, match="malformed JSON"):
            scan_items(iter(_items(seed_paragraphs)), ScanConfig(), strict=True, jobs=jobs)

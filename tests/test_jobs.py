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

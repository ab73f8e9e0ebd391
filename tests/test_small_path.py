"""The small-input path (no numba: reference normalization, numpy MinHash,
kernels run as Python) against datasketch and against the compiled path:
equal arrays, byte-identical scan reports."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHash
from typer.testing import CliRunner

import dedup.codepoints as codepoints
import dedup.minhash as minhash
from dedup.cli import app
from dedup.codepoints import encode, normalize_encoded, word_windows
from dedup.minhash import hash_encoded, sign_encoded
from dedup.shingle import shingle_hash32, shingles

from conftest import ROOT, SEEDS, WIRECOPY, need


@pytest.fixture(params=["reference", "compiled"])
def path(request, monkeypatch):
    """Run the test on one path, whatever the batch sizes."""
    chosen = lambda size: request.param == "reference"  # noqa: E731
    monkeypatch.setattr(codepoints, "use_reference", chosen)
    monkeypatch.setattr(minhash, "use_reference", chosen)
    return request.param


def _both(monkeypatch, fn):
    out = {}
    for name in ("reference", "compiled"):
        chosen = lambda size, name=name: name == "reference"  # noqa: E731
        monkeypatch.setattr(codepoints, "use_reference", chosen)
        monkeypatch.setattr(minhash, "use_reference", chosen)
        out[name] = fn()
    monkeypatch.undo()
    return out["reference"], out["compiled"]


def _texts(seed_paragraphs, wirecopy=None) -> list[str]:
    rng = random.Random(23)
    short = ["", "ا", "abcd", "abcde", "a b", "one two three", "ﷲ ﷺ", "\U0001f600 الكويت"]
    texts = short + seed_paragraphs + [rng.choice(seed_paragraphs)[: rng.randint(0, 60)] for _ in range(50)]
    if wirecopy is not None:
        texts += [d.text for d in wirecopy[:120]]
    return texts


@pytest.mark.parametrize(("k", "kind", "num_perm", "seed"), [(5, "char", 128, 1), (3, "char", 64, 42), (2, "word", 128, 7)])
def test_signatures_equal_datasketch(path, seed_paragraphs, k, kind, num_perm, seed):
    texts = _texts(seed_paragraphs)
    cps, offsets = normalize_encoded(texts)
    normalized = codepoints.decode(cps, offsets)
    sigs, counts = sign_encoded(cps, offsets, k, kind, num_perm, seed)
    for i, text in enumerate(normalized):
        m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=shingle_hash32)
        m.update_batch(shingles(text, k, kind))
        np.testing.assert_array_equal(sigs[i], m.hashvalues, err_msg=text[:60])
        assert counts[i] == len(shingles(text, k, kind))


@pytest.mark.parametrize(("k", "kind"), [(5, "char"), (1, "char"), (3, "word")])
def test_paths_give_equal_arrays(monkeypatch, seed_paragraphs, wirecopy_docs, k, kind):
    texts = _texts(seed_paragraphs, wirecopy_docs)

    def run():
        cps, offsets = normalize_encoded(texts)
        sigs, counts = sign_encoded(cps, offsets, k, kind, 128, 1)
        _, distinct = sign_encoded(cps, offsets, k, kind, 128, 1, distinct=True)
        hashed = hash_encoded(cps, offsets, k, kind, 128, 1)
        windows = word_windows(cps, offsets, 30, 30, 5) + word_windows(cps, offsets, 4, 2, 1)
        return (cps, offsets, sigs, counts, distinct, hashed.signatures, hashed.hashes, hashed.offsets, *windows)

    reference, compiled = _both(monkeypatch, run)
    for got, want in zip(reference, compiled):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_empty_batch(path):
    cps, offsets = encode([])
    assert sign_encoded(cps, offsets, 5, "char", 16, 1)[0].shape == (0, 16)
    assert hash_encoded(cps, offsets, 5, "char", 16, 1).offsets.tolist() == [0]
    assert [len(a) for a in word_windows(cps, offsets, 30, 30)] == [0, 1, 0]


def _scan_bytes(args: list[str]) -> bytes:
    result = CliRunner().invoke(app, ["scan", *args, "-q"])
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout_bytes


def test_scan_reports_are_byte_identical(monkeypatch, tmp_path):
    """The same scan through either path: seeds, and a slice of wirecopy-dev
    with its duplicates, pairs and partial pairs."""
    sample = tmp_path / "sample.jsonl"
    with open(need(WIRECOPY / "docs.jsonl"), "rb") as fh:
        sample.write_bytes(b"".join(line for _, line in zip(range(300), fh)))
    for args in ([str(SEEDS)], [str(sample), "--pairs"], [str(sample), "--shingle-kind", "word", "-k", "3"]):
        reference, compiled = _both(monkeypatch, lambda: _scan_bytes(args))
        assert reference == compiled, args
    assert b'"verified_pairs": 0' not in compiled


def test_small_batches_do_not_import_numba():
    code = (
        "import sys\n"
        "from dedup.codepoints import normalize_encoded, word_windows\n"
        "from dedup.minhash import hash_encoded, sign_encoded\n"
        "cps, off = normalize_encoded(['الكويت والرياض ﷲ', 'one two three four'])\n"
        "sign_encoded(cps, off, 5, 'char', 128, 1, distinct=True)\n"
        "hash_encoded(cps, off, 2, 'word', 128, 1)\n"
        "word_windows(cps, off, 2, 1)\n"
        "assert 'numba' not in sys.modules, 'numba imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_small_scan_does_not_import_numba_or_scipy():
    """A warm `dedup scan seeds/` pays no numba or scipy import: the scan's
    LSH and verification kernels run as Python too (dedup.codepoints.sized)."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from dedup.cli import app\n"
        f"result = CliRunner().invoke(app, ['scan', {str(SEEDS)!r}, '-q'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert '\"documents_scanned\": 5' in result.stdout\n"
        "loaded = sorted(m for m in ('numba', 'scipy') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

"""The store under real processes: two concurrent writers, and ``kill -9``
of an ``index add`` in the middle of a run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from dedup.index import Index
from dedup.postings import BANDS as BAND_POSTINGS
from dedup.postings import WINDOWS as WINDOW_POSTINGS

from test_index import postings, synthetic_texts

BANDS = 32  # at the default parameters


def write_jsonl(path: Path, prefix: str, texts: list[str]) -> list[str]:
    ids = [f"{prefix}{i}" for i in range(len(texts))]
    with path.open("wb") as fh:
        for doc_id, text in zip(ids, texts):
            fh.write(orjson.dumps({"id": doc_id, "text": text}) + b"\n")
    return ids


def index_add(db: Path, jsonl: Path, batch_size: int, jobs: int = 1) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dedup", "index", "add", "--db", str(db), str(jsonl), "--batch-size", str(batch_size), "-j", str(jobs), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def consistent(db: Path) -> int:
    """Integrity check, and every document has all its postings (and no
    posting names a document that is not there); returns the count."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        numbers = {n for (n,) in con.execute("SELECT doc FROM docs")}
    finally:
        con.close()
    with Index.open(db, readonly=True) as index:
        bands = postings(index, BAND_POSTINGS)
        assert len(bands) == len(numbers) * BANDS
        assert {doc for _, doc in bands} == numbers, "every document has its band postings, and only they"
        windows = {doc for _, doc in postings(index, WINDOW_POSTINGS)}
        assert windows == numbers, "every document has its window postings, and only they"
    return len(numbers)


def test_two_processes_adding_at_once_lose_nothing(tmp_path):
    db = tmp_path / "desk.db"  # created by whichever process gets there first
    files, expected = [], set()
    for p in range(2):
        path = tmp_path / f"in{p}.jsonl"
        expected.update(write_jsonl(path, f"p{p}-", synthetic_texts(2000, seed=100 + p, words=40)))
        files.append(path)
    procs = [index_add(db, f, batch_size=50) for f in files]  # 40 transactions each, interleaved
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        assert orjson.loads(out)["added"] == 2000
    assert consistent(db) == 4000
    with Index.open(db) as index:
        assert set(index.ids()) == expected


def _open_when_released(path: Path, start, results) -> None:
    start.wait()
    try:
        with Index.open(path, create=True):
            results.put("ok")
    except Exception as err:  # reported to the test, which shows it
        results.put(f"{type(err).__name__}: {err}")


def test_processes_creating_one_store_at_once_all_open_it(tmp_path):
    """Two processes released together create the same store, 30 times: every
    opening succeeds. SQLite answers "database is locked" to a journal-mode
    change without waiting for the lock; before the open retried it, 43 of 200
    such openings failed (and the two-writer test above, whose processes
    usually start apart, failed now and then)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    outcomes = []
    for attempt in range(30):
        start, results = context.Barrier(2), context.Queue()
        args = (tmp_path / f"desk{attempt}.db", start, results)
        procs = [context.Process(target=_open_when_released, args=args) for _ in range(2)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=120)
        outcomes += [results.get(timeout=10) for _ in procs]
    assert outcomes == ["ok"] * 60, [o for o in outcomes if o != "ok"][:3]


def processes_running(marker: str) -> list[int]:
    """Pids of processes whose command line mentions ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.mark.parametrize("jobs", [1, 2])
def test_kill_9_during_add_keeps_every_committed_batch(tmp_path, jobs):
    db, jsonl, batch = tmp_path / "desk.db", tmp_path / "big.jsonl", 100
    total = 20_000
    ids = write_jsonl(jsonl, "k", synthetic_texts(total, seed=42, words=40))
    proc = index_add(db, jsonl, batch_size=batch, jobs=jobs)
    deadline = time.monotonic() + 120
    seen = 0
    while seen < 10 * batch:
        assert proc.poll() is None, f"index add ended before it could be killed: {proc.stderr.read().decode()}"
        assert time.monotonic() < deadline, "index add made no progress"
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
                    seen = con.execute("SELECT count(*) FROM docs").fetchone()[0]
            except sqlite3.OperationalError:
                seen = 0  # schema not created yet
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    if jobs > 1 and Path("/proc/self/cmdline").exists():
        # the forked workers see their parent's pipes close and exit
        deadline = time.monotonic() + 30
        while processes_running(str(db)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not processes_running(str(db)), "workers outlived the killed index add"

    kept = consistent(db)
    assert seen <= kept < total, "killed mid-run: some batches committed, not all"
    assert kept % batch == 0, "only whole batches are committed"
    with Index.open(db) as index:
        assert index.ids() == ids[:kept], "the committed batches are the first ones, complete"
        assert index.get_document(ids[kept - 1]).text.endswith(f"42 {kept - 1}")

    # the next add works and completes the store
    rerun = index_add(db, jsonl, batch_size=2000)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    summary = orjson.loads(out)
    assert (summary["unchanged"], summary["added"], summary["documents"]) == (kept, total - kept, total)
    assert consistent(db) == total

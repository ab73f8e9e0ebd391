"""SQLite alone: one row per (key, document) posting against sorted blobs.

    python benchmarks/bench_postings_sqlite.py rows blob

20 transactions of 200,000 postings each (a random 32-bit key and a
document number, sorted, as ~1,000 stories of window keys), into a WITHOUT
ROWID table keyed (key, doc) through ``json_each`` (how index schema 3 wrote
window rows), or as blobs of 256 records (how ``dedup.postings`` writes a
segment). WAL, 16 KB pages. Prints the microseconds a posting of the first
transaction and the median of the last five. No dedup code: this is what
decided the store's layout (README "What the store holds"). The stores go
to /tmp.
"""

import os
import statistics
import sqlite3
import sys
import time

import numpy as np
import orjson

PER, BATCHES, BLOCK = 200_000, 20, 256


def run(kind: str) -> None:
    db = f"/tmp/bench-postings-{kind}.db"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    con = sqlite3.connect(db, isolation_level=None)
    for pragma in ("page_size=16384", "journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
        con.execute(f"PRAGMA {pragma}")
    if kind == "rows":
        con.execute("CREATE TABLE w (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID")
    else:
        con.execute("CREATE TABLE w (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    rng = np.random.default_rng(0)
    record = np.dtype([("key", "<i4"), ("doc", "<u4")])
    seconds = []
    for b in range(BATCHES):
        keys = rng.integers(-(2**31), 2**31, PER, dtype=np.int64)
        docs = np.repeat(np.arange(b * 1000, (b + 1) * 1000, dtype=np.int64), PER // 1000)
        packed = np.sort((keys << 32) | docs)
        started = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        if kind == "rows":
            con.execute(
                "INSERT OR IGNORE INTO w (key, doc) SELECT value >> 32, value & 4294967295 FROM json_each(?1)",
                (orjson.dumps(packed, option=orjson.OPT_SERIALIZE_NUMPY).decode(),),
            )
        else:
            records = np.empty(PER, dtype=record)
            records["key"], records["doc"] = packed >> 32, packed & 0xFFFFFFFF
            con.executemany(
                "INSERT INTO w (id, data) VALUES (?, ?)",
                ((b << 24 | n, records[s : s + BLOCK].tobytes()) for n, s in enumerate(range(0, PER, BLOCK))),
            )
        con.execute("COMMIT")
        seconds.append(time.perf_counter() - started)
    first, last = seconds[0] / PER * 1e6, statistics.median(seconds[-5:]) / PER * 1e6
    print(f"{kind}: {first:.2f} us a posting in the first transaction, {last:.2f} in the last five "
          f"({BATCHES * PER:,} postings, {os.path.getsize(db) / 2**20:.0f} MiB)")


if __name__ == "__main__":
    for kind in sys.argv[1:] or ["rows", "blob"]:
        run(kind)

"""SQLite alone, as ``index add`` uses it: how band-row inserts cost as the store grows.

    python benchmarks/bench_index_sqlite.py plain 200000   # one band table, as index schema 1
    python benchmarks/bench_index_sqlite.py l0 200000      # a small table merged into the big one every 20k documents
    python benchmarks/bench_index_sqlite.py docs 200000    # document rows only

Random 63-bit keys (32 a document, batches of 1,000 documents, one transaction
each, sorted keys), 2,100-byte text blobs and 512-byte signatures, WAL,
16 KB pages; prints documents/s every 20,000. No dedup code: this isolates
the B-tree behaviour that made ``index add`` slow down with the store's size
(results: benchmarks/results/bench_index.md). The store goes to /tmp.
"""

import sqlite3, os, sys, time, numpy as np
mode = sys.argv[1]; N = int(sys.argv[2]); cache = int(sys.argv[3]) if len(sys.argv) > 3 else 0
db = f"/tmp/bench-index-sqlite-{mode}.db"
for s in ("", "-wal", "-shm"):
    try: os.unlink(db + s)
    except FileNotFoundError: pass
con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA page_size=16384"); con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=NORMAL")
if cache: con.execute(f"PRAGMA cache_size=-{cache}")
con.execute("CREATE TABLE docs (doc INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, origin TEXT NOT NULL, shingles INTEGER NOT NULL, signature BLOB NOT NULL, text BLOB NOT NULL)")
con.execute("CREATE TABLE bands (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID")
con.execute("CREATE TABLE recent (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID")
rng = np.random.default_rng(0)
B = 1000; BANDS = 32; L0 = 20000
t0 = time.perf_counter(); last = t0; merged = 0
text = os.urandom(2100); sig = os.urandom(512)
for b in range(N // B):
    docs = np.arange(b * B + 1, (b + 1) * B + 1)
    keys = rng.integers(0, 2**63, size=(B, BANDS), dtype=np.int64).ravel()
    d = np.repeat(docs, BANDS); o = np.argsort(keys)
    rows = np.column_stack([keys[o], d[o]]).tolist()
    con.execute("BEGIN IMMEDIATE")
    con.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?)", [(int(x), f"doc-{x:07d}", "corpus.jsonl:1", 900, sig, text) for x in docs])
    if mode == "docs":
        pass
    elif mode == "plain":
        con.executemany("INSERT OR IGNORE INTO bands VALUES (?,?)", rows)
    else:
        con.executemany("INSERT OR IGNORE INTO recent VALUES (?,?)", rows)
        if (b + 1) * B - merged >= L0:
            con.execute("INSERT OR IGNORE INTO bands SELECT key, doc FROM recent")
            con.execute("DELETE FROM recent"); merged = (b + 1) * B
    con.execute("COMMIT")
    if (b + 1) % 20 == 0:
        now = time.perf_counter()
        print(f"{(b+1)*B:>8} docs: last 20k {20*B/(now-last):8.0f} docs/s  total {(b+1)*B/(now-t0):8.0f}", flush=True)
        last = now
print("total", N / (time.perf_counter() - t0), os.path.getsize(db), os.path.getsize(db + "-wal"))

"""Load and latency of the persistent index: add throughput and screen latency.

    python benchmarks/bench_index.py 10000 100000 [1000000] [--rounds 3] [--queries 1000] [--jobs 1 2] [--bulk]
        [--batch-size 10000]

For each size N: a synthetic news corpus of N + Q documents
(``benchmarks/_corpus.py``, cached as JSONL under --workdir, never in the
repository); the first N are added to a fresh index, the last Q (fresh
stories plus the generator's planted edited copies of recent ones) are
screened one at a time against it.

- add: documents/second of ``Index.add`` reading the JSONL as ``dedup index
  add`` does (parse, normalize, sign, pack the text, write; transactions of
  ``--batch-size`` lines, the index's default: 1,000, 10,000 with --bulk), once for each ``--jobs`` value
  (``Index.add(jobs=...)``: forked processes parse and prepare batches while
  the adding process reads lines and writes), file size after closing (the WAL
  checkpointed into the file), and peak RSS of the adding process (workers
  not included), and the CPU time (user, system) of the adding process.
- screen: per-document latency of ``Index.screen`` (normalize + signature +
  band lookups + verification of every candidate), p50 and p99 over the Q
  queries after 20 warm-up queries, and peak RSS of the screening process.

Each measurement runs in its own subprocess (clean RSS, no warm caches from
another phase). Rounds are interleaved across sizes; the table shows the
median of the rounds, and every round's figure is printed too. Targets
(issue 4): p99 <= 5 ms at 1M documents; add >= 5,000 documents/s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WARMUP = 20


def corpus(workdir: Path, n: int, queries: int, seed: int) -> tuple[Path, Path]:
    """JSONL of the N indexed documents and of the Q queries (cached)."""
    base, query = workdir / f"corpus-{n}-{seed}.jsonl", workdir / f"queries-{n}-{queries}-{seed}.jsonl"
    if base.exists() and query.exists():
        return base, query
    sys.path.insert(0, str(HERE))
    import orjson
    from _corpus import generate

    started = time.perf_counter()
    with open(base, "wb") as fb, open(query, "wb") as fq:
        for i, (doc_id, text) in enumerate(generate(n + queries, seed)):
            (fb if i < n else fq).write(orjson.dumps({"id": doc_id, "text": text}) + b"\n")
    print(f"generated {n + queries:,} documents in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return base, query


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_add(db: str, jsonl: str, jobs: int = 1, bulk: bool = False, batch_size: int | None = None) -> dict:
    from dedup.index import Index
    from dedup.inputs import JSONL_BLOCK, read_documents

    for suffix in ("", "-wal", "-shm"):
        Path(db + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF)
    with Index.open(db, create=True) as index:
        result = index.add(read_documents([jsonl], blocks=JSONL_BLOCK), jobs=jobs, bulk=bulk, batch_size=batch_size)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    size = Path(db).stat().st_size
    return {
        "added": result.added,
        "seconds": seconds,
        "docs_per_s": result.added / seconds,
        "bytes": size,
        "rss_mb": _rss_mb(),
        # CPU of the writing process (workers not included): it is the
        # bottleneck, and CPU time moves less than wall time when other
        # machines share the host
        "writer_user_s": after.ru_utime - before.ru_utime,
        "writer_sys_s": after.ru_stime - before.ru_stime,
    }


def _p99(sorted_ms: list[float]) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(round(0.99 * (len(sorted_ms) - 1))))]


def run_screen(db: str, jsonl: str) -> dict:
    from dedup.index import Index
    from dedup.inputs import read_documents

    documents = [d for d in read_documents([jsonl]) if hasattr(d, "text")]
    latencies, flagged, by_kind = [], 0, {True: [], False: []}
    with Index.open(db, readonly=True) as index:
        for doc in documents[:WARMUP]:
            index.screen(doc)
        for doc in documents:
            started = time.perf_counter()
            screening = index.screen(doc)
            latencies.append(time.perf_counter() - started)
            hit = bool(getattr(screening, "matches", None))
            flagged += hit
            by_kind[hit].append(latencies[-1] * 1000)
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    new = sorted(by_kind[False])
    return {
        "queries": len(ms),
        "flagged": flagged,
        # stories that match pay their evidence (passages) too
        "new_p50_ms": statistics.median(new) if new else None,
        "new_p99_ms": _p99(new) if new else None,
        "flagged_median_ms": statistics.median(by_kind[True]) if by_kind[True] else None,
        "flagged_max_ms": max(by_kind[True]) if by_kind[True] else None,
        "p50_ms": statistics.median(ms),
        "p99_ms": _p99(ms),
        "max_ms": ms[-1],
        "mean_ms": statistics.fmean(ms),
        "rss_mb": _rss_mb(),
    }


def phase(kind: str, db: Path, jsonl: Path, *extra: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, f"_{kind}", str(db), str(jsonl), *extra], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--add-rounds-max-size", type=int, default=100_000, help="larger sizes are added once")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1], help="add once with each (Index.add jobs)")
    parser.add_argument("--bulk", action="store_true", help="add as a bulk load (Index.add bulk, `index add --bulk`)")
    parser.add_argument("--batch-size", type=int, help="lines a transaction (`index add --batch-size`; default the index's)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/dedup-bench-index"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    files = {n: corpus(args.workdir, n, args.queries, args.seed) for n in args.sizes}
    adds: dict[tuple[int, int], list[dict]] = {(n, j): [] for n in args.sizes for j in args.jobs}
    screens: dict[int, list[dict]] = {n: [] for n in args.sizes}
    for r in range(args.rounds):
        for n in args.sizes:
            db = args.workdir / f"index-{n}.db"
            if r == 0 or n <= args.add_rounds_max_size:
                for j in args.jobs:
                    mode = "bulk" if args.bulk else "plain"
                    batch = [str(args.batch_size)] if args.batch_size else []
                    adds[n, j].append(phase("add", db, files[n][0], str(j), mode, *batch))
                    print(f"round {r + 1} N={n:,} add jobs={j}: {json.dumps(adds[n, j][-1])}", file=sys.stderr)
            screens[n].append(phase("screen", db, files[n][1]))
            print(f"round {r + 1} N={n:,} screen: {json.dumps(screens[n][-1])}", file=sys.stderr)

    def med(rows: list[dict], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    print(f"\nmedians of {args.rounds} interleaved rounds (add: rounds shown), {args.queries} queries, {os.cpu_count()} CPUs\n")
    jobs_cols = " | ".join(f"add docs/s (jobs {j})" for j in args.jobs)
    print(f"| documents | {jobs_cols} | add rounds | file size | bytes/doc | add RSS | screen p50 | screen p99 | flagged | screen RSS |")
    print("|---:|" + "---:|" * (len(args.jobs) + 8))
    for n in args.sizes:
        a, s = adds[n, args.jobs[0]], screens[n]
        size = med(a, "bytes")
        rates = " | ".join(f"{med(adds[n, j], 'docs_per_s'):,.0f}" for j in args.jobs)
        print(
            f"| {n:,} | {rates} | {len(a)} | {size / 2**20:,.0f} MiB | {size / n:,.0f} | "
            f"{med(a, 'rss_mb'):,.0f} MiB | {med(s, 'p50_ms'):.2f} ms | {med(s, 'p99_ms'):.2f} ms | "
            f"{s[0]['flagged']}/{s[0]['queries']} | {med(s, 'rss_mb'):,.0f} MiB |"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["_add"]:
        # _add DB JSONL JOBS [bulk|plain [BATCH_SIZE]]
        batch = int(sys.argv[6]) if len(sys.argv) > 6 else None
        print(json.dumps(run_add(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:6] == ["bulk"], batch)))
    elif sys.argv[1:2] == ["_screen"]:
        print(json.dumps(run_screen(sys.argv[2], sys.argv[3])))
    else:
        main()

"""End-to-end ``dedup scan`` wall time and peak RSS as the corpus grows.

    python benchmarks/bench_scan.py 10000 100000 --rounds 3 --jobs 1 2
    python benchmarks/bench_scan.py 1000000 --rounds 1 --jobs 2   # ~4 min, ~5 GB in /tmp

For each size, a corpus from ``_corpus.py`` (generated once into --dir,
default /tmp; never committed), then ``dedup scan FILE -q --jobs J`` as a
child process, sizes and job counts interleaved round by round; prints the
median wall time and the median of the children's peak RSS (``wait4``
rusage), documents per second, and the candidate pairs (those verified
exactly, after the signature prefilter) and verified pairs from the report,
so the growth with size is visible. The 1M corpus takes ~2.5 min to generate
and ~4.9 GB; ``dedup scan`` spools its texts to a temporary file of the same
size while it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import write_jsonl  # noqa: E402

DEDUP = [sys.executable, "-m", "dedup"]


def run(path: Path, jobs: int) -> tuple[float, float, dict]:
    out = path.with_suffix(f".report-j{jobs}.json")
    started = time.perf_counter()
    proc = subprocess.Popen([*DEDUP, "scan", str(path), "-q", "--jobs", str(jobs), "-o", str(out)])
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"dedup scan {path} failed with {status}")
    stats = json.loads(out.read_text())["stats"]
    return wall, usage.ru_maxrss / 1024, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dir", type=Path, default=Path("/tmp"))
    args = parser.parse_args()
    corpora = {}
    for n in args.sizes:
        path = args.dir / f"dedup-corpus-{n}.jsonl"
        if not path.exists():
            started = time.perf_counter()
            write_jsonl(n, path)
            print(f"generated {path} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        corpora[n] = path
    results: dict[tuple[int, int], list[tuple[float, float, dict]]] = {}
    for r in range(args.rounds):
        for n, path in corpora.items():
            for jobs in args.jobs:
                results.setdefault((n, jobs), []).append(run(path, jobs))
                wall, rss, _ = results[(n, jobs)][-1]
                print(f"round {r + 1}: {n} docs, --jobs {jobs}: {wall:.1f} s, {rss:.0f} MB", file=sys.stderr)
    print(f"\nmedian of {args.rounds} interleaved rounds\n")
    print("| documents | --jobs | wall s | docs/s | peak RSS MB | candidate pairs | verified pairs | clusters |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (n, jobs), runs in results.items():
        wall = statistics.median(x[0] for x in runs)
        rss = statistics.median(x[1] for x in runs)
        stats = runs[0][2]
        print(
            f"| {n:,} | {jobs} | {wall:.1f} | {n / wall:,.0f} | {rss:,.0f} | {stats['candidate_pairs']:,} | "
            f"{stats['verified_pairs']:,} | {stats['clusters']:,} |"
        )


if __name__ == "__main__":
    main()

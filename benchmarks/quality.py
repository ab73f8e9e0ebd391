"""Quality of `dedup scan` on wirecopy-dev, and the sweep the defaults come from.

    python benchmarks/quality.py            # the defaults only
    python benchmarks/quality.py --sweep    # threshold x shingle size x num_perm

Prints pairwise precision, recall, F1, ARI, the hard-negative false-positive
rate and how many `partial` host/source pairs were wrongly clustered.
Needs ../shared/eval/wirecopy-dev/ (internal evaluation data, not in the repo).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _wirecopy import WIRECOPY, load, score  # noqa: E402

from dedup.scan import ScanConfig, cluster_signed, sign  # noqa: E402


def predicted_clusters(result) -> list[list[str]]:
    return [[result.documents[m].id for m in c.cluster.members] for c in result.clusters]


def row(cfg: ScanConfig, metrics: dict, seconds: float) -> str:
    return (
        f"| {cfg.threshold:.2f} | {cfg.shingle_kind}-{cfg.shingle_size} | {cfg.num_perm} | {cfg.candidate_threshold:.2f} "
        f"{cfg.bands_rows[0]}x{cfg.bands_rows[1]} | "
        f"{metrics['precision']:.4f} | {metrics['recall']:.4f} | {metrics['f1']:.4f} | {metrics['ari']:.4f} | "
        f"{100 * metrics['hard_negative_fp_rate']:.2f}% | {metrics['partial_clustered']}/{metrics['partial_total']} | {seconds:.1f} |"
    )


HEADER = (
    "| threshold | shingles | num_perm | LSH tuned for, bands x rows | precision | recall | F1 | ARI | hard-neg FP | partial clustered | s |\n"
    "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweep", action="store_true", help="sweep threshold, shingle size and num_perm")
    parser.add_argument("--data", type=Path, default=WIRECOPY)
    args = parser.parse_args()
    if not (args.data / "docs.jsonl").exists():
        sys.exit(f"no evaluation data at {args.data}")
    docs, truth = load(args.data)
    ids = [d.id for d in docs]
    default = ScanConfig()
    if args.sweep:
        grid = [
            (k, perm, thresholds)
            for k in (3, 4, 5, 6, 7)
            for perm in (64, 128, 256)
            for thresholds in [(0.3, 0.4, 0.5, 0.6, 0.7)]
        ]
    else:
        grid = [(default.shingle_size, default.num_perm, (default.threshold,))]
    print(HEADER)
    texts = [d.text for d in docs]
    for k, perm, thresholds in grid:
        start = time.perf_counter()
        hashed = sign(texts, ScanConfig(shingle_size=k, num_perm=perm))
        sign_seconds = time.perf_counter() - start
        for t in thresholds:
            cfg = ScanConfig(threshold=t, shingle_size=k, num_perm=perm)
            start = time.perf_counter()
            result = cluster_signed(docs, hashed, cfg)
            print(row(cfg, score(predicted_clusters(result), truth, ids), sign_seconds + time.perf_counter() - start), flush=True)


if __name__ == "__main__":
    main()

"""Desk-grade verdicts on real wire copy: `dedup scan` over natural-dev.

    python benchmarks/natural.py              # the defaults
    python benchmarks/natural.py --single 0.7 # baseline: one exact-Jaccard threshold
    python benchmarks/natural.py --ablation   # each rule's effect, here and on wirecopy-dev
    python benchmarks/natural.py --reworded-sweep  # the reworded copies' floor, both sets

Runs the detector over ../shared/eval/natural-dev/docs.jsonl (326 real
articles) and scores the 163 labeled pairs: a pair is predicted a duplicate
when the scan puts both documents in one cluster. Prints precision, recall and
F1 for the COPY label, then every error with our verdict for the pair and the
labelers' rationale. Internal evaluation data: not in the repo.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson

from dedup.inputs import Document
from dedup.normalize import normalize
from dedup.scan import ScanConfig, cluster_signed, scan, sign
from dedup.shingle import shingles
from dedup.verdict import judge, lead

NATURAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "natural-dev"


def load(root: Path) -> tuple[list[Document], list[dict]]:
    docs = [
        Document(rec["id"], rec["text"], f"docs.jsonl:{n}")
        for n, rec in enumerate(map(orjson.loads, (root / "docs.jsonl").read_bytes().splitlines()), 1)
    ]
    pairs = [orjson.loads(line) for line in (root / "pairs.jsonl").read_bytes().splitlines()]
    return docs, pairs


def predicted_same(result) -> dict[str, int]:
    """Document id -> cluster number, for clustered documents."""
    return {result.documents[m].id: n for n, c in enumerate(result.clusters) for m in c.cluster.members}


def evaluate(docs: list[Document], pairs: list[dict], config: ScanConfig) -> tuple[dict, list[tuple[dict, bool]]]:
    result = scan(docs, config)
    cluster_of = predicted_same(result)
    outcomes = []
    tp = fp = fn = 0
    for pair in pairs:
        predicted = pair["a"] in cluster_of and cluster_of.get(pair["a"]) == cluster_of.get(pair["b"])
        actual = pair["label"] == "COPY"
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
        outcomes.append((pair, predicted))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}, outcomes


def explain(docs_by_id: dict[str, Document], pair: dict, config: ScanConfig) -> str:
    ta, tb = docs_by_id[pair["a"]].text, docs_by_id[pair["b"]].text
    a, b = normalize(ta), normalize(tb)
    sa, sb = set(shingles(a, config.shingle_size)), set(shingles(b, config.shingle_size))
    v = judge(a, b, len(sa & sb), len(sa), len(sb), config.verdict, (lead(ta), lead(tb)))
    return f"{v.relation}/{v.reason} J={v.jaccard:.2f} containment={max(v.containment):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=NATURAL)
    parser.add_argument("--single", type=float, help="score a single exact-Jaccard threshold instead of the verdicts")
    parser.add_argument("--ablation", action="store_true", help="add the rules one by one; score natural-dev and wirecopy-dev")
    parser.add_argument("--reworded-sweep", action="store_true", help="vary the reworded copies' floor; score both sets")
    args = parser.parse_args()
    if not (args.data / "pairs.jsonl").exists():
        sys.exit(f"no evaluation data at {args.data}")
    docs, pairs = load(args.data)
    if args.ablation:
        score_rows(docs, pairs, ABLATION)
        return
    if args.reworded_sweep:
        score_rows(docs, pairs, [(f"--reworded {r} (floor {0.5 * r:.2f})", dict(reworded=r)) for r in REWORDED_SWEEP])
        return
    config = ScanConfig()
    if args.single is not None:
        metrics, outcomes = single_threshold(docs, pairs, args.single)
    else:
        metrics, outcomes = evaluate(docs, pairs, config)
    print(
        f"COPY: precision {metrics['precision']:.3f}  recall {metrics['recall']:.3f}  F1 {metrics['f1']:.3f}  "
        f"(tp {metrics['tp']}, fp {metrics['fp']}, fn {metrics['fn']}; {len(pairs)} pairs)"
    )
    by_id = {d.id: d for d in docs}
    for pair, predicted in outcomes:
        actual = pair["label"] == "COPY"
        if predicted != actual:
            kind = "FP" if predicted else "FN"
            print(f"{kind} {pair['pair']} {pair['label']:<10} ours: {explain(by_id, pair, config)}")
            print(f"     labelers: {pair['rationale']}")


def single_threshold(docs: list[Document], pairs: list[dict], threshold: float) -> tuple[dict, list]:
    """The baseline the issue quotes: exact char-5 Jaccard >= threshold."""
    norm = {d.id: set(shingles(normalize(d.text), 5)) for d in docs}
    tp = fp = fn = 0
    outcomes = []
    for pair in pairs:
        a, b = norm[pair["a"]], norm[pair["b"]]
        predicted = len(a & b) / len(a | b) >= threshold
        actual = pair["label"] == "COPY"
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
        outcomes.append((pair, predicted))
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}, outcomes


ABLATION = [
    ("Jaccard >= 0.5 only, connected components (the plain scan)",
     dict(containment=1.0, templates=False, containment_windows=0, split_chains=False, reworded=1.0)),
    ("+ containment >= 0.75 (document LSH candidates only)",
     dict(templates=False, containment_windows=0, split_chains=False, reworded=1.0)),
    ("+ containment candidates from word windows", dict(templates=False, split_chains=False, reworded=1.0)),
    ("+ template test", dict(split_chains=False, reworded=1.0)),
    ("+ chains cut at hubs, template pairs kept apart, rewordings not conflicts", dict(reworded=1.0)),
    ("**the defaults** (+ reworded copies just under the threshold)", dict()),
    ("defaults, partial pairs counted as duplicates", dict(partial_is_duplicate=True)),
    ("defaults without the template test", dict(templates=False)),
]


REWORDED_SWEEP = (1.0, 0.96, 0.94, 0.92, 0.9, 0.88, 0.86, 0.84, 0.8)


def score_rows(docs: list[Document], pairs: list[dict], rows: list[tuple[str, dict]]) -> None:
    """A markdown table: each configuration (changes to the defaults) scored
    on natural-dev and on wirecopy-dev, from one signing of each set."""
    from _wirecopy import WIRECOPY
    from _wirecopy import load as load_wirecopy
    from _wirecopy import score

    wdocs, truth = load_wirecopy(WIRECOPY)
    wids = [d.id for d in wdocs]
    base = ScanConfig()
    signed = {id(docs): sign([d.text for d in docs], base), id(wdocs): sign([d.text for d in wdocs], base)}
    print("| rules | natural P | natural R | natural F1 | wirecopy P | wirecopy R | wirecopy F1 | hard-neg FP | partial clustered |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, changes in rows:
        config = ScanConfig(**changes)
        nat = cluster_signed(docs, signed[id(docs)], config)
        cluster_of = predicted_same(nat)
        tp = fp = fn = 0
        for pair in pairs:
            predicted = pair["a"] in cluster_of and cluster_of.get(pair["a"]) == cluster_of.get(pair["b"])
            actual = pair["label"] == "COPY"
            tp, fp, fn = tp + (predicted and actual), fp + (predicted and not actual), fn + (actual and not predicted)
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        wire = cluster_signed(wdocs, signed[id(wdocs)], config)
        m = score([[wids[x] for x in c.cluster.members] for c in wire.clusters], truth, wids)
        print(
            f"| {label} | {p:.3f} | {r:.3f} | {2 * p * r / (p + r):.3f} | {m['precision']:.4f} | {m['recall']:.4f} | "
            f"{m['f1']:.4f} | {100 * m['hard_negative_fp_rate']:.2f}% | {m['partial_clustered']}/{m['partial_total']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

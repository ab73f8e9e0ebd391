"""Scoring against wirecopy-dev's truth (format in ../shared/eval/wirecopy-dev/README.md).

Shared by ``benchmarks/quality.py`` and the tests that check the defaults.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import combinations
from math import comb
from pathlib import Path

import orjson

from dedup.inputs import Document

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
WIRECOPY = SHARED / "eval" / "wirecopy-dev"


def load(root: Path = WIRECOPY) -> tuple[list[Document], dict]:
    docs = []
    with open(root / "docs.jsonl", "rb") as fh:
        for n, line in enumerate(fh, 1):
            rec = orjson.loads(line)
            docs.append(Document(rec["id"], rec["text"], f"docs.jsonl:{n}"))
    truth = json.loads((root / "truth.json").read_text())
    return docs, truth


def _pairs(clusters) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for c in clusters for p in combinations(c, 2)}


def ari(labels_true: list, labels_pred: list) -> float:
    """Adjusted Rand Index (Hubert and Arabie) from the contingency table."""
    n = len(labels_true)
    cont = Counter(zip(labels_true, labels_pred))
    sum_comb = sum(comb(v, 2) for v in cont.values())
    a = sum(comb(v, 2) for v in Counter(labels_true).values())
    b = sum(comb(v, 2) for v in Counter(labels_pred).values())
    expected = a * b / comb(n, 2)
    maximum = (a + b) / 2
    return 1.0 if maximum == expected else (sum_comb - expected) / (maximum - expected)


def score(predicted: list[list[str]], truth: dict, all_ids: list[str]) -> dict:
    """Pairwise P/R/F1, ARI, hard-negative FP rate, partial pairs clustered."""
    true_pairs = _pairs(truth["clusters"])
    pred_pairs = _pairs(predicted)
    tp = len(true_pairs & pred_pairs)
    precision = tp / len(pred_pairs) if pred_pairs else 1.0
    recall = tp / len(true_pairs) if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    label_of_true = {d: i for i, c in enumerate(truth["clusters"]) for d in c}
    label_of_pred = {d: i for i, c in enumerate(predicted) for d in c}
    lt = [label_of_true.get(d, f"s{d}") for d in all_ids]
    lp = [label_of_pred.get(d, f"s{d}") for d in all_ids]
    hn = truth["hard_negatives"]
    hn_fp = sum(1 for a, b in hn if a in label_of_pred and label_of_pred.get(a) == label_of_pred.get(b))
    partial = sum(
        1 for p in truth["partial"] if p["host"] in label_of_pred and label_of_pred.get(p["host"]) == label_of_pred.get(p["source"])
    )
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "ari": ari(lt, lp),
        "hard_negative_fp_rate": hn_fp / len(hn) if hn else 0.0,
        "partial_clustered": partial,
        "partial_total": len(truth["partial"]),
    }

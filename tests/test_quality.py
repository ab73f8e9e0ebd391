"""The defaults meet the targets on wirecopy-dev (skips without ../shared)."""

from __future__ import annotations

from conftest import WIRECOPY, need

from dedup.scan import ScanConfig, scan


def test_defaults_on_wirecopy_dev():
    need(WIRECOPY / "truth.json")
    from _wirecopy import load, score

    docs, truth = load(WIRECOPY)
    result = scan(docs, ScanConfig())
    clusters = [[docs[m].id for m in c.cluster.members] for c in result.clusters]
    metrics = score(clusters, truth, [d.id for d in docs])
    assert metrics["f1"] >= 0.98, metrics
    assert metrics["ari"] >= 0.98, metrics
    assert metrics["hard_negative_fp_rate"] <= 0.005, metrics
    assert metrics["partial_clustered"] == 0, metrics

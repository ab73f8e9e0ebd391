"""PAN's text-reuse measures (Potthast et al., "An Evaluation Framework for
Plagiarism Detection", COLING 2010), as used by PAN and AraPlagDet.

A case ``s`` and a detection ``r`` are both a pair of character spans: one in
the suspicious document, one in the source document. ``r`` detects ``s`` when
they name the same two documents and overlap in both. With ``|x|`` counting
characters in both documents:

- precision = mean over detections r of |union over s detected by r of (s ∩ r)| / |r|
- recall    = mean over cases s     of |union over r detecting s  of (s ∩ r)| / |s|
- granularity = mean over detected cases of the number of detections detecting it
- plagdet = F1 / log2(1 + granularity)

Precision with no detections is taken as 1 here only when there are no cases
either; otherwise 0 (a system that reports nothing finds nothing).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """One case or detection: ``susp[0]:susp[1]`` of ``susp_id`` and
    ``src[0]:src[1]`` of ``src_id`` (Python str offsets, end exclusive)."""

    susp_id: str
    src_id: str
    susp: tuple[int, int]
    src: tuple[int, int]

    @property
    def size(self) -> int:
        return (self.susp[1] - self.susp[0]) + (self.src[1] - self.src[0])


def _overlap(x: tuple[int, int], y: tuple[int, int]) -> tuple[int, int] | None:
    lo, hi = max(x[0], y[0]), min(x[1], y[1])
    return (lo, hi) if lo < hi else None


def _union_length(intervals: list[tuple[int, int]]) -> int:
    total, end = 0, None
    for lo, hi in sorted(intervals):
        if end is None or lo >= end:
            total += hi - lo
            end = hi
        elif hi > end:
            total += hi - end
            end = hi
    return total


def detects(r: Span, s: Span) -> bool:
    return (
        r.susp_id == s.susp_id
        and r.src_id == s.src_id
        and _overlap(r.susp, s.susp) is not None
        and _overlap(r.src, s.src) is not None
    )


def _covered(x: Span, others: list[Span]) -> int:
    """Characters of ``x`` (both documents) covered by ``others``."""
    susp = [o for y in others if (o := _overlap(x.susp, y.susp))]
    src = [o for y in others if (o := _overlap(x.src, y.src))]
    return _union_length(susp) + _union_length(src)


def measures(cases: list[Span], detections: list[Span]) -> dict:
    """Precision, recall, granularity, plagdet, and the counts behind them."""
    by_pair: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for r in detections:
        by_pair[(r.susp_id, r.src_id)].append(r)
    cases_by_pair: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for s in cases:
        cases_by_pair[(s.susp_id, s.src_id)].append(s)

    recall_sum, detected, gran_sum = 0.0, 0, 0
    for s in cases:
        hits = [r for r in by_pair[(s.susp_id, s.src_id)] if detects(r, s)]
        if hits:
            detected += 1
            gran_sum += len(hits)
            recall_sum += _covered(s, hits) / s.size
    precision_sum = 0.0
    for r in detections:
        hits = [s for s in cases_by_pair[(r.susp_id, r.src_id)] if detects(r, s)]
        if hits:
            precision_sum += _covered(r, hits) / r.size
    recall = recall_sum / len(cases) if cases else 1.0
    precision = precision_sum / len(detections) if detections else (1.0 if not cases else 0.0)
    granularity = gran_sum / detected if detected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "granularity": granularity,
        "plagdet": f1 / math.log2(1 + granularity),
        "cases": len(cases),
        "detected_cases": detected,
        "detections": len(detections),
    }

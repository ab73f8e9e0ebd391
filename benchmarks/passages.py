"""Passage-level measurements: PAN measures on araplagdet-dev, partial
duplicates on wirecopy-dev.

    python benchmarks/passages.py araplagdet [--no-bow] [--min 120] [--gap 1000]
                                               # PAN precision/recall/granularity/plagdet
    python benchmarks/passages.py wirecopy     # partial recall, partial pairs clustered
    python benchmarks/passages.py gaps         # passages per duplicate pair vs gap tolerance

araplagdet: every source and suspicious document goes through the library's
window indexes (:func:`dedup.passages.window_candidates`: char-5 windows, and
bag-of-words windows for word-shuffled reuse); each (suspicious, source)
candidate is aligned with :func:`dedup.evidence.find_passages` (order-keeping,
rapidfuzz) and :func:`dedup.passages.bow_passages` (bags of words); the
passages of at least ``MIN_PASSAGE`` normalized characters are mapped to
original offsets and detections of one pair that lie within ``MERGE_GAP``
characters of each other in both documents are merged
(PAN's granularity counts every piece). Per obfuscation type, recall and
granularity use that type's cases; precision uses the detections that detect
a case of that type (a detection detecting no case counts only overall).

Figures and the runs that produced them: README, "Evidence and partial
duplicates".
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import orjson

from _pan import Span, measures, detects
from dedup.evidence import EvidenceConfig, find_passages, original_span, Words
from dedup.normalize import normalize, normalize_with_offsets
from dedup.passages import BagConfig, PartialConfig, WordWindows, bow_passages, window_candidates

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
ARAPLAGDET = SHARED / "eval" / "araplagdet-dev"

#: char-5 window index (the scan's partial-pair index)
CHAR_INDEX = PartialConfig()
#: bag-of-words window index: word-shuffled reuse keeps its words only
BOW_INDEX = PartialConfig(shingle_kind="word", shingle_size=1, lsh_threshold=0.4)
#: order-keeping passages shorter than this (normalized chars) are not reported
MIN_PASSAGE = 120
#: detections of one pair this close in both documents are one detection
MERGE_GAP = 1000


def load_araplagdet(root: Path = ARAPLAGDET) -> tuple[list[dict], list[dict]]:
    docs = [orjson.loads(line) for line in open(root / "documents.jsonl", "rb")]
    cases = [orjson.loads(line) for line in open(root / "cases.jsonl", "rb")]
    return docs, cases


def merge(spans: list[Span], gap: int) -> list[Span]:
    """Merge detections of one document pair closer than ``gap`` characters
    in both documents (repeatedly, until none are)."""
    by_pair: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for s in spans:
        by_pair[(s.susp_id, s.src_id)].append(s)
    out = []
    for (susp, src), group in sorted(by_pair.items()):
        group = sorted(group, key=lambda s: (s.susp, s.src))
        changed = True
        while changed:
            changed = False
            merged: list[Span] = []
            for s in group:
                for n, m in enumerate(merged):
                    near_a = s.susp[0] <= m.susp[1] + gap and m.susp[0] <= s.susp[1] + gap
                    near_b = s.src[0] <= m.src[1] + gap and m.src[0] <= s.src[1] + gap
                    if near_a and near_b:
                        merged[n] = Span(
                            susp,
                            src,
                            (min(s.susp[0], m.susp[0]), max(s.susp[1], m.susp[1])),
                            (min(s.src[0], m.src[0]), max(s.src[1], m.src[1])),
                        )
                        changed = True
                        break
                else:
                    merged.append(s)
            group = merged
        out.extend(group)
    return out


def detect(docs: list[dict], use_bow: bool = True, min_passage: int = MIN_PASSAGE, gap: int = MERGE_GAP) -> tuple[list[Span], dict]:
    """Detections over the whole collection, and where the time went."""
    timings = {}
    t = time.perf_counter()
    normalized = [normalize(d["text"]) for d in docs]
    pairs = {tuple(p) for p in window_candidates(normalized, CHAR_INDEX).tolist()}
    timings["char_index"] = time.perf_counter() - t
    if use_bow:
        t = time.perf_counter()
        pairs |= {tuple(p) for p in window_candidates(normalized, BOW_INDEX).tolist()}
        timings["bow_index"] = time.perf_counter() - t
    t = time.perf_counter()
    kind = [d["kind"] for d in docs]
    cross = sorted((i, j) if kind[i] == "suspicious" else (j, i) for i, j in pairs if kind[i] != kind[j])
    maps: dict[int, object] = {}

    def offset_map(i: int):
        if i not in maps:
            maps[i] = normalize_with_offsets(docs[i]["text"])
        return maps[i]

    cfg = EvidenceConfig(min_length=min_passage)
    bag_cfg = BagConfig()
    vocab: dict[str, int] = {}
    bags = {}
    if use_bow:
        for s, r in cross:
            if s not in bags:
                bags[s] = WordWindows.of(normalized[s], vocab, bag_cfg, bag_cfg.window_words)
            if r not in bags:
                bags[r] = WordWindows.of(normalized[r], vocab, bag_cfg, bag_cfg.context_words)
    detections = []
    for s, r in cross:
        found = [p for p, _, _ in find_passages(normalized[s], normalized[r], cfg)]
        if use_bow:
            found += bow_passages(bags[s], bags[r], len(vocab), bag_cfg)
        if not found:
            continue
        ws, wr = Words.of(normalized[s]), Words.of(normalized[r])
        found = [p for p in found if ws.span(*p.a_words)[1] - ws.span(*p.a_words)[0] >= min_passage]
        om_s, om_r = offset_map(s), offset_map(r)
        for p in found:
            a = original_span(om_s, ws, p.a_words)
            b = original_span(om_r, wr, p.b_words)
            detections.append(Span(docs[s]["id"], docs[r]["id"], a, b))
    timings["align"] = time.perf_counter() - t
    timings["candidate_pairs"] = len(cross)
    return merge(detections, gap), timings


def araplagdet(use_bow: bool = True, min_passage: int = MIN_PASSAGE, gap: int = MERGE_GAP) -> dict:
    docs, raw = load_araplagdet()
    cases = [
        Span(c["suspicious_id"], c["source_id"], (c["this_offset"], c["this_offset"] + c["this_length"]),
             (c["source_offset"], c["source_offset"] + c["source_length"]))
        for c in raw
    ]
    obfuscation = {s: c["obfuscation"] for s, c in zip(cases, raw)}
    detections, timings = detect(docs, use_bow, min_passage, gap)
    out = {"parameters": {"bag_of_words": use_bow, "min_passage": min_passage, "merge_gap": gap}, "overall": measures(cases, detections), "timings": timings}
    for kind in sorted(set(obfuscation.values())):
        of_kind = [s for s in cases if obfuscation[s] == kind]
        attributed = [r for r in detections if any(detects(r, s) for s in of_kind)]
        out[kind] = measures(of_kind, attributed)
    return out


def wirecopy() -> dict:
    """Partial recall (host/source listed as partial, host span within 20
    characters) and partial pairs wrongly clustered, through the same calls
    as ``dedup scan --pairs``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _wirecopy import load

    from dedup.report import scan_report
    from dedup.passages import scan_partials
    from dedup.scan import scan

    docs, truth = load()
    t = time.perf_counter()
    result = scan(docs)
    t_scan = time.perf_counter() - t
    t = time.perf_counter()
    partials = scan_partials(result)
    t_partial = time.perf_counter() - t
    t = time.perf_counter()
    report = scan_report(result, include_pairs=True, partials=partials)
    t_report = time.perf_counter() - t
    listed = {(p["a"], p["b"]): p for p in report["pairs"] if p["relation"] == "partial"}
    cluster_of = {m["id"]: c["id"] for c in report["clusters"] for m in c["members"]}
    found = located = clustered = 0
    for case in truth["partial"]:
        h, s = case["host"], case["source"]
        if cluster_of.get(h) is not None and cluster_of.get(h) == cluster_of.get(s):
            clustered += 1
        pair = listed.get((h, s)) or listed.get((s, h))
        if pair is None:
            continue
        found += 1
        side = "a" if (pair["a"], pair["b"]) == (h, s) else "b"
        hs = case["host_span"]
        if any(abs(p[side][0] - hs[0]) <= 20 and abs(p[side][1] - hs[1]) <= 20 for p in pair["passages"]):
            located += 1
    truth_cluster = {d: n for n, c in enumerate(truth["clusters"]) for d in c}
    truth_partial = {frozenset((c["host"], c["source"])) for c in truth["partial"]}
    other = [k for k in listed if frozenset(k) not in truth_partial]
    return {
        "partial_cases": len(truth["partial"]),
        "found_as_partial": found,
        "host_span_within_20": located,
        "partial_pairs_clustered": clustered,
        "partial_pairs_listed": len(listed),
        "listed_not_in_truth": len(other),
        "listed_not_in_truth_same_truth_cluster": sum(
            1 for a, b in other if a in truth_cluster and truth_cluster[a] == truth_cluster.get(b)
        ),
        "seconds": {"scan": t_scan, "partials": t_partial, "pairs_with_evidence": t_report},
    }


def gaps() -> dict:
    """Passages per base/variant pair and coverage as the gap tolerance and
    minimum length vary (how the evidence defaults were chosen)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _wirecopy import load

    from dedup.evidence import pair_evidence

    docs, truth = load()
    text = {d.id: d.text for d in docs}
    pairs = [(c[0], v) for c in truth["clusters"][:150] for v in c[1:]]
    out = {}
    for gap in (0, 2, 4, 8, 12, 20):
        for min_length in (20, 40):
            cfg = EvidenceConfig(gap_words=gap, min_length=min_length)
            counts, cover = [], []
            for a, b in pairs:
                ev = pair_evidence(text[a], text[b], cfg)
                counts.append(len(ev["passages"]))
                cover.append(sum(p["a"][1] - p["a"][0] for p in ev["passages"]) / len(text[a]))
            out[f"gap={gap} min_length={min_length}"] = {
                "pairs": len(pairs),
                "passages_per_pair_mean": round(float(np.mean(counts)), 3),
                "pairs_with_one_passage": round(float(np.mean([c == 1 for c in counts])), 3),
                "coverage_of_a_median": round(float(np.median(cover)), 4),
            }
    return out


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "araplagdet"
    if what == "araplagdet":
        args = sys.argv[2:]

        def opt(name: str, default: int) -> int:
            return int(args[args.index(name) + 1]) if name in args else default

        result = araplagdet("--no-bow" not in args, opt("--min", MIN_PASSAGE), opt("--gap", MERGE_GAP))
    elif what == "wirecopy":
        result = wirecopy()
    elif what == "gaps":
        result = gaps()
    else:
        raise SystemExit(f"unknown measurement {what!r}: araplagdet, wirecopy or gaps")
    print(json.dumps(result, indent=2, default=float))


if __name__ == "__main__":
    main()
